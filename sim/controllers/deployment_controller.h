// DeploymentController: kube-controller-manager's Deployment controller, in-process.
//  - ReplicaSets named <deployment>-<pod-template-hash> with the hash in their labels,
//    selector and template; controller ownerReference; annotations
//    deployment.kubernetes.io/revision, desired-replicas and max-replicas; adoption of
//    matching orphans; a hash collision bumps status.collisionCount;
//  - RollingUpdate with maxSurge (rounded up) and maxUnavailable (rounded down), integers or
//    percentages; Recreate (old pods gone before new ones start); revisions (a rollback to an
//    old template reuses its ReplicaSet with a new revision); revisionHistoryLimit cleanup;
//    paused deployments (scaling only); proportional scaling when resized mid-rollout, which
//    also covers the scale subresource;
//  - status: observedGeneration, replicas, updated/ready/available/unavailableReplicas,
//    collisionCount, conditions Available (MinimumReplicasAvailable/Unavailable), Progressing
//    (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
//    ProgressDeadlineExceeded, DeploymentPaused/Resumed, ReplicaSetCreateError) and
//    ReplicaFailure; progressDeadlineSeconds is checked on time;
//  - events ScalingReplicaSet.
// One deliberate difference: pods are counted as max(spec, status) replicas per ReplicaSet
// for the surge bound and available replicas as min(available, spec) for the unavailability
// bound, so that maxSurge and maxUnavailable hold for observed pods at every instant even
// while the ReplicaSet controller lags (kube-controller-manager can overshoot briefly).
#pragma once

#include <string>

#include "sim/cluster/event_recorder.h"
#include "sim/cluster/local_client.h"
#include "sim/cluster/local_informer.h"
#include "sim/controllers/work_loop.h"

namespace berth::sim {

class DeploymentController {
 public:
  DeploymentController(LocalClient client, LocalInformer& informer, EventSink& events, int workers);
  void register_handlers();
  void start();
  void stop();

 private:
  struct Rollout;
  SyncResult sync(const std::string& key);
  void on_deployment(const LocalEvent& event);
  void on_replicaset(const LocalEvent& event);
  void on_pod(const LocalEvent& event);
  kube::Object owner_of(const kube::Object& rs) const;
  void enqueue_matching(const kube::Object& rs);

  // Steps of a sync (deployment controller's sync.go / rolling.go / recreate.go).
  ApiStatus claim(Rollout& r);
  ApiStatus new_and_old(Rollout& r, bool create);
  ApiStatus scale_rs(Rollout& r, std::size_t index, std::int64_t replicas);
  ApiStatus scale(Rollout& r);
  ApiResult<bool> rolling(Rollout& r);
  ApiStatus recreate(Rollout& r);
  ApiResult<std::int64_t> cleanup_unhealthy(Rollout& r, std::int64_t max_cleanup);
  ApiResult<std::int64_t> scale_down_old(Rollout& r);
  void cleanup_history(Rollout& r);
  bool old_pods_running(const Rollout& r) const;
  bool is_scaling_event(Rollout& r);
  kube::json::Document calculate_status(const Rollout& r) const;
  // Every replica updated and available.
  bool complete(const Rollout& r) const;
  ApiStatus sync_rollout_status(Rollout& r);
  ApiStatus sync_status_only(Rollout& r);
  ApiStatus check_paused(Rollout& r);
  ApiStatus persist(Rollout& r, const kube::json::Value* status);

  LocalClient client_;
  LocalInformer& informer_;
  EventRecorder recorder_;
  ResourcePtr deployments_;
  ResourcePtr replicasets_;
  ResourcePtr pods_;
  WorkLoop loop_;
};

}  // namespace berth::sim
