// Admission: the step between decoding a write and storing it. Plugins run in registration
// order: every admit() (mutating phase) first, then - after the object's own validation -
// every validate(). Built-in plugins reproduce the default kube-apiserver ones the fixtures
// show (NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds, Priority,
// StorageObjectInUseProtection); webhook admission plugs in here as one more plugin.
//
// Plugins run on the thread that serves the request, outside every store lock; a plugin that
// blocks (a webhook call) blocks only its request.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "sim/apiserver/api_error.h"
#include "sim/apiserver/registry.h"

namespace berth::sim {

class ObjectApi;

enum class Operation { kCreate, kUpdate, kDelete, kConnect };
std::string_view operation_name(Operation op);  // "CREATE", ...

// The requesting user. berth-sim authenticates nobody; the identity is what the request
// claims (Impersonate-User) or the admin.
struct UserInfo {
  std::string username = "system:admin";
  std::string uid{};
  std::vector<std::string> groups{"system:masters", "system:authenticated"};
};

struct AdmissionRequest {
  Operation operation = Operation::kCreate;
  ResourcePtr resource;
  std::string subresource{};
  std::string namespace_{};
  std::string name{};  // empty on CREATE with generateName (mutating phase)
  // The object being written, in its served form; mutating plugins edit it in place. Null for
  // DELETE.
  kube::json::Document* object = nullptr;
  // The stored object for UPDATE and DELETE.
  const kube::json::Value* old_object = nullptr;
  // CreateOptions / UpdateOptions / DeleteOptions as sent (may be null).
  const kube::json::Value* options = nullptr;
  bool dry_run = false;
  UserInfo user{};
  // Warnings for the client (Warning: 299 headers).
  std::vector<std::string>* warnings = nullptr;
};

class AdmissionPlugin {
 public:
  virtual ~AdmissionPlugin() = default;
  virtual std::string_view name() const = 0;
  // Mutating phase; may edit *request.object. An error rejects the request.
  virtual ApiStatus admit(AdmissionRequest& request);
  // Validating phase; sees the final object. An error rejects the request.
  virtual ApiStatus validate(const AdmissionRequest& request);
};

// The built-in plugins, in the apiserver's order. `api` resolves namespaces, service accounts
// and priority classes.
std::vector<std::shared_ptr<AdmissionPlugin>> builtin_admission_plugins(ObjectApi& api);

}  // namespace berth::sim
