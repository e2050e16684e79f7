// ObjectApi: the REST semantics of the apiserver over the Store - what genericregistry.Store
// and the request handlers do between the HTTP layer and etcd: defaulting, metadata (uid,
// generateName, generation, timestamps), optimistic concurrency, status/scale subresources,
// admission, validation, managed fields, finalizers and graceful deletion, selectors, paging
// and watch registration.
//
// The HTTP handlers are one client; in-process components (garbage collector, namespace and
// CRD controllers, the kubelet and scheduler simulators) are others and use the same calls,
// so every write follows the same rules and produces the same events.
//
// Objects cross this interface in their served form (the requested group/version).
// Thread-safe. Calls block only for admission plugins (webhooks).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"
#include "kube/api/selector.h"
#include "kube/core/json.h"
#include "sim/apiserver/admission.h"
#include "sim/apiserver/api_error.h"
#include "sim/apiserver/field_manager.h"
#include "sim/apiserver/registry.h"
#include "sim/apiserver/storage.h"
#include "sim/apiserver/watch_hub.h"

namespace berth::sim {

enum class FieldValidation { kIgnore, kWarn, kStrict };

struct WriteOptions {
  // Resolved manager name (fieldManager, else from the User-Agent). Empty = do not record
  // managed fields (internal writes such as bindings).
  std::string field_manager{};
  bool dry_run = false;
  FieldValidation field_validation = FieldValidation::kWarn;
  UserInfo user{};
  // The request's CreateOptions/UpdateOptions/PatchOptions, for admission; may be null.
  const kube::json::Value* options = nullptr;
};

struct WriteResult {
  kube::Object object;  // served form
  bool created = false;
  std::vector<std::string> warnings{};
};

enum class PatchType { kJson, kMerge, kStrategic, kApply };

struct PatchOptions : WriteOptions {
  bool force = false;  // apply: take ownership of conflicting fields
};

enum class Propagation { kDefault, kBackground, kForeground, kOrphan };

struct DeleteOptions {
  std::optional<std::int64_t> grace_period_seconds{};
  Propagation propagation = Propagation::kDefault;
  std::string precondition_uid{};
  std::string precondition_resource_version{};
  bool dry_run = false;
  UserInfo user{};
  const kube::json::Value* options = nullptr;
};

struct DeleteResult {
  kube::Object object;   // served form: the last state, or the object now being deleted
  bool deleted = false;  // gone from storage (else: marked, waiting for finalizers/grace)
  std::vector<std::string> warnings{};
};

struct ListRequest {
  kube::LabelSelector labels{};
  kube::FieldSelector fields{};
  std::int64_t limit = 0;  // 0 = everything
  std::string continue_token{};
  std::optional<std::string> resource_version{};  // absent vs "" vs "0" vs "N"
  std::string resource_version_match{};           // "", "NotOlderThan", "Exact"
  bool allow_bookmarks = false;
  std::optional<std::int64_t> timeout_seconds{};
};

struct ListResult {
  std::int64_t resource_version = 0;
  std::vector<kube::Object> items;  // stored form; render() gives the served JSON
  std::string continue_token{};
  std::optional<std::int64_t> remaining_item_count{};
};

struct ObjectApiOptions {
  // First address handed out by the Service ClusterIP allocator: 10.0.0.0/24 like the
  // fixtures' apiserver (10.0.0.1 is the kubernetes Service).
  std::string service_cidr = "10.0.0.0/24";
  // How long a list with a future resourceVersion waits before 504 (the watch cache's 3 s).
  std::chrono::milliseconds future_rv_wait{std::chrono::seconds(3)};
  // Watches without timeoutSeconds end after a random time in [min, 2·min), like the
  // apiserver's --min-request-timeout.
  std::chrono::seconds min_request_timeout{1800};
};

// Fired after every successful commit, on the writer's thread, outside store locks.
struct CommitEvent {
  ResourcePtr resource;  // the resource the write went through
  EventType type = EventType::kAdded;
  kube::Object object;    // stored form
  kube::Object previous;  // stored form; null for kAdded
};

class ObjectApi {
 public:
  ObjectApi(Registry& registry, Store& store, WatchHub& hub, ObjectApiOptions options = {});
  ObjectApi(const ObjectApi&) = delete;
  ObjectApi& operator=(const ObjectApi&) = delete;

  Registry& registry() { return registry_; }
  Store& store() { return store_; }
  WatchHub& hub() { return hub_; }

  void add_admission(std::shared_ptr<AdmissionPlugin> plugin);
  void set_field_manager(std::shared_ptr<FieldManager> manager);
  using CommitHook = std::function<void(const CommitEvent&)>;
  void on_commit(CommitHook hook);

  // Reads. `subresource` "status" reads the object itself; "scale" returns autoscaling/v1 Scale.
  ApiResult<kube::Object> get(const ResourceInfo& resource, std::string_view namespace_,
                              std::string_view name) const;
  ApiResult<ListResult> list(const ResourceInfo& resource, std::string_view namespace_,
                             const ListRequest& request) const;
  // Validates the request and registers a watch on `stream`. Errors before streaming (bad
  // options) are returned; a too-old resourceVersion is returned as 410 and the caller sends
  // it as an ERROR event (the apiserver answers 200 + ERROR).
  // `open_stream` is called once the request is known to be valid (the HTTP layer starts its
  // 200 response then).
  ApiStatus watch(const ResourcePtr& resource, std::string_view namespace_,
                  const ListRequest& request,
                  const std::function<std::shared_ptr<kube::http::ChunkedStream>()>& open_stream,
                  std::shared_ptr<const EventEncoder> encoder) const;
  // The served JSON of a stored object (conversion, key order).
  std::string render(const ResourceInfo& resource, const kube::Object& stored) const;
  kube::Object served(const ResourceInfo& resource, const kube::Object& stored) const;

