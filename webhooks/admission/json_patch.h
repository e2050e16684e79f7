// The RFC 6902 patch a mutating webhook returns: the difference between the object it was sent
// and the object it wants stored.
#pragma once

#include "kube/core/json.h"

namespace berth::webhooks {

// Like kube::patch::create_json_patch (objects member by member, pointer tokens escaped with ~0
// and ~1, type changes replaced), except for arrays: the common prefix is diffed element by
// element and only then are elements appended ("add .../-") or removed from the end. So a
// container that gains a volumeMount while a sidecar container is appended costs two "add"
// operations, not a replace of the whole containers list that would also rewrite every field
// of every container. Paths always exist in `from` when their operation runs, so the patch
// applies to the original object.
kube::json::Document minimal_json_patch(const kube::json::Value& from, const kube::json::Value& to);

// True when some object in `value` repeats a member name. JSON leaves such documents without a
// meaning (Go's decoder keeps the last, RapidJSON's lookups find the first), so no patch
// computed for one can be trusted; kube-apiserver never sends them.
bool has_duplicate_members(const kube::json::Value& value);

}  // namespace berth::webhooks
