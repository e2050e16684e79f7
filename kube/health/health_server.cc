#include "kube/health/health_server.h"

#include "kube/core/strings.h"
#include "kube/health/request_metrics.h"
#include "kube/metrics/text_format.h"

namespace kube {
namespace {

constexpr std::string_view kPlainText = "text/plain; charset=utf-8";

http::Response text(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = std::string(kPlainText);
  r.headers.set("X-Content-Type-Options", "nosniff");
  r.headers.set("Cache-Control", "no-cache, private");
  r.body = std::move(body);
  return r;
}

std::vector<std::string> query_values(std::string_view query, std::string_view name) {
  std::vector<std::string> out;
  for (std::string_view part : split(query, '&')) {
    auto eq = part.find('=');
    if (part.substr(0, eq) != name || eq == std::string_view::npos) continue;
    if (auto v = url_decode(part.substr(eq + 1))) out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace

HealthServer::HealthServer(metrics::Registry& registry) : registry_(registry) {
  auto ping = []() -> Result<std::string> { return std::string(); };
  healthz_.add("ping", ping);
  livez_.add("ping", ping);
  readyz_.add("ping", ping);
  readyz_.add(
      "shutdown", [this] { return !shutting_down_.load(); }, "the process is shutting down");
}

HealthServer::~HealthServer() {
  if (server_) server_->stop(std::chrono::milliseconds(0));
}

Result<std::unique_ptr<HealthServer>> HealthServer::start(HealthServerOptions options) {
  metrics::Registry& registry =
      options.metrics != nullptr ? *options.metrics : metrics::default_registry();
  std::unique_ptr<HealthServer> health(new HealthServer(registry));
  http::ServerOptions server_options;
  server_options.bind_address = options.bind_address;
  server_options.tls = options.tls;
  server_options.name = options.name;
  server_options.max_body_bytes = 64 * 1024;  // probes and scrapes carry no body
  server_options.on_response = http_request_observer(
      registry, options.name,
      {"/healthz", "/healthz/", "/livez", "/livez/", "/readyz", "/readyz/", "/metrics"});
  HealthServer* self = health.get();
  KUBE_ASSIGN_OR_RETURN(health->server_,
                        http::Server::start(std::move(server_options),
                                            [self](http::Request&& r, http::Responder responder) {
                                              self->handle(std::move(r), std::move(responder));
                                            }));
  return health;
}

void HealthServer::add_healthz_check(std::string name, HealthCheck check) {
  healthz_.add(name, check);
  livez_.add(name, check);
  readyz_.add(std::move(name), std::move(check));
}

void HealthServer::add_healthz_check(std::string name, std::function<bool()> ok,
                                     std::string failure_message) {
  healthz_.add(name, ok, failure_message);
  livez_.add(name, ok, failure_message);
  readyz_.add(std::move(name), std::move(ok), std::move(failure_message));
}

void HealthServer::add_readyz_check(std::string name, HealthCheck check) {
  readyz_.add(std::move(name), std::move(check));
}

void HealthServer::add_readyz_check(std::string name, std::function<bool()> ok,
                                    std::string failure_message) {
  readyz_.add(std::move(name), std::move(ok), std::move(failure_message));
}

void HealthServer::handle(http::Request&& request, http::Responder responder) {
  if (request.method != "GET" && request.method != "HEAD") {
    responder.send(text(405, "method not allowed\n"));
    return;
  }
  std::string_view path = request.path();
  if (path == "/metrics") {
    http::Response r;
    r.content_type = std::string(metrics::kTextContentType);
    r.body = registry_.render();
    responder.send(std::move(r));
    return;
  }
  for (auto [prefix, checks] : {std::pair<std::string_view, const Checks*>{"/healthz", &healthz_},
                                {"/livez", &livez_},
                                {"/readyz", &readyz_}}) {
    if (path == prefix) {
      auto rendered = checks->render(request.has_query_param("verbose"),
                                     query_values(request.query(), "exclude"));
      responder.send(text(rendered.status, std::move(rendered.body)));
      return;
    }
    if (path.size() > prefix.size() + 1 && path.substr(0, prefix.size()) == prefix &&
        path[prefix.size()] == '/') {
      auto one = checks->render_one(path.substr(prefix.size() + 1));
      if (!one) break;
      responder.send(text(one->status, std::move(one->body)));
      return;
    }
  }
  responder.send(text(404, "404 page not found\n"));
}

}  // namespace kube
