// Server-side apply and metadata.managedFields bookkeeping, as kube-apiserver 1.26 does them
// (a simplified structured-merge-diff driven by the field table of kube/patch/schema.h).
//
// Ownership: every entry of metadata.managedFields names a manager, an operation (Apply or
// Update), an apiVersion, the time of its last change and the set of fields it owns
// (field_set.h). An apply sets exactly the fields of its configuration: fields it set before
// and no longer sets are removed from the object unless another manager owns them; setting a
// field another manager owns to a different value is a conflict (409) unless forced, which
// moves the ownership. Non-apply writes (create, update, merge/JSON/strategic patches) take
// ownership of what they changed (operation Update).
//
// Differences from the apiserver, by design: all managers are treated as speaking one
// apiVersion (no conversion between versions); the kubectl last-applied-configuration
// annotation is not maintained; objects that a removal leaves empty are removed rather than
// set to null; configuration type errors are kInvalid (422).
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"
#include "kube/core/time.h"

namespace kube::patch {

struct FieldManagerOptions {
  // "" for the object itself, else the subresource written ("status", "scale"): recorded in
  // the managedFields entry, and (for track_update) the managedFields of the new object are
  // ignored as the apiserver ignores them on subresources.
  std::string subresource;
  // Dotted field paths this write may not set and through which nobody gains ownership: the
  // apiserver's reset fields, e.g. {"status"} for the main resource of a kind with a status
  // subresource, {"spec"} for its /status. Apply keeps the live values of these fields.
  std::vector<std::string> ignored_fields;
  // The kind for track_update when the object has no "kind" member (list items).
  std::string kind;
};

// Server-side apply of `applied` (the configuration, already converted from YAML) by
// `manager` onto `live` (nullptr: the object does not exist yet and is created from the
// configuration). `kind` selects the field table; `api_version` is the version the request
// addressed ("v1", "apps/v1") and must equal the configuration's apiVersion. Returns the new
// object with updated metadata.managedFields; `now` stamps the entries that changed. The
// result carries everything else of `live` (status, defaults) untouched, and is equal to `live`
// apart from managedFields when the apply changes nothing.
// Errors: kConflict (409) with one cause per conflicting field (reason FieldManagerConflict,
// message `conflict with "<manager>"`, field path) and the apiserver's message; kBadRequest
// (400) for a wrong apiVersion or a configuration carrying managedFields; kInvalid (422) for an
// empty manager or a configuration that does not fit the field table (for example a keyed list
// element without its key); code 500 for live managedFields that cannot be decoded.
Result<json::Document> server_side_apply(const json::Value* live, const json::Value& applied,
                                         std::string_view manager, bool force,
                                         std::string_view kind, std::string_view api_version,
                                         SystemTime now, const FieldManagerOptions& options = {});

// managedFields for a non-apply write: `new_object` is what will be stored (after defaulting,
// before the storage strategy adds its own fields), `old_object` the stored object or nullptr
// for a create. The manager takes the fields the write added or changed (operation Update,
// merged into its earlier Update entry for the same apiVersion and subresource); other
// managers lose what was changed or removed; at most 10 Update entries are kept (older ones
// merge into "ancient-changes"). Like the apiserver, an update of an object that has no
// managedFields keeps it without any, and a failure to compute them drops them instead of
// failing the write. The managedFields of `new_object` are used when present and valid (a
// client may set them; [] or [{}] resets them), else those of `old_object`.
json::Document track_update(const json::Value& new_object, const json::Value* old_object,
                            std::string_view manager, std::string_view api_version, SystemTime now,
                            const FieldManagerOptions& options = {});

// The manager recorded when a request names none (?fieldManager= absent): the User-Agent up
// to its first '/', printable characters only, at most 128 bytes ("kubectl", "Go-http-client").
std::string manager_from_user_agent(std::string_view user_agent);

}  // namespace kube::patch
