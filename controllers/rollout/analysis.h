// Analysis: deciding which measurements are due, taking the ones that need no I/O (pod
// readiness, restarts), judging an HTTP answer against its success condition, and folding
// measurements into a run's counts and phase. The HTTP request itself is the reconciler's.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/rollout/spec.h"
#include "controllers/rollout/status.h"
#include "controllers/rollout/world.h"
#include "kube/core/error.h"
#include "kube/core/time.h"

namespace berth::rollout {

inline constexpr std::string_view kBackgroundRun = "background";
inline constexpr std::string_view kPrePromotionRun = "prePromotion";
std::string step_run_name(int step_index);  // "step-<index>"

// The checks a run of that name measures under `spec`; nullptr when the spec no longer has it.
const AnalysisSpec* analysis_for_run(const RolloutSpec& spec, std::string_view run_name);

struct MeasurementRequest {
  std::string run;
  std::string revision;
  const AnalysisCheck* check = nullptr;  // points into the RolloutSpec
};

struct Measurement {
  std::string run;
  std::string check;
  bool success = false;
  std::string message;
};

// Measurements due at `now` for the running analyses of `status.canary_hash`: each check is
// measured one interval after its run started, then every interval, until it has `count`
// measurements (background runs: for as long as they run).
std::vector<MeasurementRequest> due_measurements(const RolloutSpec& spec,
                                                 const RolloutStatus& status, kube::SystemTime now);

// podReadiness: every one of the `desired` pods of the revision is ready. restarts: no pod in
// CrashLoopBackOff and none restarted more than maxRestarts times.
Measurement measure_pods(const MeasurementRequest& request, const RevisionPods& pods, int desired);
// An HTTP answer judged by the check's success condition.
Measurement judge_http(const MeasurementRequest& request, int status_code, std::string_view body);
// A request that got no answer (refused, timed out): a failed measurement.
Measurement http_failure(const MeasurementRequest& request, const kube::Error& error);

// Adds `m` to its check in `run` and recomputes the run's phase: Failed as soon as one check
// has more than failureLimit failures; Successful once every check has `count` measurements
// (never for background runs).
void record_measurement(AnalysisRun& run, const AnalysisSpec& spec, const Measurement& m,
                        kube::SystemTime now);
// A new run for `spec`'s checks.
AnalysisRun start_run(std::string name, std::string revision, const AnalysisSpec& spec,
                      kube::SystemTime now);
// When the next measurement of a running run is due; nullopt when none is.
std::optional<kube::SystemTime> next_measurement(const AnalysisRun& run, const AnalysisSpec& spec);

}  // namespace berth::rollout
