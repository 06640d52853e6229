// citadel serve [--host H] [--port N] [--config FILE] …: the inference
// server (src/serve) until SIGINT / SIGTERM, then a graceful drain.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

#include "base/logging.h"
#include "base/memory/heap_reuse.h"
#include "base/system/files.h"
#include "base/system/interrupt.h"
#include "base/system/thread_pool.h"
#include "base/text/spec_reader.h"
#include "cli.h"
#include "serve/inference_server.h"

namespace citadel::cli {
namespace {

struct ServeFlags {
  std::string config;
  std::string host;
  int port = -1;
  int threads = 0;
  bool no_auth = false;
  double rate = -1, burst = -1;
  int64_t budget_rows = -1;
  double budget_window = -1;
  std::string access_log;
  std::string port_file;
};

// serve.yaml: the same settings as the flags (flags win).
Status ReadConfig(const std::string& path, serve::InferenceServerOptions& o) {
  ASSIGN_OR_RETURN(YamlDocument doc, LoadYamlFile(path));
  SpecReader s(doc, "");
  RETURN_IF_ERROR(s.ExpectObject({"host", "port", "threads", "auth", "max_body_bytes",
                                  "read_timeout_seconds", "rate_limit", "budget", "access_log",
                                  "poll_seconds", "rollout_interval_seconds",
                                  "wait_for_passes_below_us"}));
  ASSIGN_OR_RETURN(o.http.host, s.String("host", o.http.host));
  ASSIGN_OR_RETURN(int64_t port, s.Int("port", 0, 65535, o.http.port));
  o.http.port = static_cast<int>(port);
  ASSIGN_OR_RETURN(int64_t threads, s.Int("threads", 1, 4096, o.http.threads));
  o.http.threads = static_cast<int>(threads);
  ASSIGN_OR_RETURN(o.auth, s.Bool("auth", o.auth));
  ASSIGN_OR_RETURN(o.http.max_body_bytes,
                   s.Int("max_body_bytes", 1, int64_t{1} << 32, o.http.max_body_bytes));
  ASSIGN_OR_RETURN(o.http.read_timeout_seconds,
                   s.Number("read_timeout_seconds", 0.01, 3600, o.http.read_timeout_seconds));
  if (s.Has("rate_limit")) {
    SpecReader r = s.Child("rate_limit");
    RETURN_IF_ERROR(r.ExpectObject({"per_second", "burst"}));
    ASSIGN_OR_RETURN(o.guards.rate_per_second, r.Number("per_second", 0, 1e9));
    ASSIGN_OR_RETURN(o.guards.burst, r.Number("burst", 0, 1e9, 0));
  }
  if (s.Has("budget")) {
    SpecReader b = s.Child("budget");
    RETURN_IF_ERROR(b.ExpectObject({"rows", "window_seconds"}));
    ASSIGN_OR_RETURN(o.guards.budget_rows, b.Int("rows", 0, INT64_MAX));
    ASSIGN_OR_RETURN(o.guards.budget_window_seconds, b.Number("window_seconds", 1, 1e9, 3600));
  }
  ASSIGN_OR_RETURN(std::string log, s.String("access_log", o.access_log.string()));
  o.access_log = log;
  ASSIGN_OR_RETURN(o.watcher.poll_seconds,
                   s.Number("poll_seconds", 0.01, 60, o.watcher.poll_seconds));
  ASSIGN_OR_RETURN(
      o.watcher.rollout_interval_seconds,
      s.Number("rollout_interval_seconds", 0.05, 3600, o.watcher.rollout_interval_seconds));
  ASSIGN_OR_RETURN(const double wait_us, s.Number("wait_for_passes_below_us", 0, 1e6,
                                                  1e6 * o.wait_for_passes_below_seconds));
  o.wait_for_passes_below_seconds = wait_us / 1e6;
  return Status::Ok();
}

Status Serve(const Globals& globals, const ServeFlags& f) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  serve::InferenceServerOptions o;
  o.http.port = 8000;
  // One event loop per core: each thread hands the requests it read in one
  // pass to the model together, so that under load requests batch without
  // a thread waking per request (docs/benchmarks.md, serving).
  o.http.threads = static_cast<int>(std::min<size_t>(AvailableCores(), 4096));
  o.access_log = ws->root() / "serve" / "access.log";
  if (!f.config.empty()) RETURN_IF_ERROR(ReadConfig(f.config, o));
  if (!f.host.empty()) o.http.host = f.host;
  if (f.port >= 0) o.http.port = f.port;
  if (f.threads > 0) o.http.threads = f.threads;
  if (f.no_auth) o.auth = false;
  if (f.rate >= 0) o.guards.rate_per_second = f.rate;
  if (f.burst >= 0) o.guards.burst = f.burst;
  if (f.budget_rows >= 0) o.guards.budget_rows = f.budget_rows;
  if (f.budget_window > 0) o.guards.budget_window_seconds = f.budget_window;
  if (!f.access_log.empty()) o.access_log = f.access_log == "none" ? "" : f.access_log;
  const std::filesystem::path root = ws->root();
  ws.reset();  // the server opens its own connections

