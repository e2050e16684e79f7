#include "webhooks/server/webhook_server.h"

#include "kube/health/request_metrics.h"

namespace berth::webhooks {

kube::Result<std::unique_ptr<WebhookServer>> WebhookServer::start(WebhookServerOptions options,
                                                                  std::vector<Route> routes) {
  if (options.tls == nullptr) {
    return kube::Error::make(kube::Reason::kInvalid,
                             "admission webhooks are served over HTTPS only: no TLS certificate");
  }
  kube::metrics::Registry& registry =
      options.registry != nullptr ? *options.registry : kube::metrics::default_registry();
  std::vector<std::string> paths;
  for (const Route& r : routes)
    paths.push_back(r.path);

  std::unique_ptr<WebhookServer> server(new WebhookServer());
  server->handler_ = std::make_unique<AdmissionHandler>(
      std::move(routes), registry,
      DecodeOptions{.max_bytes = options.max_body_bytes, .max_depth = DecodeOptions{}.max_depth});

  kube::http::ServerOptions http;
  http.bind_address = options.bind_address;
  http.io_threads = options.io_threads;
  http.max_body_bytes = options.max_body_bytes;
  http.tls = options.tls;
  http.name = "webhooks";
  http.error_response = &AdmissionHandler::error_response;
  http.on_response = kube::http_request_observer(registry, "webhooks", std::move(paths));
  const AdmissionHandler* handler = server->handler_.get();
  KUBE_ASSIGN_OR_RETURN(
      server->server_,
      kube::http::Server::start(std::move(http), [handler](kube::http::Request&& request,
                                                           kube::http::Responder responder) {
        responder.send(handler->handle(request));
      }));
  return server;
}

WebhookServer::~WebhookServer() {
  if (server_ != nullptr) server_->stop(std::chrono::milliseconds(0));
}

}  // namespace berth::webhooks
