// ApiServer: berth-sim's Kubernetes API server as a library - storage, watch, built-in
// controllers (namespaces, garbage collection, CRDs), bootstrap objects and the HTTP(S)
// listeners. Tests and benchmarks start one in-process on an ephemeral port; the berth-sim
// binary is a thin main around it.
//
//   auto server = berth::sim::ApiServer::start({.listen = "127.0.0.1:0"});
//   kube::http::Client c; c.get((*server)->url() + "/api/v1/namespaces", ...);
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kube/core/result.h"
#include "kube/http/server.h"
#include "sim/apiserver/object_api.h"
#include "sim/apiserver/registry.h"
#include "sim/apiserver/representation.h"
#include "sim/apiserver/task_queue.h"
#include "sim/apiserver/watch_hub.h"
#include "sim/apiserver/webhook_admission.h"

namespace berth::sim {

struct ApiServerOptions {
  // Plain HTTP listener ("127.0.0.1:0" picks a free port); empty = none.
  std::string listen = "127.0.0.1:0";
  // HTTPS listener with a CA and serving certificate generated at start; empty = none.
  std::string secure_listen{};
  // Watch events kept for resuming watches (older resourceVersions get 410).
  std::size_t watch_history = 10000;
  int io_threads = 2;
  // Create default, kube-system, kube-public, kube-node-lease, the system priority classes and
  // the kubernetes Service, as a fresh cluster has them.
  bool bootstrap = true;
  ObjectApiOptions api{};
  std::size_t max_pending_watch_bytes = 32 * 1024 * 1024;
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(60)};
  // Runs write requests (create, update, patch, delete); inline on the io thread when unset.
  // Admission that blocks (webhook calls) hands writes to a worker pool here.
  std::function<void(std::function<void()>)> write_executor{};
  // Wraps the request handler of every listener (fault injection sits here); the wrapper gets
  // each request first and passes it on, delays it or answers it itself.
  std::function<kube::http::Handler(kube::http::Handler)> wrap_handler{};
  // Admission webhooks: the Mutating/ValidatingWebhookConfigurations in the store are called on
  // every write (webhook_admission.h). Service references need an address here.
  WebhookAdmissionOptions webhooks{};
};

class ApiServer {
 public:
  static kube::Result<std::unique_ptr<ApiServer>> start(ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // "http://127.0.0.1:PORT" (empty without a plain listener).
  std::string url() const;
  // "https://127.0.0.1:PORT" (empty without a secure listener).
  std::string secure_url() const;
  // PEM of the CA the HTTPS serving certificate chains to (also kube-root-ca.crt's ca.crt).
  const std::string& ca_pem() const;
  // A kubeconfig (YAML) for `server_url` with the CA, token "berth-sim" and namespace default.
  std::string kubeconfig(const std::string& server_url) const;

  ObjectApi& api();
  Registry& registry();
  WatchHub& hub();
  // The built-in controllers' worker (tests wait for it to go idle).
  TaskQueue& controllers();

  // Extra HTTP routes (fault injection, /admin/...), matched by path prefix before the API.
  void add_route(std::string prefix, kube::http::Handler handler);
  // Maps a webhook clientConfig.service ("namespace/name") to "host:port" from now on (see
  // ApiServerOptions::webhooks); no effect when webhook admission is off.
  void set_webhook_service_address(std::string service, std::string address);
  // Response formats chosen by Accept (Table rendering).
  void add_representation(std::shared_ptr<Representation> representation);

  // Stops listeners, ends watches, stops controllers. Idempotent.
  void stop();

 private:
  struct State;
  explicit ApiServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace berth::sim
