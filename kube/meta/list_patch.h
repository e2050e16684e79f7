// Internal to kube/meta: the JSON patch that replaces a list under metadata (finalizers,
// ownerReferences) only if it is still what the caller read, so a concurrent writer is never
// overwritten and unrelated changes (status updates) never cause a conflict.
#pragma once

#include <string>
#include <string_view>

#include "kube/api/object.h"
#include "kube/api/resource.h"
#include "kube/client/client.h"
#include "kube/core/json.h"

namespace kube::meta_detail {

// [test uid, test <list as read> (or test resourceVersion when absent), replace/add/remove
// <list>]. `list` null removes the field. The uid test keeps a write from landing on a
// recreated object of the same name.
std::string guarded_list_patch(const Object& object, std::string_view field,
                               const json::Value* list);

// Sends it. A failed test comes back from the apiserver as a 422 (kInvalid) with no causes;
// that and a 409 mean "read again and retry" and are reported as kConflict.
Result<Object> patch_list(Client& client, const ResourceType& type, const Object& object,
                          std::string_view field, const json::Value* list);

}  // namespace kube::meta_detail
