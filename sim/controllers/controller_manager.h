// ControllerManager: berth-sim's kube-controller-manager - the ReplicaSet and Deployment
// controllers over one shared LocalInformer. (Garbage collection and the namespace
// controller live in the API server library.)
#pragma once

#include <memory>

#include "sim/controllers/deployment_controller.h"
#include "sim/controllers/replicaset_controller.h"

namespace berth::sim {

struct ControllerManagerOptions {
  int replicaset_workers = 2;  // kube-controller-manager: --concurrent-replicaset-syncs 5
  int deployment_workers = 2;  // --concurrent-deployment-syncs 5
};

class ControllerManager {
 public:
  ControllerManager(LocalClient client, LocalInformer& informer, EventSink& events,
                    ControllerManagerOptions options);
  // Before the informer starts.
  void register_handlers();
  void start();
  // Stops the workers (in-flight syncs finish). Idempotent.
  void stop();

  ReplicaSetController& replicasets() { return replicasets_; }
  DeploymentController& deployments() { return deployments_; }

 private:
  ReplicaSetController replicasets_;
  DeploymentController deployments_;
};

}  // namespace berth::sim
