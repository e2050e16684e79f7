// WebhookServer: the HTTPS listener of berth-webhooks (kube::http::Server: TLS 1.2+, 64 KiB read
// buffer, keep-alive, certificate hot reload) with the AdmissionHandler behind it. Tests and
// berth-sim's admission chain start one in-process with their own routes and certificates.
//
//   auto server = WebhookServer::start({.bind_address = "127.0.0.1:0", .tls = tls},
//                                      berth_routes(config, namespaces)).value();
//   // point a webhook configuration at server->url() + "/mutate/pods"
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kube/core/result.h"
#include "kube/http/server.h"
#include "kube/metrics/registry.h"
#include "webhooks/admission/handler.h"

namespace berth::webhooks {

struct WebhookServerOptions {
  std::string bind_address = "0.0.0.0:9443";
  // Required: admission webhooks are HTTPS only. Files (hot-reloaded) or a provider (the
  // CertManager's serving_pair).
  std::shared_ptr<kube::http::TlsOptions> tls{};
  // An UPDATE review carries two objects; kube-apiserver bounds each at 3 MiB of request body.
  std::size_t max_body_bytes = 7 * 1024 * 1024;
  // Admission work is microseconds per request; one event loop keeps p99 low (bench/README).
  int io_threads = 1;
  // Metrics (request durations by route/code, admission decisions); default_registry() when
  // null. Must outlive the server.
  kube::metrics::Registry* registry = nullptr;
};

class WebhookServer {
 public:
  static kube::Result<std::unique_ptr<WebhookServer>> start(WebhookServerOptions options,
                                                            std::vector<Route> routes);
  ~WebhookServer();
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  std::uint16_t port() const { return server_->port(); }
  std::string url() const { return server_->url(); }  // "https://127.0.0.1:PORT"
  // Answers new requests with 503 and lets in-flight ones finish (kube::http::Server::stop).
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(5)) { server_->stop(drain); }
  std::uint64_t certificate_reloads() const { return server_->certificate_reloads(); }
  std::string last_certificate_error() const { return server_->last_certificate_error(); }

 private:
  WebhookServer() = default;
  std::unique_ptr<AdmissionHandler> handler_;
  std::unique_ptr<kube::http::Server> server_;
};

}  // namespace berth::webhooks
