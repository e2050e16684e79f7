#include "controllers/rollout/status.h"

#include <algorithm>

namespace berth::rollout {
namespace json = kube::json;

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::kProgressing:
      return "Progressing";
    case Phase::kPaused:
      return "Paused";
    case Phase::kHealthy:
      return "Healthy";
    case Phase::kDegraded:
      return "Degraded";
    case Phase::kAborted:
      return "Aborted";
  }
  return "Progressing";
}

std::string_view run_phase_name(RunPhase phase) {
  switch (phase) {
    case RunPhase::kRunning:
      return "Running";
    case RunPhase::kSuccessful:
      return "Successful";
    case RunPhase::kFailed:
      return "Failed";
  }
  return "Running";
}

void set_condition(std::vector<Condition>& conditions, std::string_view type,
                   std::string_view status, std::string_view reason, std::string_view message,
                   kube::SystemTime now, std::int64_t generation) {
  auto it = std::find_if(conditions.begin(), conditions.end(),
                         [&](const Condition& c) { return c.type == type; });
  if (it == conditions.end()) {
    conditions.push_back({std::string(type), std::string(status), std::string(reason),
                          std::string(message), now, generation});
    return;
  }
  if (it->status != status) it->last_transition = now;
  it->status = std::string(status);
  it->reason = std::string(reason);
  it->message = std::string(message);
  it->observed_generation = generation;
}

