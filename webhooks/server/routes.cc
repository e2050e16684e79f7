#include "webhooks/server/routes.h"

#include "webhooks/crds/berth_validator.h"
#include "webhooks/pods/pod_mutator.h"
#include "webhooks/pods/pod_validator.h"

namespace berth::webhooks {

std::vector<Route> berth_routes(std::shared_ptr<const WebhooksConfig> config,
                                const NamespaceLookup& namespaces) {
  std::vector<Route> routes;
  routes.push_back({std::string(kMutatePodsPath), "mutate-pods",
                    std::make_shared<PodMutator>(config, namespaces)});
  routes.push_back({std::string(kValidatePodsPath), "validate-pods",
                    std::make_shared<PodValidator>(config, namespaces)});
  routes.push_back(
      {std::string(kValidateBerthPath), "validate-berth", std::make_shared<BerthValidator>()});
  return routes;
}

}  // namespace berth::webhooks
