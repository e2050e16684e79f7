#include "tests/unit/controllers/rollout/cluster_model.h"

#include <algorithm>
#include <stdexcept>

#include "controllers/rollout/analysis.h"
#include "controllers/rollout/template_hash.h"

namespace berth::rollout::testing {
namespace json = kube::json;
using std::chrono::seconds;

ClusterModel::ClusterModel(std::string_view rollout_spec_json, ModelOptions options)
    : options_(options),
      rng_(options.seed),
      now_(kube::parse_time("2026-01-01T00:00:00Z").value()) {
  auto d = json::parse(rollout_spec_json);
  if (!d.ok()) throw std::invalid_argument("bad spec JSON: " + d.error().message);
  spec_json_ = std::move(d).value();
  reparse_spec();
}

void ClusterModel::reparse_spec() {
  auto s = parse_spec(spec_json_, "web");
  if (!s.ok()) throw std::invalid_argument(s.error().message);
  spec_ = std::move(s).value();
}

void ClusterModel::set_behaviour(std::string image, Behaviour behaviour) {
  behaviours_[std::move(image)] = behaviour;
}

void ClusterModel::set_image(const std::string& image) {
  json::Value* t = json::find(spec_json_, "template");
  json::Value* s = t != nullptr ? json::find(*t, "spec") : nullptr;
  json::Value* containers = s != nullptr ? json::find(*s, "containers") : nullptr;
  if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
    throw std::logic_error("no containers");
  }
  json::set_string((*containers)[0], "image", image, spec_json_.GetAllocator());
  ++generation_;
  reparse_spec();
}

void ClusterModel::set_replicas(int replicas) {
  json::set(spec_json_, "replicas", json::Value(replicas), spec_json_.GetAllocator());
  ++generation_;
  reparse_spec();
}

void ClusterModel::set_paused(bool paused) {
  json::set(spec_json_, "paused", json::Value(paused), spec_json_.GetAllocator());
  ++generation_;
  reparse_spec();
}

void ClusterModel::add_deployment(const std::string& name, int replicas) {
  WorkloadModel d;
  d.kind = Workload::Kind::kDeployment;
  d.name = name;
  d.replicas = replicas;
  d.pod_template = json::copy(*spec_.pod_template);
  for (int i = 0; i < replicas; ++i) {
    PodModel p;
    p.created = now_ - seconds(3600);
    p.ready = true;
    p.ready_at = p.created;
    p.ready_since = p.created;
    d.pods.push_back(p);
  }
  d.status_pods = d.status_ready = d.status_available = replicas;
  deployment_replicas_ = replicas;
  workloads_.push_back(std::move(d));
}

void ClusterModel::add_service(const std::string& name) {
  services_[name] = std::nullopt;
}

int ClusterModel::replicas() const {
  if (spec_.replicas) return *spec_.replicas;
  // Without spec.replicas a takeover keeps the Deployment's count from before it (the
  // reconciler reads it from the berth.dev/original-replicas annotation).
  return deployment_replicas_.value_or(1);
}

std::string ClusterModel::desired_hash() const {
  return template_hash(*spec_.pod_template);
}

const WorkloadModel* ClusterModel::workload_by_hash(const std::string& hash) const {
  for (const WorkloadModel& w : workloads_) {
    if (w.kind == Workload::Kind::kReplicaSet && w.hash == hash) return &w;
  }
  return nullptr;
}

const WorkloadModel* ClusterModel::deployment() const {
  for (const WorkloadModel& w : workloads_) {
    if (w.kind == Workload::Kind::kDeployment) return &w;
  }
  return nullptr;
}

std::optional<std::string> ClusterModel::pinned(const std::string& service) const {
  auto it = services_.find(service);
  return it == services_.end() ? std::nullopt : it->second;
}

int ClusterModel::total_pods() const {
  int n = 0;
  for (const WorkloadModel& w : workloads_)
    n += static_cast<int>(w.pods.size());
  return n;
}

Behaviour ClusterModel::behaviour_of(const json::Value& pod_template) const {
  const json::Value* containers = json::find_path(pod_template, {"spec", "containers"});
  if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
    return Behaviour::kGood;
  }
  auto it = behaviours_.find(std::string(json::get_string((*containers)[0], "image")));
  return it == behaviours_.end() ? Behaviour::kGood : it->second;
}

