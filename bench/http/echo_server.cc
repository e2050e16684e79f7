// berth-http-echo-server: Berth's HTTP server with an echo handler, for load generators (wrk).
//   berth-http-echo-server [--listen HOST:PORT] [--tls] [--io-threads N]
// With --tls it serves a freshly generated certificate for 127.0.0.1/localhost. Prints the
// URL on stdout once listening and runs until SIGINT or SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "bench/http/bench_support.h"
#include "kube/core/strings.h"

int main(int argc, char** argv) {
  kube::http::ServerOptions options;
  options.bind_address = "127.0.0.1:8080";
  options.name = "echo";
  bool tls = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--listen" && i + 1 < argc) {
      options.bind_address = argv[++i];
    } else if (arg == "--tls") {
      tls = true;
    } else if (arg == "--io-threads" && i + 1 < argc) {
      auto n = kube::parse_int(argv[++i]);
      if (!n || *n < 0) {
        std::cerr << "--io-threads needs a number >= 0\n";
        return 2;
      }
      options.io_threads = static_cast<int>(*n);
    } else {
      std::cerr << "usage: " << argv[0] << " [--listen HOST:PORT] [--tls] [--io-threads N]\n";
      return arg == "--help" ? 0 : 2;
    }
  }

  // Block the stop signals before any thread starts so that only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  berth::bench::TempCertificate cert;
  if (tls) {
    cert = berth::bench::make_temp_certificate();
    options.tls = cert.tls;
  }
  auto server = kube::http::Server::start(options, berth::bench::echo_handler());
  if (!server.ok()) {
    std::cerr << server.error().to_string() << "\n";
    return 1;
  }
  std::cout << (*server)->url() << std::endl;
  int signal = 0;
  sigwait(&stop_signals, &signal);
  (*server)->stop(std::chrono::seconds(2));
  if (!cert.dir.empty()) std::filesystem::remove_all(cert.dir);
  return 0;
}
