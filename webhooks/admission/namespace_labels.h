// NamespaceLabels: the labels of every namespace, as the webhooks need them for opt-in
// (berth.dev/injection) and policy mode (berth.dev/policy-mode) decisions. AdmissionReviews do
// not carry them, so a watch keeps this map current (server/namespace_watch.h); tests fill it
// directly.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "kube/core/json.h"

namespace berth::webhooks {

using Labels = std::map<std::string, std::string, std::less<>>;

// Labels from a metadata.labels JSON object (non-string values are skipped); {} for nullptr.
Labels labels_from_json(const kube::json::Value* labels);

// Read side, as the webhooks see it.
class NamespaceLookup {
 public:
  virtual ~NamespaceLookup() = default;
  // The namespace's labels, or nullptr when the namespace is not known (yet). Thread-safe.
  virtual std::shared_ptr<const Labels> labels(std::string_view namespace_) const = 0;
};

// A thread-safe map namespace -> labels. Readers share the stored label sets (no copy per
// request); a writer replaces a namespace's set or the whole map at once.
using NamespaceMap = std::map<std::string, std::shared_ptr<const Labels>, std::less<>>;

class NamespaceLabelMap final : public NamespaceLookup {
 public:
  std::shared_ptr<const Labels> labels(std::string_view namespace_) const override;

  void set(std::string name, Labels labels);
  void remove(std::string_view name);
  // Replaces every entry (after a relist).
  void replace_all(NamespaceMap entries);
  std::size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  NamespaceMap entries_;
};

}  // namespace berth::webhooks
