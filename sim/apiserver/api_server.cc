#include "sim/apiserver/api_server.h"

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/tls/certificates.h"
#include "sim/apiserver/bootstrap.h"
#include "sim/apiserver/builtins.h"
#include "sim/apiserver/crd_controller.h"
#include "sim/apiserver/gc.h"
#include "sim/apiserver/handlers.h"
#include "sim/apiserver/managed_fields.h"
#include "sim/apiserver/namespace_controller.h"
#include "sim/apiserver/storage.h"
#include "sim/apiserver/table.h"

namespace berth::sim {

struct ApiServer::State {
  ApiServerOptions options;
  kube::tls::KeyPair ca;
  kube::tls::KeyPair serving;
  std::unique_ptr<WatchHub> hub;
  std::unique_ptr<Store> store;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<ObjectApi> api;
  std::unique_ptr<TaskQueue> queue;
  std::unique_ptr<GarbageCollector> gc;
  std::unique_ptr<NamespaceController> namespaces;
  std::unique_ptr<CrdController> crds;
  std::unique_ptr<Handlers> handlers;
  std::shared_ptr<WebhookAdmission> webhooks;  // null when webhook admission is off
  std::unique_ptr<kube::http::Server> plain;
  std::unique_ptr<kube::http::Server> secure;
  bool stopped = false;
};

namespace {

kube::http::Response error_reply(int status, std::string_view message, std::size_t limit) {
  ApiError e;
  switch (status) {
    case 413:
      e = errors::request_entity_too_large(limit);
      break;
    case 400:
      e = errors::bad_request(std::string(message));
      break;
    case 431:
      e = ApiError(431, "RequestHeaderFieldsTooLarge", std::string(message));
      break;
    case 503:
      e = ApiError(503, "ServiceUnavailable", std::string(message));
      break;
    default:
      e = errors::internal(std::string(message));
      e.code = status;
      break;
  }
  return Handlers::status_response(e);
}

}  // namespace

kube::Result<std::unique_ptr<ApiServer>> ApiServer::start(ApiServerOptions options) {
  auto state = std::make_unique<State>();
  state->options = options;
  KUBE_ASSIGN_OR_RETURN(state->ca, kube::tls::generate_ca({.common_name = "berth-sim-ca"}));
  if (!options.secure_listen.empty()) {
    kube::tls::CertificateOptions cert;
    cert.common_name = "berth-sim";
    cert.dns_names = {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"};
    cert.ip_addresses = {"127.0.0.1", "10.0.0.1"};
    KUBE_ASSIGN_OR_RETURN(state->serving, kube::tls::issue_certificate(state->ca, cert));
  }
  WatchHubOptions watch;
  watch.history = options.watch_history;
  watch.max_pending_bytes = options.max_pending_watch_bytes;
  watch.bookmark_interval = options.bookmark_interval;
  state->hub = std::make_unique<WatchHub>(watch);
  state->store = std::make_unique<Store>(*state->hub);
  state->registry = std::make_unique<Registry>();
  register_builtins(*state->registry);
  state->api =
      std::make_unique<ObjectApi>(*state->registry, *state->store, *state->hub, options.api);
  for (auto& plugin : builtin_admission_plugins(*state->api))
    state->api->add_admission(plugin);
  // Last, as in the apiserver: webhooks see what the built-in plugins made of the object.
  if (options.webhooks.enabled) {
    state->webhooks = std::make_shared<WebhookAdmission>(*state->api, options.webhooks);
    state->api->add_admission(state->webhooks);
  }
  state->api->set_field_manager(make_field_manager(*state->registry));
  state->queue = std::make_unique<TaskQueue>();
  state->gc = std::make_unique<GarbageCollector>(*state->api, *state->queue);
  state->gc->start();
  state->namespaces =
      std::make_unique<NamespaceController>(*state->api, *state->queue, state->ca.cert_pem);
  state->namespaces->start();
  state->crds = std::make_unique<CrdController>(*state->api, *state->queue);
  state->crds->start();

  HandlerOptions handler_options;
  handler_options.write_executor = options.write_executor;
  state->handlers = std::make_unique<Handlers>(*state->api, *state->queue, handler_options);
  // kubectl get asks for server-side printing; without it kubectl shows only NAME and AGE.
  state->handlers->add_representation(table_representation());
  Handlers* handlers = state->handlers.get();
  kube::http::Handler handler = [handlers](kube::http::Request&& r, kube::http::Responder w) {
    handlers->serve(std::move(r), std::move(w));
  };
  if (options.wrap_handler) handler = options.wrap_handler(std::move(handler));
  std::size_t limit = handler_options.max_body_bytes;
  auto make_options = [&](const std::string& address, bool tls) {
    kube::http::ServerOptions so;
    so.bind_address = address;
    so.io_threads = options.io_threads;
    so.max_body_bytes = limit;
    // Thousands of mostly idle watch connections: keep the per-connection buffer small.
    so.read_buffer_bytes = 16 * 1024;
    so.name = tls ? "sim-https" : "sim-http";
    // Watches are long-lived and mostly idle; the apiserver keeps them open for their timeout.
    so.idle_timeout = std::chrono::hours(2);
    so.error_response = [limit](int status, std::string_view message) {
      return error_reply(status, message, limit);
    };
    if (tls) {
      auto t = std::make_shared<kube::http::TlsOptions>();
      auto cert = state->serving.cert_pem;
      auto key = state->serving.key_pem;
      t->provider = [cert, key]() -> kube::Result<std::pair<std::string, std::string>> {
        return std::make_pair(cert, key);
      };
      t->reload_interval = std::chrono::hours(24);
      so.tls = std::move(t);
    }
    return so;
  };
  if (!options.listen.empty()) {
    KUBE_ASSIGN_OR_RETURN(state->plain,
                          kube::http::Server::start(make_options(options.listen, false), handler));
  }
  if (!options.secure_listen.empty()) {
    KUBE_ASSIGN_OR_RETURN(state->secure, kube::http::Server::start(
                                             make_options(options.secure_listen, true), handler));
  }
  int port = state->secure ? state->secure->port() : (state->plain ? state->plain->port() : 6443);
  handlers->set_server_address("127.0.0.1:" + std::to_string(port));
  if (options.bootstrap) {
    auto st = bootstrap_cluster(*state->api, port);
    if (!st.ok()) {
      return kube::Error::make(kube::Reason::kInternalError,
                               "bootstrapping the cluster failed: " + st.error().message);
    }
  }
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(state)));
}

