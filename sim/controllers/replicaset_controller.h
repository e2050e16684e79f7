// ReplicaSetController: kube-controller-manager's ReplicaSet controller, in-process.
//  - keeps spec.replicas active pods (not finished, not being deleted): creates missing ones
//    from the template (generateName "<rs>-", controller ownerReference with
//    blockOwnerDeletion) in slow-start batches of 1, 2, 4, ... (at most 500 per sync), and
//    deletes surplus ones, preferring unscheduled, then pending, then unready, then pods
//    doubled up on a node, then the most recently ready, most restarted and newest;
//  - expectations: no second round of creations or deletions until the cache has seen the
//    first (see expectations.h), which is what keeps it from double-creating under a lagging
//    cache or failing API calls;
//  - adopts orphan pods matching its selector and releases owned pods that stopped matching;
//  - status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas (ready for
//    minReadySeconds; resynced when a pod becomes available), observedGeneration, and the
//    ReplicaFailure condition while creating or deleting fails;
//  - events SuccessfulCreate, SuccessfulDelete, FailedCreate, FailedDelete.
// Acts as system:serviceaccount:kube-system:replicaset-controller (manager
// kube-controller-manager).
#pragma once

#include <memory>
#include <string>

#include "sim/cluster/event_recorder.h"
#include "sim/cluster/local_client.h"
#include "sim/cluster/local_informer.h"
#include "sim/controllers/expectations.h"
#include "sim/controllers/work_loop.h"

namespace berth::sim {

class ReplicaSetController {
 public:
  ReplicaSetController(LocalClient client, LocalInformer& informer, EventSink& events, int workers);
  // Registers handlers and indexes; before the informer starts.
  void register_handlers();
  void start();
  void stop();

  const Expectations& expectations() const { return expectations_; }
  // Pod creations asked of the API server so far (tests compare it with what exists).
  std::uint64_t creations() const { return creations_.load(); }

 private:
  SyncResult sync(const std::string& key);
  void on_pod(const LocalEvent& event);
  void on_replicaset(const LocalEvent& event);
  void pod_deleted(const kube::Object& pod);
  // The ReplicaSet a pod's controller reference names, if it is in the cache with that uid.
  kube::Object owner_of(const kube::Object& pod) const;
  void enqueue_matching(const kube::Object& pod);
  ApiStatus manage(const kube::Object& rs, const std::vector<kube::Object>& pods,
                   std::int64_t replicas);
  kube::json::Document pod_from_template(const kube::Object& rs) const;

  LocalClient client_;
  LocalInformer& informer_;
  EventRecorder recorder_;
  ResourcePtr pods_;
  ResourcePtr replicasets_;
  Expectations expectations_;
  std::atomic<std::uint64_t> creations_{0};
  WorkLoop loop_;
};

}  // namespace berth::sim
