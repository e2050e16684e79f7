// berth-webhooks-bench-server: the webhook HTTPS server (1 io thread) on a throw-away
// certificate, with the benchmark configuration, for wrk (run-wrk.sh). Prints its URL.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>

#include "bench/webhooks/bench_pod.h"
#include "kube/tls/certificates.h"
#include "webhooks/server/routes.h"
#include "webhooks/server/webhook_server.h"

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::string review_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--listen") {
      listen = argv[i + 1];
    } else if (flag == "--write-review") {
      review_file = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [--listen HOST:PORT] [--write-review FILE]\n", argv[0]);
      return 2;
    }
  }
  if (!review_file.empty()) {
    std::ofstream(review_file) << berth::bench::pod_review();
  }
  auto ca = kube::tls::generate_ca({});
  auto leaf = kube::tls::issue_certificate(
      *ca, {.common_name = "localhost", .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}});
  if (!ca.ok() || !leaf.ok()) return 1;
  auto tls = std::make_shared<kube::http::TlsOptions>();
  tls->provider = [pair = *leaf]() -> kube::Result<std::pair<std::string, std::string>> {
    return std::make_pair(pair.cert_pem, pair.key_pem);
  };
  auto config = berth::bench::bench_config();
  berth::webhooks::NamespaceLabelMap namespaces;
  berth::bench::add_bench_namespace(namespaces);
  kube::metrics::Registry registry;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = berth::webhooks::WebhookServer::start(
      {.bind_address = listen, .tls = tls, .io_threads = 1, .registry = &registry},
      berth::webhooks::berth_routes(config, namespaces));
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", (*server)->url().c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  (*server)->stop(std::chrono::milliseconds(0));
  return 0;
}
