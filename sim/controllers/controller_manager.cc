#include "sim/controllers/controller_manager.h"

namespace berth::sim {

ControllerManager::ControllerManager(LocalClient client, LocalInformer& informer, EventSink& events,
                                     ControllerManagerOptions options)
    : replicasets_(client, informer, events, options.replicaset_workers),
      deployments_(client, informer, events, options.deployment_workers) {}

void ControllerManager::register_handlers() {
  replicasets_.register_handlers();
  deployments_.register_handlers();
}

void ControllerManager::start() {
  replicasets_.start();
  deployments_.start();
}

void ControllerManager::stop() {
  deployments_.stop();
  replicasets_.stop();
}

}  // namespace berth::sim
