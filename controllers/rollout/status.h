// RolloutStatus: everything the controller remembers between reconciles. It lives only in the
// Rollout's status subresource (plus the ReplicaSets and Service selectors themselves), so a
// controller that is killed at any point and restarted carries on from what it last wrote.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/time.h"

namespace berth::rollout {

enum class Phase { kProgressing, kPaused, kHealthy, kDegraded, kAborted };
std::string_view phase_name(Phase phase);

// metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  kube::SystemTime last_transition{};
  std::int64_t observed_generation = 0;
};

// Sets (or adds) a condition; lastTransitionTime moves only when the status changes.
void set_condition(std::vector<Condition>& conditions, std::string_view type,
                   std::string_view status, std::string_view reason, std::string_view message,
                   kube::SystemTime now, std::int64_t generation);
const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type);

struct CheckStatus {
  std::string name;
  int measurements = 0;
  int successes = 0;
  int failures = 0;
  std::optional<kube::SystemTime> last_measured;
  std::string message;  // of the last measurement
};

enum class RunPhase { kRunning, kSuccessful, kFailed };
std::string_view run_phase_name(RunPhase phase);

// One analysis: "background", "prePromotion" or "step-<index>", for one revision.
struct AnalysisRun {
  std::string name;
  std::string revision;  // template hash
  RunPhase phase = RunPhase::kRunning;
  kube::SystemTime started{};
  std::string message;
  std::vector<CheckStatus> checks;
};

struct AbortInfo {
  std::string revision;  // the template hash that was aborted
  std::string reason;    // AnalysisFailed, ProgressDeadlineExceeded, AbortRequested
  std::string message;
  kube::SystemTime at{};
};

// One line of the revision history: what changed, why, and who or what asked for it.
struct HistoryEntry {
  int revision = 0;
  std::string hash;
  // NewRevision, Promoted, Aborted, Retried, PromoteRequested, PromoteFullRequested,
  // AbortRequested, RollbackRequested
  std::string event;
  std::string reason;
  std::string by;  // requester from the action annotation, the change-cause, or the controller
  kube::SystemTime at{};
};

// A replaced blue-green revision kept at full size until `at` (scaleDownDelaySeconds).
struct ScaleDownDeadline {
  std::string workload;  // Workload::id()
  kube::SystemTime at{};
};

// A rollback that was requested and whose template write may still be pending.
struct PendingRollback {
  int revision = 0;
  std::string hash;
};

struct RolloutStatus {
  std::int64_t observed_generation = 0;
  Phase phase = Phase::kProgressing;
  std::string message;

  std::string stable_hash;  // the revision serving behind the stable/active Service
  std::string canary_hash;  // the desired revision (equal to stable_hash once promoted)
  int current_step_index = 0;
  std::optional<kube::SystemTime> step_started;
  std::optional<kube::SystemTime> last_progress;

  int replicas = 0;  // pods of every revision
  int ready_replicas = 0;
  int available_replicas = 0;
  int updated_replicas = 0;  // pods of the desired revision
  int updated_available_replicas = 0;
  int stable_available_replicas = 0;
  std::string selector;  // for the scale subresource (HPA)

  std::optional<AbortInfo> abort;
  std::string promote_full_hash;  // steps and analysis skipped for this revision
  std::string promoted_hash;      // blue-green: promotion requested for this revision
  std::optional<PendingRollback> pending_rollback;
  std::string action_ack;  // the action annotation value last applied
  std::optional<kube::SystemTime> degraded_since;

  std::vector<AnalysisRun> analysis_runs;
  std::vector<HistoryEntry> history;
  std::vector<ScaleDownDeadline> scale_down_deadlines;
  std::vector<Condition> conditions;

  // Lenient: what the controller wrote before, but a user may have edited it, so missing or
  // mistyped fields take their defaults instead of failing.
  static RolloutStatus from_json(const kube::json::Value* status);
  kube::json::Document to_json() const;

  AnalysisRun* find_run(std::string_view name);
  const AnalysisRun* find_run(std::string_view name) const;
};

// Structural equality of the JSON forms (what decides whether a status write is needed).
bool same_status(const RolloutStatus& a, const RolloutStatus& b);

}  // namespace berth::rollout
