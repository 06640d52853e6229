// cpp-httplib side of the HTTP library comparison (bench/compare/http_libs.sh):
// POST /echo answers the request body as application/json, GET /health 200.
// Configured as src/http configures it: a fixed pool of THREADS threads
// (each serves one connection at a time, keep-alive included), TCP_NODELAY,
// keep-alive without a request count limit, 5 s timeouts.
//
//   httplib_echo_server THREADS [PORT]    # PORT 0 or absent: any free port
//
// Prints "port N" on stdout once listening; serves until killed.
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s THREADS [PORT]\n", argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const int port = argc == 3 ? std::atoi(argv[2]) : 0;
  if (threads < 1 || port < 0 || port > 65535) {
    std::fprintf(stderr, "%s: bad THREADS or PORT\n", argv[0]);
    return 2;
  }

  httplib::Server server;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100000);
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, "application/json");
  });
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{}", "application/json");
  });

  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1")
                              : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) {
    std::fprintf(stderr, "%s: cannot bind 127.0.0.1:%d\n", argv[0], port);
    return 1;
  }
  std::printf("port %d\n", bound);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
