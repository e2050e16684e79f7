#include "webhooks/admission/namespace_labels.h"

#include <mutex>

#include "kube/core/json.h"

namespace berth::webhooks {

namespace json = kube::json;

kube::Object NamespaceLabelMap::get(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(name);
  return it == entries_.end() ? kube::Object() : it->second;
}

void NamespaceLabelMap::set(const std::string& name, const Labels& labels) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "apiVersion", "v1", a);
  json::set_string(doc, "kind", "Namespace", a);
  json::Value& metadata = json::ensure_object(doc, "metadata", a);
  json::set_string(metadata, "name", name, a);
  json::Value& values = json::ensure_object(metadata, "labels", a);
  for (const auto& [k, v] : labels)
    json::set_string(values, k, v, a);
  kube::Object object = kube::Object::adopt(std::move(doc));
  std::unique_lock lock(mu_);
  entries_[name] = std::move(object);
}

void NamespaceLabelMap::remove(std::string_view name) {
  std::unique_lock lock(mu_);
  if (auto it = entries_.find(name); it != entries_.end()) entries_.erase(it);
}

}  // namespace berth::webhooks
