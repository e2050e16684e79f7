// ClusterModel: a small discrete-time model of what the rollout planner acts on - ReplicaSets
// (and a Deployment) whose pods become ready after random delays or fail in chosen ways, the
// ReplicaSet controller (which removes not-ready pods first, then the most recently ready, as
// Kubernetes' does), Service selectors, and a controller that may lose any write or crash in
// the middle of applying a plan. Tests step it one simulated second at a time and check the
// zero-downtime invariant around every reconcile.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "controllers/rollout/planner.h"
#include "controllers/rollout/spec.h"
#include "kube/core/json.h"
#include "kube/core/time.h"

namespace berth::rollout::testing {

enum class Behaviour {
  kGood,             // ready after a random delay, stays ready
  kNeverReady,       // never passes its readiness probe
  kCrashAfterReady,  // ready for a few seconds, then crash-loops (restarts, never ready again)
  kHttpFails,        // pods are fine; the HTTP analysis check fails
};

struct PodModel {
  kube::SystemTime created{};
  std::optional<kube::SystemTime> ready_at;  // when it will become (or became) ready
  std::optional<kube::SystemTime> crash_at;  // when it stops being ready for good
  bool ready = false;
  std::optional<kube::SystemTime> ready_since;
  int restarts = 0;
  bool crash_looping = false;
};

struct WorkloadModel {
  Workload::Kind kind = Workload::Kind::kReplicaSet;
  std::string name;
  std::string hash;
  int revision = 0;
  int replicas = 0;
  Behaviour behaviour = Behaviour::kGood;
  kube::json::Document pod_template;
  std::vector<PodModel> pods;
  // The status the controller sees (refreshed by the ReplicaSet controller, possibly late).
  int status_pods = 0;
  int status_ready = 0;
  int status_available = 0;
  std::int64_t generation = 1;  // bumped by every spec.replicas change
  std::int64_t observed_generation = 1;
};

struct ModelOptions {
  std::uint64_t seed = 1;
  int max_ready_delay_seconds = 8;  // good pods become ready 1..this many seconds after creation
  double write_failure = 0;         // probability that any one write fails (API error, 429)
  double crash = 0;                 // probability that the controller dies mid-plan
  double stale_status = 0;          // probability that a ReplicaSet's status is not refreshed
};

// What one reconcile did to the pods behind the serving Service(s).
struct TickResult {
  int serving_before = 0;  // ready serving pods before the plan was applied
  int serving_after = 0;   // after the plan and the ReplicaSet controller acted on it
  int floor = 0;           // replicas - maxUnavailable at this tick
  Plan plan;
};

class ClusterModel {
 public:
  // `rollout_spec_json` is a Rollout's spec (with a template whose first container's image
  // names the behaviour through behaviour_for_image).
  ClusterModel(std::string_view rollout_spec_json, ModelOptions options);

  // Pods of templates with this image behave so; others are kGood.
  void set_behaviour(std::string image, Behaviour behaviour);
  // Changes the first container's image (a new revision).
  void set_image(const std::string& image);
  void set_replicas(int replicas);
  void set_paused(bool paused);
  void set_action(std::optional<std::string> value) { action_ = std::move(value); }
  // A Deployment taken over through workloadRef: `replicas` ready pods of the current template.
  void add_deployment(const std::string& name, int replicas);
  void add_service(const std::string& name);
  void start_deletion() { deletion_ = now_; }

  // One simulated second: pods change readiness, ReplicaSet status is refreshed, the
  // controller reconciles (its writes may fail), the ReplicaSet controller acts.
  TickResult tick();

  // Ready pods behind the serving Service(s), as the test's watcher would count them.
  int serving_ready() const;
  const RolloutStatus& status() const { return status_; }
  const RolloutSpec& spec() const { return spec_; }
  int replicas() const;
  std::string desired_hash() const;
  const WorkloadModel* workload_by_hash(const std::string& hash) const;
  const WorkloadModel* deployment() const;
  std::optional<std::string> pinned(const std::string& service) const;
  int total_pods() const;
  bool released() const { return released_; }
  // Whether every write of the last reconcile went through.
  bool last_reconcile_complete() const { return last_reconcile_complete_; }
  kube::SystemTime now() const { return now_; }
  const std::vector<WorkloadModel>& workloads() const { return workloads_; }
  std::vector<EventRecord>& events() { return events_; }

 private:
  void kubelet();
  void refresh_status();
  void apply(const Plan& plan, bool& stopped);
  void converge_pods();
  PodModel new_pod(Behaviour behaviour);
  Behaviour behaviour_of(const kube::json::Value& pod_template) const;
  Observed observe() const;
  std::vector<Measurement> measure();
  bool write_ok();
  void reparse_spec();

  ModelOptions options_;
  std::mt19937_64 rng_;
  kube::json::Document spec_json_;
  RolloutSpec spec_;
  RolloutStatus status_;
  std::int64_t generation_ = 1;
  std::optional<std::string> action_;
  std::optional<kube::SystemTime> deletion_;
  bool released_ = false;
  bool last_reconcile_complete_ = true;
  std::optional<int> deployment_replicas_;
  kube::SystemTime now_;
  std::vector<WorkloadModel> workloads_;
  std::map<std::string, std::optional<std::string>> services_;
  std::map<std::string, Behaviour> behaviours_;
  std::vector<EventRecord> events_;
};

}  // namespace berth::rollout::testing