  // Forward passes allocate the same workspaces request after request: they
  // stay in the heap instead of being faulted in afresh each time.
  if (!KeepFreedHeapMemory()) {
    log::Warning(
        "serve: the C library refused the heap settings; large buffers are mapped "
        "afresh per forward pass");
  }
  // Signals become a request to drain, from before the first model loads.
  InterruptScope interrupts;
  ASSIGN_OR_RETURN(auto server, serve::InferenceServer::Start(root, std::move(o)));
  if (!f.port_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(f.port_file, std::to_string(server->port()) + "\n"));
  }
  fmt::print("citadel serve: listening on http://{}:{}{}\n", f.host.empty() ? "127.0.0.1" : f.host,
             server->port(), f.no_auth ? " (authentication OFF)" : "");
  std::fflush(stdout);
  while (InterruptScope::signal().load() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fmt::print("citadel serve: {} received, draining in-flight requests\n",
             InterruptScope::signal().load() == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  server->Stop();
  fmt::print("citadel serve: stopped\n");
  return Status::Ok();
}

}  // namespace

void AddServeCommand(CLI::App& app, Command& cmd) {
  auto* serve = app.add_subcommand(
      "serve", "Serve the workspace's deployments over the Open Inference Protocol v2");
  auto f = std::make_shared<ServeFlags>();
  serve->add_option("--config", f->config, "Settings file (YAML); flags override it");
  serve->add_option("--host", f->host, "Address to listen on (default 127.0.0.1)");
  serve->add_option("--port", f->port, "Port (default 8000; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  serve
      ->add_option("--threads", f->threads,
                   "Event-loop threads serving the connections (default: one per core)")
      ->check(CLI::Range(1, 4096));
  serve->add_flag("--no-auth", f->no_auth,
                  "Serve without tokens (loopback benchmarks only; auth is on by default)");
  serve->add_option("--rate-limit", f->rate, "Requests per second per token (0 = unlimited)")
      ->check(CLI::NonNegativeNumber);
  serve->add_option("--burst", f->burst, "Rate-limit burst (default: one second's worth)")
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--budget-rows", f->budget_rows,
                   "Rows a token may have predicted per budget window (0 = unlimited)")
      ->check(CLI::NonNegativeNumber);
  serve->add_option("--budget-window", f->budget_window, "Budget window in seconds (default 3600)")
      ->check(CLI::PositiveNumber);
  serve->add_option(
      "--access-log", f->access_log,
      "Access log file ('-' = stdout, 'none' = off; default WORKSPACE/serve/access.log)");
  serve->add_option("--port-file", f->port_file,
                    "Write the bound port to this file once listening");
  serve->callback([&cmd, f] { cmd.action = [&cmd, f] { return Serve(cmd.globals, *f); }; });
}

}  // namespace citadel::cli