PodModel ClusterModel::new_pod(Behaviour behaviour) {
  PodModel p;
  p.created = now_;
  std::uniform_int_distribution<int> delay(1, std::max(1, options_.max_ready_delay_seconds));
  if (behaviour != Behaviour::kNeverReady) p.ready_at = now_ + seconds(delay(rng_));
  if (behaviour == Behaviour::kCrashAfterReady) {
    std::uniform_int_distribution<int> up(1, 4);
    p.crash_at = *p.ready_at + seconds(up(rng_));
  }
  return p;
}

void ClusterModel::kubelet() {
  for (WorkloadModel& w : workloads_) {
    for (PodModel& p : w.pods) {
      if (p.crash_at && now_ >= *p.crash_at) {
        p.ready = false;
        p.ready_since.reset();
        p.crash_looping = true;
        p.restarts = 1 + static_cast<int>((now_ - *p.crash_at) / seconds(3));
        continue;
      }
      if (!p.ready && p.ready_at && now_ >= *p.ready_at) {
        p.ready = true;
        p.ready_since = now_;
      }
    }
  }
}

void ClusterModel::refresh_status() {
  std::bernoulli_distribution stale(options_.stale_status);
  for (WorkloadModel& w : workloads_) {
    if (options_.stale_status > 0 && stale(rng_)) continue;
    w.status_pods = static_cast<int>(w.pods.size());
    w.observed_generation = w.generation;
    w.status_ready = 0;
    w.status_available = 0;
    for (const PodModel& p : w.pods) {
      if (!p.ready) continue;
      w.status_ready++;
      if (now_ - *p.ready_since >= seconds(spec_.min_ready_seconds)) w.status_available++;
    }
  }
}

Observed ClusterModel::observe() const {
  Observed o;
  for (const WorkloadModel& w : workloads_) {
    Workload v;
    v.kind = w.kind;
    v.name = w.name;
    v.hash = w.hash;
    v.revision = w.revision;
    v.replicas = w.replicas;
    v.pods = w.status_pods;
    v.ready = std::min(w.status_ready, w.replicas);
    v.available = std::min(w.status_available, w.replicas);
    v.pod_template = &w.pod_template;
    v.status_current = w.observed_generation >= w.generation;
    if (w.kind == Workload::Kind::kDeployment) {
      o.deployment = v;
    } else {
      o.replica_sets.push_back(v);
    }
    if (w.kind == Workload::Kind::kReplicaSet) {
      RevisionPods& rp = o.pods[w.hash];
      for (const PodModel& p : w.pods) {
        rp.pods++;
        if (p.ready) rp.ready++;
        if (p.restarts > rp.max_restarts) {
          rp.max_restarts = p.restarts;
          rp.max_restarts_pod = w.name + "-pod";
        }
        if (p.crash_looping) rp.crash_looping_pod = w.name + "-pod";
      }
    }
  }
  for (const auto& [name, pin] : services_) {
    o.services[name] = ServiceState{true, pin};
  }
  return o;
}

std::vector<Measurement> ClusterModel::measure() {
  std::vector<Measurement> out;
  Observed o = observe();
  for (const MeasurementRequest& r : due_measurements(spec_, status_, now_)) {
    const WorkloadModel* w = workload_by_hash(r.revision);
    if (r.check->kind == AnalysisCheck::Kind::kHttp) {
      bool fails = w != nullptr && w->behaviour == Behaviour::kHttpFails;
      out.push_back(fails ? judge_http(r, 500, "") : judge_http(r, 200, "{}"));
    } else {
      out.push_back(measure_pods(r, o.pods[r.revision], w != nullptr ? w->replicas : 0));
    }
  }
  return out;
}

bool ClusterModel::write_ok() {
  std::bernoulli_distribution fail(options_.write_failure);
  return !(options_.write_failure > 0 && fail(rng_));
}

