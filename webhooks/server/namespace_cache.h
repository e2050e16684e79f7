// NamespaceCache: every Namespace of the cluster in a kube::Informer, as the webhooks'
// NamespaceLookup. A namespace created a moment before its first pod may not be cached yet; the
// webhooks then treat it as unlabelled (no namespace opt-in, the default policy mode).
#pragma once

#include "kube/cache/informer.h"
#include "kube/client/client.h"
#include "webhooks/admission/namespace_labels.h"

namespace berth::webhooks {

class NamespaceCache final : public NamespaceLookup {
 public:
  // `client` must outlive the cache.
  explicit NamespaceCache(kube::Client& client);

  void start() { informer_.start(); }
  void stop() { informer_.stop(); }
  // True once the first list is cached (a /readyz check).
  bool synced() const { return informer_.has_synced(); }

  kube::Object get(std::string_view name) const override { return informer_.store().get(name); }

 private:
  kube::Informer informer_;
};

}  // namespace berth::webhooks
