// HealthServer: the probe and metrics endpoint of every Berth component, on kube::http::Server:
//
//   /healthz, /livez   liveness: "ping" plus the checks added with add_healthz_check
//   /readyz            readiness: the liveness checks, "shutdown" (fails once draining
//                      begins, so load balancers stop sending first) and add_readyz_check's
//   /metrics           the registry in the Prometheus text format
//
// Rendering follows kube-apiserver (see checks.h). Requests are timed into
// berth_http_request_duration_seconds{server="<name>"}.
//
//   auto health = kube::HealthServer::start({.bind_address = "0.0.0.0:8080"}).value();
//   health->add_readyz_check("informer-sync", [&] { return factory.has_synced(); },
//                            "caches not synced");
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "kube/core/result.h"
#include "kube/health/checks.h"
#include "kube/http/server.h"
#include "kube/metrics/registry.h"

namespace kube {

struct HealthServerOptions {
  std::string bind_address = "127.0.0.1:8080";
  // Serve HTTPS when set.
  std::shared_ptr<http::TlsOptions> tls{};
  // Served on /metrics and where the request metrics go; default_registry() when null. Must
  // outlive the server.
  metrics::Registry* metrics = nullptr;
  std::string name = "health";
};

class HealthServer {
 public:
  static Result<std::unique_ptr<HealthServer>> start(HealthServerOptions options);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Liveness checks (also part of readiness). Safe at any time.
  void add_healthz_check(std::string name, HealthCheck check);
  void add_healthz_check(std::string name, std::function<bool()> ok, std::string failure_message);
  void add_readyz_check(std::string name, HealthCheck check);
  void add_readyz_check(std::string name, std::function<bool()> ok, std::string failure_message);
  // Makes /readyz fail ("shutdown") from now on; liveness is unaffected.
  void mark_shutting_down() { shutting_down_.store(true); }

  std::uint16_t port() const { return server_->port(); }
  std::string url() const { return server_->url(); }
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(1)) { server_->stop(drain); }

 private:
  explicit HealthServer(metrics::Registry& registry);
  void handle(http::Request&& request, http::Responder responder);

  metrics::Registry& registry_;
  Checks healthz_{"healthz"};
  Checks livez_{"livez"};
  Checks readyz_{"readyz"};
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<http::Server> server_;
};

}  // namespace kube