void ClusterModel::apply(const Plan& plan, bool& stopped) {
  // The reconciler's order: status first, then the writes; the first failure (or a crash)
  // ends the reconcile and leaves the rest undone.
  std::bernoulli_distribution crash(options_.crash);
  auto step = [&]() {
    if (stopped) return false;
    if (!write_ok() || (options_.crash > 0 && crash(rng_))) stopped = true;
    return !stopped;
  };
  if (!same_status(plan.status, status_)) {
    if (!step()) return;
    status_ = plan.status;
  }
  if (plan.rollback_template) {
    if (!step()) return;
    json::Value& t = *json::find(spec_json_, "template");
    t.CopyFrom(*plan.rollback_template, spec_json_.GetAllocator());
    ++generation_;
    reparse_spec();
  }
  for (const CreateReplicaSet& c : plan.creates) {
    if (!step()) return;
    if (workload_by_hash(c.hash) != nullptr) continue;  // AlreadyExists
    WorkloadModel w;
    w.name = c.name;
    w.hash = c.hash;
    w.revision = c.revision;
    w.replicas = c.replicas;
    w.pod_template = json::copy(*spec_.pod_template);
    json::Value& md =
        json::ensure_object(w.pod_template, "metadata", w.pod_template.GetAllocator());
    json::Value& labels = json::ensure_object(md, "labels", w.pod_template.GetAllocator());
    json::set_string(labels, "berth.dev/pod-template-hash", c.hash, w.pod_template.GetAllocator());
    w.behaviour = behaviour_of(w.pod_template);
    w.observed_generation = 0;  // no status until the ReplicaSet controller has seen it
    workloads_.push_back(std::move(w));
  }
  for (const SetRevision& r : plan.revisions) {
    if (!step()) return;
    for (WorkloadModel& w : workloads_) {
      if (w.name == r.replica_set) w.revision = r.revision;
    }
  }
  for (const ScaleWorkload& s : plan.scales) {
    if (!step()) return;
    for (WorkloadModel& w : workloads_) {
      if (w.name == s.name && w.kind == s.kind && w.replicas != s.to) {
        w.replicas = s.to;
        w.generation++;
      }
    }
  }
  for (const PinService& p : plan.services) {
    if (!step()) return;
    if (services_.count(p.service) != 0) {
      services_[p.service] = p.hash.empty() ? std::nullopt : std::optional<std::string>(p.hash);
    }
  }
  for (const std::string& name : plan.deletes) {
    if (!step()) return;
    std::erase_if(workloads_, [&](const WorkloadModel& w) {
      return w.kind == Workload::Kind::kReplicaSet && w.name == name;
    });
  }
  if (plan.release) {
    if (!step()) return;
    released_ = true;
  }
}

void ClusterModel::converge_pods() {
  for (WorkloadModel& w : workloads_) {
    while (static_cast<int>(w.pods.size()) < w.replicas)
      w.pods.push_back(new_pod(w.behaviour));
    if (static_cast<int>(w.pods.size()) > w.replicas) {
      // Kubernetes' ReplicaSet controller: not-ready pods go first, then those ready for the
      // shortest time.
      std::stable_sort(w.pods.begin(), w.pods.end(), [](const PodModel& a, const PodModel& b) {
        if (a.ready != b.ready) return !a.ready;
        if (a.ready && b.ready) return *a.ready_since > *b.ready_since;
        return false;
      });
      w.pods.erase(w.pods.begin(),
                   w.pods.begin() + (static_cast<long>(w.pods.size()) - w.replicas));
    }
  }
}

int ClusterModel::serving_ready() const {
  std::optional<std::string> active;
  if (!spec_.is_canary()) active = pinned(spec_.blue_green.active_service);
  int n = 0;
  for (const WorkloadModel& w : workloads_) {
    if (active && !(w.kind == Workload::Kind::kReplicaSet && w.hash == *active)) continue;
    for (const PodModel& p : w.pods)
      n += p.ready ? 1 : 0;
  }
  return n;
}

TickResult ClusterModel::tick() {
  now_ += seconds(1);
  kubelet();
  refresh_status();

  PlanInput in;
  in.name = "web";
  in.spec = &spec_;
  in.pod_template = &*spec_.pod_template;
  in.replicas = replicas();
  in.generation = generation_;
  in.status = status_;
  in.observed = observe();
  in.action = action_;
  in.now = now_;
  in.deletion = deletion_;
  in.measurements = measure();

  TickResult r;
  r.plan = plan(in);
  r.floor = in.replicas - spec_.max_unavailable(in.replicas);
  r.serving_before = serving_ready();
  bool stopped = false;
  apply(r.plan, stopped);
  last_reconcile_complete_ = !stopped;
  converge_pods();
  r.serving_after = serving_ready();
  // The annotation is removed once the status shows it applied.
  if (action_ && status_.action_ack == *action_) action_.reset();
  for (const EventRecord& e : r.plan.events)
    events_.push_back(e);
  return r;
}

}  // namespace berth::rollout::testing