ApiServer::ApiServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::stop() {
  if (!state_ || state_->stopped) return;
  state_->stopped = true;
  // Streams end first so the listeners can drain without waiting for watch timeouts.
  state_->hub->stop();
  if (state_->plain) state_->plain->stop(std::chrono::seconds(2));
  if (state_->secure) state_->secure->stop(std::chrono::seconds(2));
  state_->queue->stop();
}

std::string ApiServer::url() const {
  return state_->plain ? state_->plain->url() : std::string();
}

std::string ApiServer::secure_url() const {
  return state_->secure ? state_->secure->url() : std::string();
}

const std::string& ApiServer::ca_pem() const {
  return state_->ca.cert_pem;
}

std::string ApiServer::kubeconfig(const std::string& server_url) const {
  std::string cluster = "    server: " + server_url + "\n";
  if (server_url.starts_with("https://")) {
    cluster += "    certificate-authority-data: " + kube::base64_encode(state_->ca.cert_pem) + "\n";
  }
  return "apiVersion: v1\n"
         "kind: Config\n"
         "clusters:\n"
         "- name: berth-sim\n"
         "  cluster:\n" +
         cluster +
         "contexts:\n"
         "- name: berth-sim\n"
         "  context:\n"
         "    cluster: berth-sim\n"
         "    user: berth-sim\n"
         "    namespace: default\n"
         "current-context: berth-sim\n"
         "users:\n"
         "- name: berth-sim\n"
         "  user:\n"
         "    token: berth-sim\n"
         "preferences: {}\n";
}

ObjectApi& ApiServer::api() {
  return *state_->api;
}

Registry& ApiServer::registry() {
  return *state_->registry;
}

WatchHub& ApiServer::hub() {
  return *state_->hub;
}

TaskQueue& ApiServer::controllers() {
  return *state_->queue;
}

void ApiServer::add_route(std::string prefix, kube::http::Handler handler) {
  state_->handlers->add_route(std::move(prefix), std::move(handler));
}

void ApiServer::set_webhook_service_address(std::string service, std::string address) {
  if (state_->webhooks)
    state_->webhooks->set_service_address(std::move(service), std::move(address));
}

void ApiServer::add_representation(std::shared_ptr<Representation> representation) {
  state_->handlers->add_representation(std::move(representation));
}

}  // namespace berth::sim
