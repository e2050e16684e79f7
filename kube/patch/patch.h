// The patch formats of the Kubernetes API, applied to JSON documents in place:
// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch. Also creates
// RFC 6902 patches (what admission webhooks return).
//
// Contracts shared by every function here: the target is only modified on success (a failed
// patch leaves it exactly as it was); values taken from the patch are deep-copied into the
// target's allocator, so the patch document may be destroyed afterwards; nothing recurses
// deeper than the inputs do (json::parse bounds that). Errors carry the HTTP code and reason
// the apiserver would answer with. Not thread-safe on one target; distinct targets are
// independent.
#pragma once

#include <string>
#include <string_view>

#include "kube/core/json.h"
#include "kube/core/result.h"

namespace kube::patch {

// RFC 7386: objects merge recursively, null deletes, everything else replaces (a patch that is
// not an object replaces the whole target). Never fails.
Status apply_merge_patch(json::Document& target, const json::Value& patch);

// RFC 6902 operations add/remove/replace/move/copy/test with RFC 6901 pointers (~0, ~1).
// "add" takes "-" to append; "replace", "remove" and "test" need an existing target; array
// indexes are decimal without leading zeros. Errors: kBadRequest (400) when `operations` is not
// an array; otherwise kInvalid (422) with a message naming the failing operation's index, op
// and path, e.g. "json patch operation 1 (remove /data/nope): path /data/nope does not exist".
// (The apiserver answers every application failure with a generic 422 message.)
Status apply_json_patch(json::Document& target, const json::Value& operations);

// An RFC 6902 patch (a JSON array) that turns `from` into `to`. Objects are diffed member by
// member ("remove"/"add" for absent members, recursion for common ones, keys escaped with
// escape_pointer_token, so "berth.dev/injected" becomes ".../berth.dev~1injected"); arrays of
// equal length element-wise; an array that only grows at the end gets "add .../-" operations,
// one that only shrinks at the end "remove" operations from the last index down; any other
// array change and any type change is one "replace". Equal documents give []. Applying the
// result to `from` yields `to` (for documents without repeated member names in one object,
// which JSON leaves without a defined meaning).
json::Document create_json_patch(const json::Value& from, const json::Value& to);

// RFC 6901 pointer token escaping: "~" -> "~0", "/" -> "~1", and the reverse.
std::string escape_pointer_token(std::string_view token);
std::string unescape_pointer_token(std::string_view token);

// Strategic merge patch as the apiserver applies it to built-in kinds: lists with a patch merge
// key (containers, initContainers, ephemeralContainers, volumes, env, imagePullSecrets by name;
// ports by containerPort; volumeMounts by mountPath; conditions by type; ownerReferences by
// uid; ...) merge element-wise; primitive lists with strategy merge (finalizers) union; lists
// without a strategy (tolerations, args, ...) replace. Directives: $patch (replace/merge/delete),
// $setElementOrder/<list>, $deleteFromPrimitiveList/<list>, $retainKeys.
// `kind` is the object's kind ("Deployment", "Pod", ...): it selects where pod templates sit
// (the field table is kube/patch/schema.h). Unknown kinds (custom resources) are rejected with
// kUnsupportedMediaType (415) and the apiserver's message, as custom resources accept only
// merge, JSON and apply patches. Other errors as the apiserver classifies them: a malformed
// $deleteFromPrimitiveList, $retainKeys or $setElementOrder is kBadRequest (400), a list of
// lists kInvalid (422), anything else it does not classify (a missing merge key, mixed element
// types, an unknown or list-level "$patch: merge") code 500 with reason kUnknown.
// Known differences: null members inside values taken from the patch are dropped (the
// apiserver drops them when decoding into its typed object); messages quoting values print
// them as JSON rather than Go's %v.
Status apply_strategic_merge_patch(json::Document& target, const json::Value& patch,
                                   std::string_view kind);

}  // namespace kube::patch
