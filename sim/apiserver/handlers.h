// Handlers: the HTTP face of berth-sim. Routes a request to discovery, health, extra routes or
// the resource API; decodes bodies and query options exactly as kube-apiserver does (and fails
// with its Status errors); encodes objects, lists, watch streams and Status replies.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kube/http/server.h"
#include "sim/apiserver/object_api.h"
#include "sim/apiserver/representation.h"
#include "sim/apiserver/request_info.h"
#include "sim/apiserver/task_queue.h"

namespace berth::sim {

struct HandlerOptions {
  // host:port put into /api's serverAddressByClientCIDRs.
  std::string server_address = "127.0.0.1:6443";
  // Runs write requests (create/update/patch/delete); inline when unset. Webhook admission
  // can hand writes to a pool here so slow webhooks never hold an io thread.
  std::function<void(std::function<void()>)> write_executor{};
  std::size_t max_body_bytes = 3 * 1024 * 1024;
};

class Handlers {
 public:
  Handlers(ObjectApi& api, TaskQueue& delayed, HandlerOptions options);

  void serve(kube::http::Request&& request, kube::http::Responder responder);

  // Requests whose path starts with `prefix` go to `handler` (fault injection, /admin/...).
  void add_route(std::string prefix, kube::http::Handler handler);
  // Tried in order before the built-in PartialObjectMetadata representation.
  void add_representation(std::shared_ptr<Representation> representation);
  void set_server_address(std::string address);

  // The Status response the apiserver sends for `error` (headers included).
  static kube::http::Response status_response(const ApiError& error);

 private:
  struct Call;
  void serve_resource(std::shared_ptr<Call> call);
  void serve_discovery(std::shared_ptr<Call> call);
  void handle_get(std::shared_ptr<Call> call);
  void handle_list(std::shared_ptr<Call> call);
  void handle_watch(std::shared_ptr<Call> call);
  void handle_write(std::shared_ptr<Call> call);
  void reply(Call& call, int status, std::string body,
             const std::vector<std::string>& warnings = {});
  void fail(Call& call, const ApiError& error);
  std::shared_ptr<Representation> representation_for(const Call& call,
                                                     ApiError* not_acceptable) const;

  ObjectApi& api_;
  TaskQueue& delayed_;
  HandlerOptions options_;
  std::string flow_schema_uid_;
  std::string priority_level_uid_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, kube::http::Handler>> routes_;
  std::vector<std::shared_ptr<Representation>> representations_;
};

}  // namespace berth::sim
