// Planner: the rollout state machine as a pure function. Given the Rollout (spec, last written
// status, requested action), what was observed of its workloads, Services and pods, the
// analysis measurements just taken and the time, it computes the next status and the writes
// that move the world toward it. It does no I/O, so every decision is unit-tested and
// simulated tick by tick (tests/unit/controllers/rollout/planner_sim_test.cc).
//
// Zero-downtime invariant. Call "serving" the pods that carry production traffic: for canary,
// the pods of every revision (the Rollout's selector, which the application's Service uses,
// matches them all; the weight is the replica ratio); for blue-green, the pods of the revision
// the active Service selects (all revisions while it is not pinned yet). With
// floor = replicas - maxUnavailable, no plan takes serving available pods below
// min(floor, serving available now), in the worst case of every removed pod being an
// available one that the ReplicaSet controller would not have picked first. That holds while
// steps advance, on scale changes, on abort and on rollback. A Service is pointed at a
// revision only when that revision has the pods the Service needs available (or at least as
// many as the revision it selects now).
//
// Plans are idempotent: written state (status, ReplicaSets, selectors) is the only memory, so a
// plan applied in part, or computed again after a crash, is as safe as the full one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controllers/rollout/analysis.h"
#include "controllers/rollout/spec.h"
#include "controllers/rollout/status.h"
#include "controllers/rollout/world.h"
#include "kube/core/json.h"
#include "kube/core/time.h"

namespace berth::rollout {

struct PlanInput {
  std::string name;  // the Rollout's name; its ReplicaSets are <name>-<hash>
  const RolloutSpec* spec = nullptr;
  // The pod template of the desired revision: spec.template, or the workloadRef Deployment's.
  const kube::json::Value* pod_template = nullptr;
  int replicas = 1;  // desired pods (spec.replicas, or the Deployment's original count)
  std::int64_t generation = 0;
  std::string change_cause;  // the Rollout's kubernetes.io/change-cause annotation
  RolloutStatus status;      // as last written
  Observed observed;
  std::optional<std::string> action;      // the berth.dev/rollout-action annotation, when set
  std::vector<Measurement> measurements;  // for due_measurements(spec, status, now)
  kube::SystemTime now{};
  std::optional<kube::SystemTime> deletion;  // metadata.deletionTimestamp
};

struct CreateReplicaSet {
  std::string name;
  std::string hash;
  int replicas = 0;
  int revision = 0;
  std::string change_cause;
};

struct ScaleWorkload {
  Workload::Kind kind = Workload::Kind::kReplicaSet;
  std::string name;
  int from = 0;
  int to = 0;
};

struct SetRevision {
  std::string replica_set;
  int revision = 0;
};

struct PinService {
  std::string service;
  std::string hash;  // empty: remove the pin (hand the Service back to its own selector)
};

struct EventRecord {
  bool warning = false;
  std::string reason;
  std::string message;
};

struct Plan {
  RolloutStatus status;
  std::vector<CreateReplicaSet> creates;
  std::vector<ScaleWorkload> scales;
  std::vector<SetRevision> revisions;
  std::vector<PinService> services;
  std::vector<std::string> deletes;  // ReplicaSets beyond revisionHistoryLimit
  // A rollback: the template to write into spec.template (or the workloadRef Deployment).
  std::optional<kube::json::Document> rollback_template;
  std::vector<EventRecord> events;
  // When to look again if nothing changes before (pause end, measurement, deadline).
  std::optional<std::chrono::milliseconds> requeue_after;
  // Deletion: the Deployment serves again; hand it back and remove the finalizer.
  bool release = false;

  bool has_writes() const {
    return !creates.empty() || !scales.empty() || !revisions.empty() || !services.empty() ||
           !deletes.empty() || rollback_template.has_value() || release;
  }
};

Plan plan(const PlanInput& input);

// The status of a Rollout whose spec does not validate: phase Degraded and an InvalidSpec
// condition carrying the message; nothing else changes.
RolloutStatus invalid_spec_status(const RolloutStatus& status, std::int64_t generation,
                                  std::string_view message, kube::SystemTime now);

}  // namespace berth::rollout