const Condition* find_condition(const std::vector<Condition>& conditions, std::string_view type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

namespace {

std::optional<kube::SystemTime> get_time(const json::Value& o, std::string_view key) {
  return kube::parse_time(json::get_string(o, key));
}

int get_int32(const json::Value& o, std::string_view key) {
  std::int64_t v = json::get_int(o, key, 0);
  return v < 0 || v > 0x7fffffff ? 0 : static_cast<int>(v);
}

template <typename F>
void each_object(const json::Value& o, std::string_view key, F&& f) {
  const json::Value* array = json::find(o, key);
  if (array == nullptr || !array->IsArray()) return;
  for (const json::Value& item : array->GetArray()) {
    if (item.IsObject()) f(item);
  }
}

class Writer {
 public:
  explicit Writer(json::Document& doc) : a_(doc.GetAllocator()) {}
  void str(json::Value& o, std::string_view key, std::string_view v, bool omit_empty = true) {
    if (omit_empty && v.empty()) return;
    json::set_string(o, key, v, a_);
  }
  void integer(json::Value& o, std::string_view key, std::int64_t v, bool omit_zero = false) {
    if (omit_zero && v == 0) return;
    json::set(o, key, json::Value(static_cast<std::int64_t>(v)), a_);
  }
  void time(json::Value& o, std::string_view key, const std::optional<kube::SystemTime>& t) {
    if (t) json::set_string(o, key, kube::format_micro_time(*t), a_);
  }
  json::Value object() { return json::Value(rapidjson::kObjectType); }
  json::Value array() { return json::Value(rapidjson::kArrayType); }
  void push(json::Value& array, json::Value v) { array.PushBack(v, a_); }
  void put(json::Value& o, std::string_view key, json::Value v) {
    json::set(o, key, std::move(v), a_);
  }

 private:
  json::Allocator& a_;
};

}  // namespace

RolloutStatus RolloutStatus::from_json(const json::Value* status) {
  RolloutStatus s;
  if (status == nullptr || !status->IsObject()) return s;
  const json::Value& o = *status;
  s.observed_generation = json::get_int(o, "observedGeneration", 0);
  std::string_view phase = json::get_string(o, "phase");
  for (Phase p :
       {Phase::kProgressing, Phase::kPaused, Phase::kHealthy, Phase::kDegraded, Phase::kAborted}) {
    if (phase == phase_name(p)) s.phase = p;
  }
  s.message = json::get_string(o, "message");
  s.stable_hash = json::get_string(o, "stableHash");
  s.canary_hash = json::get_string(o, "canaryHash");
  s.current_step_index = get_int32(o, "currentStepIndex");
  s.step_started = get_time(o, "currentStepStartedAt");
  s.last_progress = get_time(o, "lastProgressTime");
  s.replicas = get_int32(o, "replicas");
  s.ready_replicas = get_int32(o, "readyReplicas");
  s.available_replicas = get_int32(o, "availableReplicas");
  s.updated_replicas = get_int32(o, "updatedReplicas");
  s.updated_available_replicas = get_int32(o, "updatedAvailableReplicas");
  s.stable_available_replicas = get_int32(o, "stableAvailableReplicas");
  s.selector = json::get_string(o, "selector");
  if (const json::Value* a = json::find(o, "abort"); a && a->IsObject()) {
    AbortInfo abort;
    abort.revision = json::get_string(*a, "revision");
    abort.reason = json::get_string(*a, "reason");
    abort.message = json::get_string(*a, "message");
    abort.at = get_time(*a, "time").value_or(kube::SystemTime{});
    if (!abort.revision.empty()) s.abort = std::move(abort);
  }
  s.promote_full_hash = json::get_string(o, "promoteFullHash");
  s.promoted_hash = json::get_string(o, "promotedHash");
  if (const json::Value* r = json::find(o, "pendingRollback"); r && r->IsObject()) {
    PendingRollback p{get_int32(*r, "revision"), std::string(json::get_string(*r, "hash"))};
    if (!p.hash.empty()) s.pending_rollback = std::move(p);
  }
  s.action_ack = json::get_string(o, "actionAck");
  s.degraded_since = get_time(o, "degradedSince");
  each_object(o, "analysisRuns", [&](const json::Value& r) {
    AnalysisRun run;
    run.name = json::get_string(r, "name");
    run.revision = json::get_string(r, "revision");
    std::string_view p = json::get_string(r, "phase");
    if (p == "Successful") run.phase = RunPhase::kSuccessful;
    if (p == "Failed") run.phase = RunPhase::kFailed;
    run.started = get_time(r, "startedAt").value_or(kube::SystemTime{});
    run.message = json::get_string(r, "message");
    each_object(r, "checks", [&](const json::Value& c) {
      CheckStatus check;
      check.name = json::get_string(c, "name");
      check.measurements = get_int32(c, "measurements");
      check.successes = get_int32(c, "successes");
      check.failures = get_int32(c, "failures");
      check.last_measured = get_time(c, "lastMeasuredAt");
      check.message = json::get_string(c, "message");
      if (!check.name.empty()) run.checks.push_back(std::move(check));
    });
    if (!run.name.empty()) s.analysis_runs.push_back(std::move(run));
  });
  each_object(o, "history", [&](const json::Value& h) {
    HistoryEntry e;
    e.revision = get_int32(h, "revision");
    e.hash = json::get_string(h, "hash");
    e.event = json::get_string(h, "event");
    e.reason = json::get_string(h, "reason");
    e.by = json::get_string(h, "by");
    e.at = get_time(h, "time").value_or(kube::SystemTime{});
    s.history.push_back(std::move(e));
  });
  each_object(o, "scaleDownDeadlines", [&](const json::Value& d) {
    ScaleDownDeadline deadline{std::string(json::get_string(d, "workload")),
                               get_time(d, "time").value_or(kube::SystemTime{})};
    if (!deadline.workload.empty()) s.scale_down_deadlines.push_back(std::move(deadline));
  });
  each_object(o, "conditions", [&](const json::Value& c) {
    Condition cond;
    cond.type = json::get_string(c, "type");
    cond.status = json::get_string(c, "status");
    cond.reason = json::get_string(c, "reason");
    cond.message = json::get_string(c, "message");
    cond.last_transition = get_time(c, "lastTransitionTime").value_or(kube::SystemTime{});
    cond.observed_generation = json::get_int(c, "observedGeneration", 0);
    if (!cond.type.empty()) s.conditions.push_back(std::move(cond));
  });
  return s;
}

json::Document RolloutStatus::to_json() const {
  json::Document doc;
  doc.SetObject();
  Writer w(doc);
  json::Value& o = doc;
  w.integer(o, "observedGeneration", observed_generation);
  w.str(o, "phase", phase_name(phase));
  w.str(o, "message", message);
  w.str(o, "stableHash", stable_hash);
  w.str(o, "canaryHash", canary_hash);
  w.integer(o, "currentStepIndex", current_step_index);
  w.time(o, "currentStepStartedAt", step_started);
  w.time(o, "lastProgressTime", last_progress);
  w.integer(o, "replicas", replicas);
  w.integer(o, "readyReplicas", ready_replicas);
  w.integer(o, "availableReplicas", available_replicas);
  w.integer(o, "updatedReplicas", updated_replicas);
  w.integer(o, "updatedAvailableReplicas", updated_available_replicas);
  w.integer(o, "stableAvailableReplicas", stable_available_replicas);
  w.str(o, "selector", selector);
  if (abort) {
    json::Value a = w.object();
    w.str(a, "revision", abort->revision);
    w.str(a, "reason", abort->reason);
    w.str(a, "message", abort->message);
    w.time(a, "time", abort->at);
    w.put(o, "abort", std::move(a));
  }
  w.str(o, "promoteFullHash", promote_full_hash);
  w.str(o, "promotedHash", promoted_hash);
  if (pending_rollback) {
    json::Value r = w.object();
    w.integer(r, "revision", pending_rollback->revision);
    w.str(r, "hash", pending_rollback->hash);
    w.put(o, "pendingRollback", std::move(r));
  }
  w.str(o, "actionAck", action_ack);
  w.time(o, "degradedSince", degraded_since);
  if (!analysis_runs.empty()) {
    json::Value runs = w.array();
    for (const AnalysisRun& run : analysis_runs) {
      json::Value r = w.object();
      w.str(r, "name", run.name);
      w.str(r, "revision", run.revision);
      w.str(r, "phase", run_phase_name(run.phase));
      w.time(r, "startedAt", run.started);
      w.str(r, "message", run.message);
      json::Value checks = w.array();
      for (const CheckStatus& check : run.checks) {
        json::Value c = w.object();
        w.str(c, "name", check.name);
        w.integer(c, "measurements", check.measurements);
        w.integer(c, "successes", check.successes);
        w.integer(c, "failures", check.failures);
        w.time(c, "lastMeasuredAt", check.last_measured);
        w.str(c, "message", check.message);
        w.push(checks, std::move(c));
      }
      w.put(r, "checks", std::move(checks));
      w.push(runs, std::move(r));
    }
    w.put(o, "analysisRuns", std::move(runs));
  }
  if (!history.empty()) {
    json::Value entries = w.array();
    for (const HistoryEntry& e : history) {
      json::Value h = w.object();
      w.integer(h, "revision", e.revision);
      w.str(h, "hash", e.hash);
      w.str(h, "event", e.event);
      w.str(h, "reason", e.reason);
      w.str(h, "by", e.by);
      w.time(h, "time", e.at);
      w.push(entries, std::move(h));
    }
    w.put(o, "history", std::move(entries));
  }
  if (!scale_down_deadlines.empty()) {
    json::Value deadlines = w.array();
    for (const ScaleDownDeadline& d : scale_down_deadlines) {
      json::Value v = w.object();
      w.str(v, "workload", d.workload);
      w.time(v, "time", d.at);
      w.push(deadlines, std::move(v));
    }
    w.put(o, "scaleDownDeadlines", std::move(deadlines));
  }
  if (!conditions.empty()) {
    json::Value conds = w.array();
    for (const Condition& c : conditions) {
      json::Value v = w.object();
      w.str(v, "type", c.type);
      w.str(v, "status", c.status);
      w.integer(v, "observedGeneration", c.observed_generation);
      json::set_string(v, "lastTransitionTime", kube::format_time(c.last_transition),
                       doc.GetAllocator());
      w.str(v, "reason", c.reason);
      w.str(v, "message", c.message, false);
      w.push(conds, std::move(v));
    }
    w.put(o, "conditions", std::move(conds));
  }
  return doc;
}

AnalysisRun* RolloutStatus::find_run(std::string_view name) {
  for (AnalysisRun& run : analysis_runs) {
    if (run.name == name) return &run;
  }
  return nullptr;
}

const AnalysisRun* RolloutStatus::find_run(std::string_view name) const {
  return const_cast<RolloutStatus*>(this)->find_run(name);
}

bool same_status(const RolloutStatus& a, const RolloutStatus& b) {
  return json::equal(a.to_json(), b.to_json());
}

}  // namespace berth::rollout
