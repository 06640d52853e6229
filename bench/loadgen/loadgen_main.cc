// citadel_loadgen: an HTTP/1.1 load generator for Citadel's serving
// benchmarks and tests, and for the peer servers they are compared with.
// Standalone on purpose (POSIX sockets and epoll; nothing from src/), so it
// drives any server the same way.
//
//   citadel_loadgen --url http://127.0.0.1:8080/v2/models/m/infer
//       --body-file request.json --connections 8 --duration 10 --warmup 2 --json
//
// Exit status: 0; 1 when more than --max-errors requests failed (warm-up
// included) or no request got a 2xx answer in the measured phase; 2 when
// the run cannot start (bad option, unreadable file, unknown host).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "loadgen/load_generator.h"
#include "loadgen/report.h"
#include "loadgen/target_url.h"

namespace {

using citadel::loadgen::LoadOptions;

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "citadel_loadgen: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"HTTP/1.1 load generator: keep-alive connections, closed or open loop"};
  std::string url;
  std::string method;
  std::string body;
  std::vector<std::string> body_files;
  std::string body_lines;
  std::vector<std::string> headers;
  LoadOptions options;
  int64_t max_errors = -1;
  bool json = false;
  app.add_option("--url", url, "http://HOST:PORT/PATH")->required();
  app.add_option("--method", method, "request method (default: POST with a body, else GET)");
  auto* body_opt = app.add_option("--body", body, "request body");
  auto* file_opt = app.add_option(
      "--body-file", body_files,
      "request body: the file's bytes (binary as well); repeatable, the files used round-robin");
  auto* lines_opt = app.add_option(
      "--body-lines", body_lines,
      "one request body per non-empty line of the file, used round-robin, one per request");
  body_opt->excludes(file_opt)->excludes(lines_opt);
  file_opt->excludes(lines_opt);
  app.add_option("--header,-H", headers, "'Name: value', repeatable");
  app.add_option("--connections,-c", options.connections, "keep-alive connections")
      ->capture_default_str();
  app.add_option("--threads,-t", options.threads, "threads sharing the connections")
      ->capture_default_str();
  app.add_option("--duration,-d", options.duration_seconds, "seconds measured")
      ->capture_default_str();
  app.add_option("--warmup,-w", options.warmup_seconds, "seconds of load before measuring")
      ->capture_default_str();
  app.add_option("--rate,-r", options.rate,
                 "open loop: requests per second over all connections (default: closed loop)");
  app.add_option("--timeout", options.timeout_seconds,
                 "seconds a request may take before it counts as failed")
      ->capture_default_str();
  app.add_option("--max-errors", max_errors,
                 "exit 1 when more requests than this fail (non-2xx or no response), warm-up "
                 "included");
  app.add_flag("--json", json, "print one JSON object instead of text");
  CLI11_PARSE(app, argc, argv);

  std::string error;
  auto target = citadel::loadgen::ParseTargetUrl(url, &error);
  if (!target) return Usage("--url: " + error);
  options.url = *target;

  if (!body.empty()) {
    options.bodies.push_back(body);
  } else if (!body_files.empty()) {
    for (const std::string& file : body_files) {
      std::string bytes;
      if (!ReadFile(file, &bytes)) return Usage("cannot read --body-file " + file);
      options.bodies.push_back(std::move(bytes));
    }
  } else if (!body_lines.empty()) {
    std::string text;
    if (!ReadFile(body_lines, &text)) return Usage("cannot read --body-lines " + body_lines);
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) options.bodies.push_back(std::move(line));
    }
    if (options.bodies.empty()) return Usage("--body-lines " + body_lines + " has no line");
  }
  options.method = !method.empty() ? method : (options.bodies.empty() ? "GET" : "POST");

  for (const std::string& h : headers) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Usage("--header '" + h + "': expected 'Name: value'");
    }
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    options.headers.emplace_back(h.substr(0, colon), value);
  }

  auto result = citadel::loadgen::RunLoad(options, &error);
  if (!result) return Usage(error);

  if (json) {
    std::cout << citadel::loadgen::ReportJson(options, *result).dump() << "\n";
  } else {
    std::cout << citadel::loadgen::ReportText(options, *result);
  }
  const uint64_t errors = result->measured.Errors() + result->warmup.Errors();
  if (max_errors >= 0 && errors > static_cast<uint64_t>(max_errors)) {
    std::fprintf(stderr, "citadel_loadgen: %llu requests failed, more than --max-errors %lld\n",
                 static_cast<unsigned long long>(errors), static_cast<long long>(max_errors));
    return 1;
  }
  if (result->measured.ok == 0) {
    std::fprintf(stderr, "citadel_loadgen: no request got a 2xx answer in the measured phase\n");
    return 1;
  }
  return 0;
}
