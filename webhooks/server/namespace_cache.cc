#include "webhooks/server/namespace_cache.h"

#include "kube/api/resource.h"

namespace berth::webhooks {

NamespaceCache::NamespaceCache(kube::Client& client)
    : informer_(&client, kube::InformerOptions{.type = kube::resources::kNamespaces,
                                               .name = "webhooks-namespaces"}) {}

}  // namespace berth::webhooks
