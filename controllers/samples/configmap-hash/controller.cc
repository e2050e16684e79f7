#include "controllers/samples/configmap-hash/controller.h"

#include <memory>

#include "controllers/samples/configmap-hash/config_hash.h"
#include "controllers/samples/configmap-hash/reconciler.h"

namespace berth::samples {

kube::Controller& add_config_hash_controller(kube::Manager& manager, int workers) {
  kube::Informer& deployments = manager.informers().informer(kube::resources::kDeployments);
  kube::Informer& config_maps = manager.informers().informer(kube::resources::kConfigMaps);
  deployments.add_index(std::string(kByConfigMapIndex), config_map_key);

  auto followers = [&deployments](const kube::Object& config_map) {
    std::vector<kube::Request> out;
    for (const std::string& key :
         deployments.store().index_keys(kByConfigMapIndex, config_map.key())) {
      out.push_back(kube::Request::from_key(key));
    }
    return out;
  };
  return manager.controller("configmap-hash")
      .for_(kube::resources::kDeployments)
      .watches(kube::resources::kConfigMaps, followers)
      .workers(workers)
      .complete(std::make_shared<ConfigHashReconciler>(manager.client(), deployments, config_maps,
                                                       manager.event_recorder()));
}

}  // namespace berth::samples
