#include "kube/cache/indexers.h"

#include "kube/core/json.h"

namespace kube::indexers {

std::vector<std::string> namespace_(const Object& object) {
  std::string_view ns = object.namespace_();
  if (ns.empty()) return {};
  return {std::string(ns)};
}

std::vector<std::string> pod_node_name(const Object& object) {
  const json::Value* spec = object.spec();
  std::string_view node = spec != nullptr ? json::get_string(*spec, "nodeName") : "";
  if (node.empty()) return {};
  return {std::string(node)};
}

std::vector<std::string> owner_uid(const Object& object) {
  const json::Value* metadata = object.metadata();
  const json::Value* refs =
      metadata != nullptr ? json::find(*metadata, "ownerReferences") : nullptr;
  std::vector<std::string> out;
  if (refs == nullptr || !refs->IsArray()) return out;
  for (const auto& ref : refs->GetArray()) {
    std::string_view uid = ref.IsObject() ? json::get_string(ref, "uid") : "";
    if (!uid.empty()) out.emplace_back(uid);
  }
  return out;
}

IndexFunc by_label(std::string key) {
  return [key = std::move(key)](const Object& object) -> std::vector<std::string> {
    auto value = object.label(key);
    if (!value) return {};
    return {std::string(*value)};
  };
}

std::string label_index_name(std::string_view key) {
  std::string name = "label:";
  name.append(key);
  return name;
}

}  // namespace kube::indexers
