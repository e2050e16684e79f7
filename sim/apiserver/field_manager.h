// FieldManager: keeps metadata.managedFields as the apiserver's field manager does, and runs
// server-side apply. ObjectApi calls it for every write; the implementation delegates to
// kube/patch's apply engine.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kube/core/json.h"
#include "kube/core/time.h"
#include "sim/apiserver/api_error.h"

namespace berth::sim {

struct ManagerInfo {
  std::string manager;      // fieldManager, or the User-Agent up to its first '/'
  std::string api_version;  // of the request ("v1", "apps/v1")
  std::string subresource;  // "" or "status", "scale"
  kube::SystemTime time{};
};

class FieldManager {
 public:
  virtual ~FieldManager() = default;

  // An Update operation (create, PUT, non-apply PATCH): `object` gets managedFields that
  // record what `who` set or changed relative to `old` (null on create). Entries left with no
  // fields are dropped; `old`'s entries are carried over otherwise.
  virtual ApiStatus update(kube::json::Document& object, const kube::json::Value* old,
                           const ManagerInfo& who) = 0;

  // An Apply operation: merges the applied configuration `applied` into `live` (null when the
  // object does not exist yet) and returns the result with managedFields updated. Conflicts
  // with other managers are 409 with FieldManagerConflict causes unless `force`.
  virtual ApiResult<kube::json::Document> apply(const kube::json::Value* live,
                                                const kube::json::Value& applied,
                                                const ManagerInfo& who, bool force) = 0;
};

}  // namespace berth::sim
