// RolloutSpec: the typed, validated form of a Rollout's spec (berth.dev/v1alpha1), with the
// defaults applied. parse_spec() is the one place the controller (and the validating webhook)
// turn user JSON into it; every problem is reported with its field path in the apiserver's
// wording, so the same messages appear whether the CRD schema, the webhook or the controller
// catches a mistake.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/selector.h"
#include "kube/core/error.h"
#include "kube/core/json.h"
#include "kube/core/result.h"

namespace berth::rollout {

// One validation problem, formatted like the apiserver's field.Error.
struct FieldError {
  enum class Type { kRequired, kInvalid, kForbidden, kNotSupported, kDuplicate };
  Type type = Type::kInvalid;
  std::string field;   // "spec.strategy.canary.steps[2].setWeight"
  std::string value;   // the offending value as JSON text (kInvalid, kNotSupported, kDuplicate)
  std::string detail;  // "must be between 0 and 100"

  // "spec.strategy.canary.steps[2].setWeight: Invalid value: 120: must be between 0 and 100"
  std::string to_string() const;
  // Status.details.causes[].reason: "FieldValueInvalid", ...
  std::string_view cause_reason() const;
};

// A kube::Error the apiserver would answer for an invalid object: reason Invalid, code 422,
// message `Rollout.berth.dev "<name>" is invalid: <error>` (several: "[e1, e2]"), one cause per
// error.
kube::Error invalid_error(std::string_view name, const std::vector<FieldError>& errors);

// An int-or-string that is a replica count or a percentage of the desired replicas.
struct IntOrPercent {
  int value = 0;
  bool percent = false;

  // Percentages round up for a surge and down for unavailability, as Deployments do.
  int resolve(int total, bool round_up) const;
  std::string to_string() const;
};

struct HttpHeader {
  std::string name;
  std::string value;
};

// GET `url`; success when the status code is accepted and, when `json_field` is set, that field
// of the JSON body compares as asked.
struct HttpCheck {
  std::string url;
  std::vector<HttpHeader> headers;
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
  std::vector<int> status_codes;  // empty = any 2xx
  // Dotted path into the JSON body ("checks.db.status", "items.0.ok"); empty = body ignored.
  std::string json_field;
  std::optional<std::string> equals;  // compared with the field's text (strings unquoted)
  std::optional<double> less_than;
  std::optional<double> greater_than;
};

struct AnalysisCheck {
  enum class Kind { kPodReadiness, kRestarts, kHttp };
  std::string name;
  Kind kind = Kind::kPodReadiness;
  // Measurements are taken every `interval`, the first one interval after the analysis starts.
  std::chrono::milliseconds interval{std::chrono::seconds(10)};
  // Successful measurements an analysis step or pre-promotion analysis needs (background
  // analysis keeps measuring for as long as the canary exists).
  int count = 1;
  // Failed measurements tolerated; one more fails the analysis and aborts the rollout.
  int failure_limit = 0;
  int max_restarts = 3;  // kRestarts: more restarts of any container of a pod fail a measurement
  HttpCheck http;        // kHttp
};

struct AnalysisSpec {
  std::vector<AnalysisCheck> checks;
};

struct CanaryStep {
  enum class Kind { kSetWeight, kPause, kAnalysis };
  Kind kind = Kind::kSetWeight;
  int weight = 0;                                  // kSetWeight: percent of replicas, 0..100
  std::optional<std::chrono::milliseconds> pause;  // kPause: nullopt = until promoted
  AnalysisSpec analysis;                           // kAnalysis

  std::string describe() const;  // "setWeight 20", "pause 30s", "pause", "analysis"
};

struct CanaryStrategy {
  IntOrPercent max_surge{25, true};
  IntOrPercent max_unavailable{0, false};
  std::string stable_service;  // optional
  std::string canary_service;  // optional
  std::vector<CanaryStep> steps;
  std::optional<AnalysisSpec> analysis;  // background analysis for as long as a canary runs
};

struct BlueGreenStrategy {
  std::string active_service;   // required
  std::string preview_service;  // optional
  bool auto_promotion = true;
  int scale_down_delay_seconds = 30;
  std::optional<AnalysisSpec> pre_promotion_analysis;
};

struct WorkloadRef {
  std::string api_version = "apps/v1";
  std::string kind = "Deployment";
  std::string name;
};

struct RolloutSpec {
  enum class Strategy { kCanary, kBlueGreen };

  // nullopt: 1, or with a workloadRef the Deployment's replicas before it was taken over.
  std::optional<int> replicas;
  kube::json::Document selector_json;  // metav1.LabelSelector as written
  kube::LabelSelector selector;
  std::optional<kube::json::Document> pod_template;  // exactly one of pod_template and
  std::optional<WorkloadRef> workload_ref;           // workload_ref is set
  int min_ready_seconds = 0;
  int revision_history_limit = 10;
  int progress_deadline_seconds = 600;
  bool paused = false;
  Strategy strategy = Strategy::kCanary;
  CanaryStrategy canary;
  BlueGreenStrategy blue_green;

  bool is_canary() const { return strategy == Strategy::kCanary; }
  // The surge and unavailability allowances for `replicas` desired pods. Blue-green keeps the
  // active revision whole: no unavailability, and the preview may double the pods.
  int max_surge(int replicas) const;
  int max_unavailable(int replicas) const;
};

// Parses and validates `spec` (the value of a Rollout's "spec"). All problems are collected;
// on any, the result is invalid_error(name, errors).
kube::Result<RolloutSpec> parse_spec(const kube::json::Value& spec, std::string_view name = {});
// The problems alone (empty when valid): what the validating webhook reports.
std::vector<FieldError> validate_spec(const kube::json::Value& spec);

}  // namespace berth::rollout
