// The patch formats of the Kubernetes API, applied to JSON documents in place:
// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch. Also creates
// RFC 6902 patches (what admission webhooks return).
#pragma once

#include <string>
#include <string_view>

#include "kube/core/json.h"
#include "kube/core/result.h"

namespace kube::patch {

// RFC 7386: objects merge recursively, null deletes, everything else replaces.
Status apply_merge_patch(json::Document& target, const json::Value& patch);

// RFC 6902 operations add/remove/replace/move/copy/test with RFC 6901 pointers (~0, ~1).
// On any failure the target is left unchanged and the error is kInvalid with a message naming
// the failing operation index and path.
Status apply_json_patch(json::Document& target, const json::Value& operations);

// An RFC 6902 patch (a JSON array) that turns `from` into `to`. Objects are diffed member by
// member; arrays of equal length element-wise, otherwise replaced whole, except that a pure
// append becomes "add .../-" operations. Applying the result to `from` yields `to`.
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
// `kind` is the object's kind ("Deployment", "Pod", ...): it selects where pod templates sit.
// Unknown kinds (custom resources) are rejected with kUnsupportedMediaType, as the apiserver
// does (custom resources accept only merge, JSON and apply patches).
Status apply_strategic_merge_patch(json::Document& target, const json::Value& patch,
                                   std::string_view kind);

}  // namespace kube::patch
