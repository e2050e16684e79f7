// LocalClient: how berth-sim's in-process components (kubelet, workload controllers, scheduler,
// node heartbeats) call the API server - ObjectApi directly, no HTTP, but through the same
// defaulting, admission (webhooks included), validation, managed fields and watch path as any
// API request, acting as a named user with its field manager, the way the real component would
// ("system:kube-scheduler", "kube-controller-manager", ...).
//
// Fault rules marked `internal` apply here (latency is slept on the caller's thread), so game
// days can degrade the simulated control plane as well as external clients.
//
// Cheap to copy; thread-safe (ObjectApi is).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"
#include "kube/core/json.h"
#include "sim/apiserver/object_api.h"

namespace berth::sim {

class FaultInjector;

// Who a component acts as.
struct Identity {
  std::string username;
  std::vector<std::string> groups{"system:authenticated"};
  // The managedFields manager of its writes ("kubelet", "kube-controller-manager", ...).
  std::string field_manager;
};

class LocalClient {
 public:
  LocalClient(ObjectApi& api, Identity identity, FaultInjector* faults = nullptr);

  // The same client acting as someone else (the kubelet of another node).
  LocalClient as(Identity identity) const;

  ObjectApi& api() const { return *api_; }
  const Identity& identity() const { return identity_; }
  // A served resource; throws std::logic_error when it is not registered (built-in kinds
  // always are, so a miss is a programming error).
  ResourcePtr resource(std::string_view group, std::string_view version,
                       std::string_view plural) const;

  ApiResult<kube::Object> get(const ResourcePtr& resource, std::string_view namespace_,
                              std::string_view name) const;
  ApiResult<kube::Object> create(const ResourcePtr& resource, std::string_view namespace_,
                                 kube::json::Document body) const;
  // PUT of `body` (namespace and name from its metadata); its resourceVersion makes the write
  // conditional. `subresource` "" or "status".
  ApiResult<kube::Object> update(const ResourcePtr& resource, kube::json::Document body,
                                 std::string_view subresource = {}) const;
  // Read-modify-write that retries on conflicts (ObjectApi::guaranteed_update).
  ApiResult<kube::Object> update_with(const ResourcePtr& resource, std::string_view namespace_,
                                      std::string_view name, std::string_view subresource,
                                      const ObjectApi::Mutation& mutate) const;
  ApiResult<kube::Object> patch(const ResourcePtr& resource, std::string_view namespace_,
                                std::string_view name, PatchType type, std::string_view body,
                                std::string_view subresource = {}) const;
  ApiResult<DeleteResult> remove(const ResourcePtr& resource, std::string_view namespace_,
                                 std::string_view name, DeleteOptions options = {}) const;
  // POST pods/<name>/binding to `node`; `uid` (optional) guards against a recreated pod.
  ApiStatus bind(std::string_view namespace_, std::string_view name, std::string_view uid,
                 std::string_view node) const;

 private:
  ApiStatus inject(std::string_view verb, std::string_view plural,
                   std::string_view subresource) const;
  WriteOptions write_options() const;

  ObjectApi* api_;
  Identity identity_;
  FaultInjector* faults_;
};

}  // namespace berth::sim
