// RolloutReconciler: reads a Rollout and what belongs to it from the informer caches, takes the
// analysis measurements that are due, asks the planner what to do, and writes it - status
// first, then the ReplicaSets, the Deployment and the Service selectors, each write
// conditional on the version it was decided on. Nothing is remembered in memory but the
// expectations (writes the caches have not shown yet), so a restarted controller carries on
// from what it last wrote.
//
// One reconcile:
//   1. the Rollout, its spec parsed (invalid: status InvalidSpec, stop);
//   2. with a workloadRef: the finalizer, then the Deployment claimed (annotations), refused
//      when another Rollout manages it;
//   3. observation: ReplicaSets it controls, the Deployment, Services, pods by revision;
//   4. the action annotation: removed once the status shows it applied;
//   5. analysis measurements due (pod checks from the cache, HTTP checks through the prober);
//   6. plan() and its writes; events; requeue at the plan's next deadline.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "controllers/rollout/expectations.h"
#include "controllers/rollout/http_prober.h"
#include "controllers/rollout/planner.h"
#include "controllers/rollout/spec.h"
#include "kube/cache/informer.h"
#include "kube/client/client.h"
#include "kube/controller/reconciler.h"
#include "kube/events/event_recorder.h"

namespace berth::rollout {

// Index names the reconciler reads (registered by add_rollout_controller).
inline constexpr std::string_view kPodsByRolloutIndex = "berth.dev/rollout";
inline constexpr std::string_view kRolloutsByServiceIndex = "rollout.services";
inline constexpr std::string_view kRolloutsByDeploymentIndex = "rollout.workloadRef";

// "namespace/<berth.dev/rollout label>" of a pod or ReplicaSet.
std::vector<std::string> rollout_of_labelled(const kube::Object& object);
// "namespace/<service>" for each Service a Rollout names.
std::vector<std::string> services_of_rollout(const kube::Object& rollout);
// "namespace/<deployment>" of a Rollout's workloadRef.
std::vector<std::string> deployment_of_rollout(const kube::Object& rollout);

struct RolloutInformers {
  kube::Informer& rollouts;
  kube::Informer& replica_sets;  // indexed by kube::indexers::kOwnerUid
  kube::Informer& services;
  kube::Informer& pods;  // indexed by kPodsByRolloutIndex
  kube::Informer& deployments;
};

class RolloutReconciler final : public kube::Reconciler {
 public:
  // `client`, the informers and `events` must outlive the reconciler.
  RolloutReconciler(kube::Client& client, RolloutInformers informers, kube::EventRecorder& events,
                    std::shared_ptr<HttpProber> prober, std::shared_ptr<Expectations> expectations,
                    std::function<kube::SystemTime()> wall_clock = {});

  kube::Result<kube::ReconcileResult> reconcile(const kube::Request& request,
                                                const kube::ReconcileContext& context) override;

 private:
  struct Pass;

  kube::Result<kube::ReconcileResult> run(Pass& pass);
  kube::Result<kube::ReconcileResult> blocked(Pass& pass, const std::string& reason,
                                              const std::string& message);
  kube::Result<kube::ReconcileResult> handle_deployment(Pass& pass, bool& done);
  void observe(Pass& pass);
  std::vector<Measurement> measure(Pass& pass);
  kube::Result<kube::ReconcileResult> apply(Pass& pass, const Plan& plan);
  kube::Status write_status(Pass& pass, const RolloutStatus& status);
  kube::Status checked(Pass& pass);

  kube::Client& client_;
  RolloutInformers informers_;
  kube::EventRecorder& events_;
  std::shared_ptr<HttpProber> prober_;
  std::shared_ptr<Expectations> expectations_;
  std::function<kube::SystemTime()> wall_clock_;
};

}  // namespace berth::rollout
