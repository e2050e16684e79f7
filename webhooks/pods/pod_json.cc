#include "webhooks/pods/pod_json.h"

#include <algorithm>
#include <vector>

#include "kube/core/strings.h"

namespace berth::webhooks {

namespace json = kube::json;

std::optional<std::string_view> pod_annotation(const json::Value& pod, std::string_view key) {
  const json::Value* annotations = json::find_path(pod, {"metadata", "annotations"});
  if (annotations == nullptr || !annotations->IsObject()) return std::nullopt;
  const json::Value* v = json::find(*annotations, key);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return json::as_string(*v);
}

const json::Value* pod_spec(const json::Value& pod) {
  const json::Value* spec = json::find(pod, "spec");
  return spec != nullptr && spec->IsObject() ? spec : nullptr;
}

json::Value* pod_spec(json::Value& pod) {
  json::Value* spec = json::find(pod, "spec");
  return spec != nullptr && spec->IsObject() ? spec : nullptr;
}

const json::Value* container_list(const json::Value& pod, std::string_view list) {
  const json::Value* spec = pod_spec(pod);
  const json::Value* v = spec != nullptr ? json::find(*spec, list) : nullptr;
  return v != nullptr && v->IsArray() ? v : nullptr;
}

json::Value* container_list(json::Value& pod, std::string_view list) {
  json::Value* spec = pod_spec(pod);
  json::Value* v = spec != nullptr ? json::find(*spec, list) : nullptr;
  return v != nullptr && v->IsArray() ? v : nullptr;
}

const json::Value* find_container(const json::Value& pod, std::string_view list,
                                  std::string_view name) {
  const json::Value* containers = container_list(pod, list);
  if (containers == nullptr) return nullptr;
  for (const auto& c : containers->GetArray()) {
    if (c.IsObject() && json::get_string(c, "name") == name) return &c;
  }
  return nullptr;
}

std::string pod_display_name(const json::Value& pod, std::string_view request_name) {
  if (!request_name.empty()) return std::string(request_name);
  const json::Value* metadata = json::find(pod, "metadata");
  if (metadata != nullptr) {
    if (auto name = json::get_string(*metadata, "name"); !name.empty()) return std::string(name);
    if (auto gen = json::get_string(*metadata, "generateName"); !gen.empty()) {
      return std::string(gen) + "*";
    }
  }
  return "(unnamed)";
}

std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> out;
  for (std::string_view part : kube::split(value, ',')) {
    part = kube::trim(part);
    if (part.empty()) continue;
    if (std::find(out.begin(), out.end(), part) == out.end()) out.emplace_back(part);
  }
  return out;
}

}  // namespace berth::webhooks
