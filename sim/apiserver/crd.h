// Custom resources: the ResourceInfos a CustomResourceDefinition serves and the strategy their
// objects follow (schema defaults, pruning, structural validation, scale accessors).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kube/core/json.h"
#include "sim/apiserver/registry.h"

namespace berth::sim {

// One ResourceInfo per served version of `crd` (a stored CustomResourceDefinition).
std::vector<ResourceInfo> crd_resources(const kube::json::Value& crd);

// "<plural>.<group>" → group and plural of a CRD object.
struct CrdNames {
  std::string group;
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
};
CrdNames crd_names(const kube::json::Value& crd);

}  // namespace berth::sim
