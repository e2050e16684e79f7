// Wiring of the ConfigMap hash sample into a Manager: the whole of "which kinds, which
// indexes, which mapping" in one function, shared by main.cc and the integration tests.
#pragma once

#include "kube/controller/controller.h"
#include "kube/manager/manager.h"

namespace berth::samples {

// Reconciles Deployments; a ConfigMap event maps (through a Deployment index) to the
// Deployments that follow it.
kube::Controller& add_config_hash_controller(kube::Manager& manager, int workers = 2);

}  // namespace berth::samples
