// What the planner sees of the cluster: the Rollout's workloads (its ReplicaSets and, during a
// takeover, the referenced Deployment), the Services it pins, and a per-revision summary of
// its pods. Built from informer caches by objects.h; plain values so tests can write them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kube/core/json.h"

namespace berth::rollout {

struct Workload {
  enum class Kind { kReplicaSet, kDeployment };
  Kind kind = Kind::kReplicaSet;
  std::string name;
  std::string hash;  // kReplicaSet: its berth.dev/pod-template-hash label
  int revision = 0;  // kReplicaSet: its berth.dev/revision annotation
  int replicas = 0;  // spec.replicas
  int pods = 0;      // status.replicas: pods that exist (ready or not)
  // status.readyReplicas / availableReplicas, never more than spec.replicas: after a scale
  // down the status still counts pods that are going away.
  int ready = 0;
  int available = 0;
  // status.observedGeneration has caught up with metadata.generation. When it has not, the
  // counts may predate the last scale change (pods counted there may be gone), so the planner
  // relies on none of them being available and assumes all of them might be.
  bool status_current = true;
  // kReplicaSet: spec.template, for recognising a template that came back (rollback) and for
  // rolling back to it. Owned by the caller; must outlive planning.
  const kube::json::Value* pod_template = nullptr;

  // "ReplicaSet/<name>" or "Deployment/<name>": the key of scale-down deadlines.
  std::string id() const {
    return (kind == Kind::kReplicaSet ? "ReplicaSet/" : "Deployment/") + name;
  }
};

struct ServiceState {
  bool exists = false;
  // The value of the berth.dev/pod-template-hash key in its selector, when pinned.
  std::optional<std::string> pinned_hash;
};

// The pods of one revision (by template hash).
struct RevisionPods {
  int pods = 0;
  int ready = 0;
  int max_restarts = 0;  // the highest total container restart count of one pod
  std::string max_restarts_pod;
  std::string crash_looping_pod;  // a pod with a container in CrashLoopBackOff, if any
};

struct Observed {
  std::vector<Workload> replica_sets;  // the ReplicaSets this Rollout controls
  // The workloadRef Deployment, once this Rollout has claimed it.
  std::optional<Workload> deployment;
  std::map<std::string, ServiceState, std::less<>> services;  // by name
  std::map<std::string, RevisionPods, std::less<>> pods;      // by template hash
};

}  // namespace berth::rollout
