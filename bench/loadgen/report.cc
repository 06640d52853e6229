#include "loadgen/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace citadel::loadgen {
namespace {

double Millis(int64_t nanos) {
  return std::round(static_cast<double>(nanos) / 1e3) / 1e3;
}  // µs precision

// `value` with `digits` decimals (as JSON prints it: 2.0039, not 2.0039000000000002).
double Round(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

nlohmann::json ErrorsJson(const OutcomeCounts& counts) {
  nlohmann::json status = nlohmann::json::object();
  for (const auto& [code, count] : counts.status) status[std::to_string(code)] = count;
  return {{"total", counts.Errors()}, {"status", status},        {"connect", counts.connect},
          {"io", counts.io},          {"closed", counts.closed}, {"timeout", counts.timeout},
          {"parse", counts.parse}};
}

std::string Url(const LoadOptions& options) {
  return "http://" + options.url.HostHeader() + options.url.target;
}

std::string ErrorsText(const OutcomeCounts& counts) {
  if (counts.Errors() == 0) return "0";
  std::string out = std::to_string(counts.Errors()) + " (";
  std::string sep;
  for (const auto& [code, count] : counts.status) {
    out += sep + "http " + std::to_string(code) + ": " + std::to_string(count);
    sep = ", ";
  }
  const std::pair<const char*, uint64_t> failures[] = {{"connect", counts.connect},
                                                       {"io", counts.io},
                                                       {"closed", counts.closed},
                                                       {"timeout", counts.timeout},
                                                       {"parse", counts.parse}};
  for (const auto& [name, count] : failures) {
    if (count == 0) continue;
    out += sep + name + ": " + std::to_string(count);
    sep = ", ";
  }
  return out + ")";
}

}  // namespace

nlohmann::json ReportJson(const LoadOptions& options, const LoadResult& result) {
  const LatencyHistogram& h = result.latency;
  const double seconds = result.measured_seconds;
  const uint64_t requests = result.measured.Requests() + result.warmup.Requests();
  nlohmann::json j = {
      {"url", Url(options)},
      {"method", options.method},
      {"connections", options.connections},
      {"threads", std::min(options.threads, options.connections)},
      {"mode", options.rate > 0 ? "open" : "closed"},
      {"rate", options.rate > 0 ? nlohmann::json(options.rate) : nlohmann::json()},
      {"duration_s", options.duration_seconds},
      {"warmup_s", options.warmup_seconds},
      {"elapsed_s", Round(seconds, 4)},
      {"requests", result.measured.Requests()},
      {"ok", result.measured.ok},
      {"errors", ErrorsJson(result.measured)},
      {"warmup",
       {{"requests", result.warmup.Requests()},
        {"ok", result.warmup.ok},
        {"errors", ErrorsJson(result.warmup)}}},
      {"errors_including_warmup", result.measured.Errors() + result.warmup.Errors()},
      {"throughput_rps",
       seconds > 0 ? Round(static_cast<double>(result.measured.ok) / seconds, 1) : 0.0},
      {"latency_ms",
       {{"p50", Millis(h.Quantile(0.5))},
        {"p90", Millis(h.Quantile(0.9))},
        {"p95", Millis(h.Quantile(0.95))},
        {"p99", Millis(h.Quantile(0.99))},
        {"p99.9", Millis(h.Quantile(0.999))},
        {"max", Millis(h.max())},
        {"min", Millis(h.min())},
        {"mean", Millis(static_cast<int64_t>(h.mean()))}}},
      {"unsent", result.unsent},
      {"connections_opened", result.connections_opened},
      {"cpu_s", Round(result.cpu_seconds, 3)},
      {"cpu_us_per_request",
       requests > 0 ? Round(result.cpu_seconds * 1e6 / static_cast<double>(requests), 1) : 0.0},
      {"sample_errors", result.sample_errors},
  };
  return j;
}

std::string ReportText(const LoadOptions& options, const LoadResult& result) {
  const LatencyHistogram& h = result.latency;
  const double seconds = result.measured_seconds;
  const int threads = std::min(options.threads, options.connections);
  char line[512];
  std::string out;
  std::snprintf(line, sizeof line, "%s %s: %d connection%s, %d thread%s, ", options.method.c_str(),
                Url(options).c_str(), options.connections, options.connections == 1 ? "" : "s",
                threads, threads == 1 ? "" : "s");
  out += line;
  if (options.rate > 0) {
    std::snprintf(line, sizeof line, "open loop at %.0f req/s", options.rate);
  } else {
    std::snprintf(line, sizeof line, "closed loop");
  }
  out += line;
  std::snprintf(line, sizeof line, ", %g s after %g s of warm-up\n", options.duration_seconds,
                options.warmup_seconds);
  out += line;
  std::snprintf(line, sizeof line, "  requests    %llu in %.2f s, %llu ok (2xx)\n",
                static_cast<unsigned long long>(result.measured.Requests()), seconds,
                static_cast<unsigned long long>(result.measured.ok));
  out += line;
  std::snprintf(line, sizeof line, "  throughput  %.1f req/s (2xx)\n",
                seconds > 0 ? static_cast<double>(result.measured.ok) / seconds : 0.0);
  out += line;
  std::snprintf(line, sizeof line,
                "  latency ms  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (mean %.3f)\n",
                Millis(h.Quantile(0.5)), Millis(h.Quantile(0.9)), Millis(h.Quantile(0.99)),
                Millis(h.Quantile(0.999)), Millis(h.max()), h.mean() / 1e6);
  out += line;
  out += "  errors      " + ErrorsText(result.measured) + "\n";
  out += "  warm-up     " + std::to_string(result.warmup.Requests()) + " requests, errors " +
         ErrorsText(result.warmup) + "\n";
  if (options.rate > 0) {
    out += "  unsent      " + std::to_string(result.unsent) +
           " (fell due while every connection was busy)\n";
  }
  for (const std::string& e : result.sample_errors) out += "  first error " + e + "\n";
  return out;
}

}  // namespace citadel::loadgen
