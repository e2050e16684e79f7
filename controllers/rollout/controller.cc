#include "controllers/rollout/controller.h"

#include <string>
#include <vector>

#include "controllers/rollout/expectations.h"
#include "controllers/rollout/names.h"
#include "controllers/rollout/reconciler.h"
#include "kube/cache/indexers.h"

namespace berth::rollout {

kube::Controller& add_rollout_controller(kube::Manager& manager, RolloutControllerOptions options) {
  // Only the controller's own ReplicaSets and pods are cached: they carry the rollout label.
  const kube::InformerScope labelled{.label_selector = std::string(kRolloutLabel)};
  kube::SharedInformerFactory& factory = manager.informers();
  kube::Informer& rollouts = factory.informer(kRollouts);
  kube::Informer& replica_sets = factory.informer(kube::resources::kReplicaSets, labelled);
  kube::Informer& pods = factory.informer(kube::resources::kPods, labelled);
  kube::Informer& services = factory.informer(kube::resources::kServices);
  kube::Informer& deployments = factory.informer(kube::resources::kDeployments);
  replica_sets.add_index(std::string(kube::indexers::kOwnerUid), kube::indexers::owner_uid);
  pods.add_index(std::string(kPodsByRolloutIndex), rollout_of_labelled);
  rollouts.add_index(std::string(kRolloutsByServiceIndex), services_of_rollout);
  rollouts.add_index(std::string(kRolloutsByDeploymentIndex), deployment_of_rollout);

  auto expectations = std::make_shared<Expectations>(kube::Clock::real());
  auto by_index = [&rollouts](std::string_view index) {
    return [&rollouts, index](const kube::Object& object) {
      std::vector<kube::Request> out;
      for (const std::string& key : rollouts.store().index_keys(index, object.key())) {
        out.push_back(kube::Request::from_key(key));
      }
      return out;
    };
  };
  auto labelled_owner = [](const kube::Object& object) {
    std::vector<kube::Request> out;
    for (const std::string& key : rollout_of_labelled(object)) {
      out.push_back(kube::Request::from_key(key));
    }
    return out;
  };

  auto reconciler = std::make_shared<RolloutReconciler>(
      manager.client(), RolloutInformers{rollouts, replica_sets, services, pods, deployments},
      manager.event_recorder(), options.prober ? options.prober : make_http_prober(), expectations,
      options.wall_clock);
  return manager
      .controller("rollout")
      // Every event of every source passes here first: it fulfils the expectations of the
      // write that caused it.
      .with_event_filter([expectations](const kube::Object*, const kube::Object& object) {
        expectations->observe(object);
        return true;
      })
      .for_(kRollouts)
      .owns(kube::resources::kReplicaSets, labelled)
      .watches(kube::resources::kPods, labelled_owner, labelled)
      .watches(kube::resources::kServices, by_index(kRolloutsByServiceIndex))
      .watches(kube::resources::kDeployments, by_index(kRolloutsByDeploymentIndex))
      .workers(options.workers)
      .complete(std::move(reconciler));
}

}  // namespace berth::rollout
