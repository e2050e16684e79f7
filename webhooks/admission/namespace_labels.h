// Namespace lookups for the webhooks' opt-in (berth.dev/injection) and policy mode
// (berth.dev/policy-mode) decisions: AdmissionReviews do not carry the namespace's labels.
// berth-webhooks answers from a Namespace informer (server/namespace_cache.h); tests use the
// in-memory NamespaceLabelMap.
#pragma once

#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "kube/api/object.h"

namespace berth::webhooks {

using Labels = std::map<std::string, std::string, std::less<>>;

class NamespaceLookup {
 public:
  virtual ~NamespaceLookup() = default;
  // The Namespace (the webhooks read its metadata.labels), or a null Object when it is not
  // known (yet). Thread-safe; must not block.
  virtual kube::Object get(std::string_view name) const = 0;
};

// Namespaces held in memory, set by name and labels. Thread-safe.
class NamespaceLabelMap final : public NamespaceLookup {
 public:
  kube::Object get(std::string_view name) const override;

  void set(const std::string& name, const Labels& labels);
  void remove(std::string_view name);

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, kube::Object, std::less<>> entries_;
};

}  // namespace berth::webhooks
