// Wiring of the rollout controller into a Manager: which kinds it watches and how their
// events map to Rollouts, the indexes it reads, and its reconciler.
#pragma once

#include <functional>
#include <memory>

#include "controllers/rollout/http_prober.h"
#include "kube/controller/controller.h"
#include "kube/core/time.h"
#include "kube/manager/manager.h"

namespace berth::rollout {

struct RolloutControllerOptions {
  int workers = 4;
  // The HTTP analysis client; make_http_prober() when null.
  std::shared_ptr<HttpProber> prober{};
  // Wall-clock time for the status and analysis schedule; system_clock when unset.
  std::function<kube::SystemTime()> wall_clock{};
};

// Reconciles Rollouts. Watches their ReplicaSets (owner references), their pods (the
// berth.dev/rollout label), the Services they name and the Deployments they reference.
kube::Controller& add_rollout_controller(kube::Manager& manager,
                                         RolloutControllerOptions options = {});

}  // namespace berth::rollout
