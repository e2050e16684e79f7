#include "scheduler-extender/server/extender_server.h"

#include "kube/health/request_metrics.h"
#include "scheduler-extender/protocol/responses.h"

namespace berth::extender {

kube::Result<std::unique_ptr<kube::http::Server>> start_extender_server(
    ExtenderServerOptions options, ExtenderService& service, kube::metrics::Registry& registry) {
  kube::http::ServerOptions server;
  server.bind_address = options.bind_address;
  server.tls = options.tls;
  server.max_body_bytes = options.max_body_bytes;
  server.io_threads = 1;
  server.name = options.name;
  server.on_response = kube::http_request_observer(registry, options.name, service.routes());
  server.error_response = [](int status, std::string_view message) {
    return kube::http::Response::json(status, protocol::encode_error(message));
  };
  return kube::http::Server::start(
      std::move(server), [&service](kube::http::Request&& request, kube::http::Responder r) {
        auto responder = std::make_shared<kube::http::Responder>(std::move(r));
        service.handle(std::move(request), [responder](kube::http::Response response) {
          responder->send(std::move(response));
        });
      });
}

}  // namespace berth::extender