  // Writes. `body` is the decoded request body.
  ApiResult<WriteResult> create(const ResourcePtr& resource, std::string_view namespace_,
                                kube::json::Document body, const WriteOptions& options);
  // PUT on the object (`subresource` "") or on "status".
  ApiResult<WriteResult> update(const ResourcePtr& resource, std::string_view namespace_,
                                std::string_view name, std::string_view subresource,
                                kube::json::Document body, const WriteOptions& options);
  ApiResult<WriteResult> patch(const ResourcePtr& resource, std::string_view namespace_,
                               std::string_view name, std::string_view subresource, PatchType type,
                               std::string_view body, const PatchOptions& options);
  ApiResult<DeleteResult> remove(const ResourcePtr& resource, std::string_view namespace_,
                                 std::string_view name, const DeleteOptions& options);
  // DELETE on a collection: every object matching the selectors; returns what was deleted or
  // marked for deletion.
  ApiResult<std::vector<kube::Object>> remove_collection(const ResourcePtr& resource,
                                                         std::string_view namespace_,
                                                         const ListRequest& selection,
                                                         const DeleteOptions& options);

  // Subresources.
  ApiResult<kube::Object> get_scale(const ResourceInfo& resource, std::string_view namespace_,
                                    std::string_view name) const;
  ApiResult<std::function<bool(const kube::Object&)>> matcher(const ResourceInfo& resource,
                                                              const ListRequest& request) const;
  ApiResult<WriteResult> update_scale(const ResourcePtr& resource, std::string_view namespace_,
                                      std::string_view name, kube::json::Document scale,
                                      const WriteOptions& options);
  ApiResult<WriteResult> patch_scale(const ResourcePtr& resource, std::string_view namespace_,
                                     std::string_view name, PatchType type, std::string_view body,
                                     const PatchOptions& options);
  // POST pods/<name>/binding: sets spec.nodeName and the PodScheduled condition.
  ApiStatus bind(std::string_view namespace_, std::string_view name,
                 const kube::json::Value& binding, const WriteOptions& options);
  // POST pods/<name>/eviction: PodDisruptionBudget check, then a graceful delete.
  ApiStatus evict(std::string_view namespace_, std::string_view name,
                  const kube::json::Value& eviction, const WriteOptions& options);

  // A read-modify-write loop on one object: `mutate` gets the current served object and
  // returns the desired one (or an error, which ends the loop); conflicts with concurrent
  // writers retry. Runs the full update pipeline (defaults, admission, validation).
  using Mutation = std::function<ApiResult<kube::json::Document>(const kube::Object& current)>;
  ApiResult<WriteResult> guaranteed_update(const ResourcePtr& resource, std::string_view namespace_,
                                           std::string_view name, std::string_view subresource,
                                           const Mutation& mutate, const WriteOptions& options);

  // Checks a decoded body against the resource: apiVersion/kind, wrong JSON types. Returns the
  // 400 the apiserver gives.
  ApiStatus check_decoded(const ResourceInfo& resource, const kube::json::Value& body) const;

  // Resolves the resource a stored table belongs to (for controllers acting on uids).
  ResourcePtr resource_for_table(const std::string& table) const;

  const ObjectApiOptions& options() const { return options_; }

 private:
  ApiResult<WriteResult> update_once(const ResourcePtr& resource, const kube::Object& current,
                                     std::string_view subresource, kube::json::Document desired,
                                     const WriteOptions& options, bool* conflict);
  ApiResult<WriteResult> apply_patch(const ResourcePtr& resource, std::string_view namespace_,
                                     std::string_view name, std::string_view subresource,
                                     std::string_view body, const PatchOptions& options);
  // Removes `current` from storage; nullopt when it changed meanwhile (the caller retries).
  ApiResult<std::optional<DeleteResult>> finish_delete(const ResourcePtr& resource,
                                                       const kube::Object& current,
                                                       std::vector<std::string> warnings);
  ApiStatus run_admit(AdmissionRequest& request) const;
  ApiStatus run_validate(const AdmissionRequest& request) const;
  void fire(const CommitEvent& event) const;
  ApiStatus record_update(const ResourceInfo& resource, kube::json::Document& object,
                          const kube::json::Value* old, std::string_view subresource,
                          const WriteOptions& options) const;
  std::shared_ptr<FieldManager> field_manager() const;
  std::string storage_key(const ResourceInfo& resource, std::string_view namespace_,
                          std::string_view name) const;
  kube::Object to_storage(const ResourceInfo& resource, kube::json::Document served) const;
  kube::json::Document to_storage_doc(const ResourceInfo& resource,
                                      kube::json::Document served) const;

  Registry& registry_;
  Store& store_;
  WatchHub& hub_;
  ObjectApiOptions options_;
  mutable std::mutex mu_;  // guards the fields below
  std::vector<std::shared_ptr<AdmissionPlugin>> admission_;
  std::shared_ptr<FieldManager> field_manager_;
  std::vector<CommitHook> commit_hooks_;
};

// metav1 "now" as stored in timestamps (second precision).
std::string now_rfc3339();
// A random RFC 4122 version 4 UUID.
std::string new_uid();

}  // namespace berth::sim
