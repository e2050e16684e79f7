#include "controllers/rollout/analysis.h"

#include <algorithm>

#include "kube/core/strings.h"

namespace berth::rollout {
namespace json = kube::json;

std::string step_run_name(int step_index) {
  return "step-" + std::to_string(step_index);
}

const AnalysisSpec* analysis_for_run(const RolloutSpec& spec, std::string_view run_name) {
  if (run_name == kBackgroundRun) {
    return spec.is_canary() && spec.canary.analysis ? &*spec.canary.analysis : nullptr;
  }
  if (run_name == kPrePromotionRun) {
    return !spec.is_canary() && spec.blue_green.pre_promotion_analysis
               ? &*spec.blue_green.pre_promotion_analysis
               : nullptr;
  }
  if (run_name.starts_with("step-") && spec.is_canary()) {
    auto index = kube::parse_int(run_name.substr(5));
    if (!index || *index < 0 || *index >= static_cast<long long>(spec.canary.steps.size())) {
      return nullptr;
    }
    const CanaryStep& step = spec.canary.steps[static_cast<std::size_t>(*index)];
    return step.kind == CanaryStep::Kind::kAnalysis ? &step.analysis : nullptr;
  }
  return nullptr;
}

namespace {

bool background(const AnalysisRun& run) {
  return run.name == kBackgroundRun;
}

const CheckStatus* find_check(const AnalysisRun& run, std::string_view name) {
  for (const CheckStatus& c : run.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Whether `check` still needs measurements in `run`.
bool wants_more(const AnalysisRun& run, const AnalysisCheck& check, const CheckStatus* status) {
  if (status == nullptr) return true;
  if (status->failures > check.failure_limit) return false;
  return background(run) || status->measurements < check.count;
}

kube::SystemTime due_at(const AnalysisRun& run, const AnalysisCheck& check,
                        const CheckStatus* status) {
  kube::SystemTime base =
      (status != nullptr && status->last_measured) ? *status->last_measured : run.started;
  return base + check.interval;
}

// The field at a dotted path ("a.b.0.c"); array elements by index.
const json::Value* field_at(const json::Value& root, std::string_view path) {
  const json::Value* v = &root;
  for (std::string_view part : kube::split(path, '.')) {
    if (v->IsObject()) {
      v = json::find(*v, part);
    } else if (v->IsArray()) {
      auto index = kube::parse_int(part);
      if (!index || *index < 0 || *index >= static_cast<long long>(v->Size())) return nullptr;
      v = &(*v)[static_cast<rapidjson::SizeType>(*index)];
    } else {
      return nullptr;
    }
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::optional<double> as_number(const json::Value& v) {
  if (v.IsNumber()) return v.GetDouble();
  if (v.IsString()) {
    std::string s(json::as_string(v));
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() + s.size()) return d;
  }
  return std::nullopt;
}

std::string short_text(std::string_view text, std::size_t limit = 120) {
  std::string out(text.substr(0, limit));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > limit) out += "...";
  return out;
}

std::string number_text(double d) {
  json::Value v(d);
  return json::dump(v);
}

}  // namespace

std::vector<MeasurementRequest> due_measurements(const RolloutSpec& spec,
                                                 const RolloutStatus& status,
                                                 kube::SystemTime now) {
  std::vector<MeasurementRequest> out;
  for (const AnalysisRun& run : status.analysis_runs) {
    if (run.phase != RunPhase::kRunning || run.revision != status.canary_hash) continue;
    // A step's analysis stops being measured once the rollout has moved past the step.
    if (run.name.starts_with("step-") && run.name != step_run_name(status.current_step_index)) {
      continue;
    }
    const AnalysisSpec* analysis = analysis_for_run(spec, run.name);
    if (analysis == nullptr) continue;
    for (const AnalysisCheck& check : analysis->checks) {
      const CheckStatus* cs = find_check(run, check.name);
      if (wants_more(run, check, cs) && due_at(run, check, cs) <= now) {
        out.push_back({run.name, run.revision, &check});
      }
    }
  }
  return out;
}

Measurement measure_pods(const MeasurementRequest& request, const RevisionPods& pods, int desired) {
  Measurement m{request.run, request.check->name, false, {}};
  if (request.check->kind == AnalysisCheck::Kind::kPodReadiness) {
    m.success = desired > 0 && pods.ready >= desired;
    m.message = std::to_string(pods.ready) + "/" + std::to_string(desired) + " pods ready";
    return m;
  }
  if (!pods.crash_looping_pod.empty()) {
    m.message = "pod " + pods.crash_looping_pod + " is in CrashLoopBackOff";
  } else if (pods.max_restarts > request.check->max_restarts) {
    m.message = "pod " + pods.max_restarts_pod + " restarted " + std::to_string(pods.max_restarts) +
                " times (limit " + std::to_string(request.check->max_restarts) + ")";
  } else {
    m.success = true;
    m.message = "most restarts of a pod: " + std::to_string(pods.max_restarts);
  }
  return m;
}

Measurement judge_http(const MeasurementRequest& request, int status_code, std::string_view body) {
  const HttpCheck& http = request.check->http;
  Measurement m{request.run, request.check->name, false, {}};
  bool code_ok = http.status_codes.empty()
                     ? (status_code >= 200 && status_code < 300)
                     : std::find(http.status_codes.begin(), http.status_codes.end(), status_code) !=
                           http.status_codes.end();
  if (!code_ok) {
    m.message = "HTTP " + std::to_string(status_code) + " is not an accepted status code";
    return m;
  }
  if (http.json_field.empty()) {
    m.success = true;
    m.message = "HTTP " + std::to_string(status_code);
    return m;
  }
  auto doc = json::parse(body, {.max_depth = 64, .max_bytes = 1 << 20});
  if (!doc.ok()) {
    m.message = "HTTP " + std::to_string(status_code) + ": body is not JSON (" +
                short_text(doc.error().message) + ")";
    return m;
  }
  const json::Value* field = field_at(*doc, http.json_field);
  if (field == nullptr) {
    m.message = "HTTP " + std::to_string(status_code) + ": field " + http.json_field +
                " not found in the body";
    return m;
  }
  std::string text = field->IsString() ? std::string(json::as_string(*field)) : json::dump(*field);
  std::string prefix =
      "HTTP " + std::to_string(status_code) + ": " + http.json_field + " = " + short_text(text);
  if (http.equals) {
    m.success = text == *http.equals;
    m.message = prefix + (m.success ? "" : ", want " + short_text(*http.equals));
    return m;
  }
  std::optional<double> number = as_number(*field);
  if (!number) {
    m.message = prefix + ", not a number";
    return m;
  }
  if (http.less_than) {
    m.success = *number < *http.less_than;
    m.message = prefix + (m.success ? "" : ", want < " + number_text(*http.less_than));
  } else if (http.greater_than) {
    m.success = *number > *http.greater_than;
    m.message = prefix + (m.success ? "" : ", want > " + number_text(*http.greater_than));
  }
  return m;
}

Measurement http_failure(const MeasurementRequest& request, const kube::Error& error) {
  return {request.run, request.check->name, false,
          "GET " + request.check->http.url + ": " + short_text(error.message, 200)};
}

AnalysisRun start_run(std::string name, std::string revision, const AnalysisSpec& spec,
                      kube::SystemTime now) {
  AnalysisRun run;
  run.name = std::move(name);
  run.revision = std::move(revision);
  run.started = now;
  for (const AnalysisCheck& check : spec.checks) {
    CheckStatus cs;
    cs.name = check.name;
    run.checks.push_back(std::move(cs));
  }
  return run;
}

void record_measurement(AnalysisRun& run, const AnalysisSpec& spec, const Measurement& m,
                        kube::SystemTime now) {
  if (run.phase != RunPhase::kRunning) return;
  auto it = std::find_if(run.checks.begin(), run.checks.end(),
                         [&](const CheckStatus& c) { return c.name == m.check; });
  if (it == run.checks.end()) {
    CheckStatus cs;
    cs.name = m.check;
    run.checks.push_back(std::move(cs));
    it = std::prev(run.checks.end());
  }
  it->measurements++;
  (m.success ? it->successes : it->failures)++;
  it->last_measured = now;
  it->message = m.message;

  bool all_done = true;
  for (const AnalysisCheck& check : spec.checks) {
    const CheckStatus* cs = find_check(run, check.name);
    if (cs != nullptr && cs->failures > check.failure_limit) {
      run.phase = RunPhase::kFailed;
      run.message = "check " + check.name + " failed " + std::to_string(cs->failures) +
                    " time(s) (limit " + std::to_string(check.failure_limit) + "): " + cs->message;
      return;
    }
    if (cs == nullptr || cs->measurements < check.count) all_done = false;
  }
  if (!background(run) && all_done) {
    run.phase = RunPhase::kSuccessful;
    run.message = "all checks passed";
  }
}

std::optional<kube::SystemTime> next_measurement(const AnalysisRun& run, const AnalysisSpec& spec) {
  if (run.phase != RunPhase::kRunning) return std::nullopt;
  std::optional<kube::SystemTime> next;
  for (const AnalysisCheck& check : spec.checks) {
    const CheckStatus* cs = find_check(run, check.name);
    if (!wants_more(run, check, cs)) continue;
    kube::SystemTime t = due_at(run, check, cs);
    if (!next || t < *next) next = t;
  }
  return next;
}

}  // namespace berth::rollout
