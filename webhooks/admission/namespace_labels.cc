#include "webhooks/admission/namespace_labels.h"

#include <mutex>

namespace berth::webhooks {

Labels labels_from_json(const kube::json::Value* labels) {
  Labels out;
  if (labels == nullptr || !labels->IsObject()) return out;
  for (const auto& m : labels->GetObject()) {
    if (m.value.IsString()) {
      out.emplace(std::string(kube::json::as_string(m.name)),
                  std::string(kube::json::as_string(m.value)));
    }
  }
  return out;
}

std::shared_ptr<const Labels> NamespaceLabelMap::labels(std::string_view namespace_) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(namespace_);
  return it == entries_.end() ? nullptr : it->second;
}

void NamespaceLabelMap::set(std::string name, Labels labels) {
  auto value = std::make_shared<const Labels>(std::move(labels));
  std::unique_lock lock(mu_);
  entries_[std::move(name)] = std::move(value);
}

void NamespaceLabelMap::remove(std::string_view name) {
  std::unique_lock lock(mu_);
  if (auto it = entries_.find(name); it != entries_.end()) entries_.erase(it);
}

void NamespaceLabelMap::replace_all(NamespaceMap entries) {
  std::unique_lock lock(mu_);
  entries_.swap(entries);
}

std::size_t NamespaceLabelMap::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

}  // namespace berth::webhooks
