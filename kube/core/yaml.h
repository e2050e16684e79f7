// YAML 1.2 (as Kubernetes writes it: kubeconfig, manifests, apply-patch+yaml bodies) to JSON.
// Plain scalars resolve to null/bool/int/float as in the YAML core schema; quoted scalars stay
// strings. Anchors and aliases are expanded; recursion depth is bounded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"

namespace kube::yaml {

// One document. Errors are kParse with the line and column.
Result<json::Document> to_json(std::string_view text);
// Every document of a multi-document stream ("---" separated); empty documents are skipped.
Result<std::vector<json::Document>> to_json_all(std::string_view text);
// Block-style YAML for a JSON value (kubectl -o yaml style; strings quoted when needed).
std::string from_json(const json::Value& value);

}  // namespace kube::yaml
