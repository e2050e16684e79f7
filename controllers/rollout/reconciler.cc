#include "controllers/rollout/reconciler.h"

#include <algorithm>

#include "controllers/rollout/analysis.h"
#include "controllers/rollout/names.h"
#include "controllers/rollout/objects.h"
#include "kube/cache/indexers.h"
#include "kube/core/log.h"
#include "kube/core/time.h"
#include "kube/meta/finalizers.h"

namespace berth::rollout {
namespace json = kube::json;
using kube::ReconcileResult;
using kube::Result;

std::vector<std::string> rollout_of_labelled(const kube::Object& object) {
  auto name = object.label(kRolloutLabel);
  if (!name || name->empty()) return {};
  return {kube::make_key(object.namespace_(), *name)};
}

std::vector<std::string> services_of_rollout(const kube::Object& rollout) {
  std::vector<std::string> out;
  const json::Value* strategy = rollout.spec() ? json::find(*rollout.spec(), "strategy") : nullptr;
  if (strategy == nullptr || !strategy->IsObject()) return out;
  for (auto [kind, keys] : {std::pair<std::string_view, std::vector<std::string_view>>{
                                "canary", {"stableService", "canaryService"}},
                            {"blueGreen", {"activeService", "previewService"}}}) {
    const json::Value* s = json::find(*strategy, kind);
    if (s == nullptr || !s->IsObject()) continue;
    for (std::string_view key : keys) {
      std::string_view name = json::get_string(*s, key);
      if (!name.empty()) out.push_back(kube::make_key(rollout.namespace_(), name));
    }
  }
  return out;
}

std::vector<std::string> deployment_of_rollout(const kube::Object& rollout) {
  const json::Value* ref = rollout.spec() ? json::find(*rollout.spec(), "workloadRef") : nullptr;
  if (ref == nullptr || !ref->IsObject()) return {};
  std::string_view name = json::get_string(*ref, "name");
  if (name.empty()) return {};
  return {kube::make_key(rollout.namespace_(), name)};
}

// Everything one reconcile works with.
struct RolloutReconciler::Pass {
  const kube::Request& request;
  const kube::ReconcileContext& context;
  std::string key{};
  kube::Object rollout{};  // the latest version this reconcile knows (after its own writes)
  RolloutSpec spec{};
  RolloutStatus status{};
  kube::Object deployment{};  // with a workloadRef, once claimed by this Rollout
  std::vector<kube::Object> replica_sets{};
  std::map<std::string, kube::Object, std::less<>> services{};
  Observed observed{};
  std::optional<std::string> action{};
  kube::SystemTime now{};
};

namespace {

// Optimistic-concurrency losses and objects that vanished: look again once the cache has the
// newer state, without counting an error.
bool is_race(const kube::Error& e) {
  return e.is_conflict() || e.is_not_found() || e.is_already_exists() || e.is_invalid();
}

}  // namespace

RolloutReconciler::RolloutReconciler(kube::Client& client, RolloutInformers informers,
                                     kube::EventRecorder& events,
                                     std::shared_ptr<HttpProber> prober,
                                     std::shared_ptr<Expectations> expectations,
                                     std::function<kube::SystemTime()> wall_clock)
    : client_(client),
      informers_(informers),
      events_(events),
      prober_(std::move(prober)),
      expectations_(std::move(expectations)),
      wall_clock_(wall_clock ? std::move(wall_clock)
                             : [] { return std::chrono::system_clock::now(); }) {}

Result<ReconcileResult> RolloutReconciler::reconcile(const kube::Request& request,
                                                     const kube::ReconcileContext& context) {
  Pass pass{.request = request, .context = context, .key = request.key()};
  pass.rollout = informers_.rollouts.store().get(pass.key);
  if (!pass.rollout) {
    expectations_->forget(pass.key);
    return ReconcileResult{};
  }
  // Planning on a cache without this Rollout's last writes would redo or undo them.
  if (auto wait = expectations_->outstanding(pass.key); wait > kube::Clock::duration::zero()) {
    kube::log::v(4, "waiting for the cache to show this Rollout's writes", {{"rollout", pass.key}});
    return ReconcileResult{.requeue_after = wait};
  }
  auto result = run(pass);
  if (!result.ok() && is_race(result.error())) {
    // A failed JSON patch test is a 422 as well; a real validation error is worth a warning.
    if (result.error().is_invalid() && !result.error().causes.empty()) {
      kube::log::warn("rollout write rejected",
                      {{"rollout", pass.key}, {"error", result.error().to_string()}});
    } else {
      kube::log::v(2, "rollout write raced; retrying",
                   {{"rollout", pass.key}, {"error", result.error().to_string()}});
    }
    return ReconcileResult{.requeue = true};
  }
  return result;
}

kube::Status RolloutReconciler::checked(Pass& pass) {
  if (pass.context.cancelled()) {
    return kube::Error::make(kube::Reason::kCancelled, "controller stopping");
  }
  return kube::ok_status();
}

Result<ReconcileResult> RolloutReconciler::run(Pass& pass) {
  const json::Value* spec_json = pass.rollout.spec();
  json::Value null_value;
  pass.status = RolloutStatus::from_json(pass.rollout.status());
  pass.now = wall_clock_();
  auto spec = parse_spec(spec_json != nullptr ? *spec_json : null_value, pass.rollout.name());
  if (!spec.ok()) {
    std::string message = spec.error().message;
    std::string_view prefix = " is invalid: ";
    if (auto at = message.find(prefix); at != std::string::npos) {
      message = message.substr(at + prefix.size());
    }
    return blocked(pass, "InvalidSpec", message);
  }
  pass.spec = std::move(spec).value();

  bool deleting = pass.rollout.being_deleted();
  if (pass.spec.workload_ref) {
    if (!deleting && !pass.rollout.has_finalizer(kFinalizer)) {
      KUBE_RETURN_IF_ERROR(checked(pass));
      KUBE_ASSIGN_OR_RETURN(kube::Object updated,
                            kube::ensure_finalizer(client_, kRollouts, pass.rollout, kFinalizer));
      expectations_->expect(pass.key, "Rollout", pass.key, updated.resource_version());
      return ReconcileResult{};
    }
    bool done = false;
    auto r = handle_deployment(pass, done);
    if (done) return r;
  } else if (deleting) {
    return ReconcileResult{};  // the ReplicaSets go with the Rollout (owner references)
  }

  observe(pass);
  if (pass.action && *pass.action == pass.status.action_ack) {
    // Applied by an earlier reconcile: remove it, and clear the ack in this status write.
    KUBE_RETURN_IF_ERROR(checked(pass));
    KUBE_ASSIGN_OR_RETURN(kube::Object updated,
                          client_.patch(kRollouts, pass.request.namespace_, pass.request.name,
                                        kube::PatchType::kJson, remove_action_patch(*pass.action)));
    pass.rollout = updated;
    expectations_->expect(pass.key, "Rollout", pass.key, updated.resource_version());
    pass.action.reset();
  }

  PlanInput in;
  in.name = std::string(pass.rollout.name());
  in.spec = &pass.spec;
  const json::Value* deployment_template = pass.deployment && pass.deployment.spec()
                                               ? json::find(*pass.deployment.spec(), "template")
                                               : nullptr;
  in.pod_template = pass.spec.pod_template ? &*pass.spec.pod_template : deployment_template;
  if (in.pod_template == nullptr) {
    return blocked(
        pass, "InvalidSpec",
        "spec.workloadRef: Deployment " + pass.spec.workload_ref->name + " has no pod template");
  }
  in.replicas = effective_replicas(pass.spec, pass.deployment ? &pass.deployment : nullptr);
  in.generation = pass.rollout.generation();
  in.change_cause = std::string(pass.rollout.annotation(kChangeCauseAnnotation).value_or(""));
  in.status = pass.status;
  in.observed = pass.observed;
  in.action = pass.action;
  in.now = pass.now;
  if (deleting) {
    const json::Value* meta = pass.rollout.metadata();
    in.deletion = kube::parse_time(meta ? json::get_string(*meta, "deletionTimestamp") : "")
                      .value_or(pass.now);
  }
  in.measurements = measure(pass);
  Plan p = plan(in);
  return apply(pass, p);
}

Result<ReconcileResult> RolloutReconciler::blocked(Pass& pass, const std::string& reason,
                                                   const std::string& message) {
  RolloutStatus next =
      invalid_spec_status(pass.status, pass.rollout.generation(), message, pass.now);
  if (reason != "InvalidSpec") next.message = message;
  if (same_status(next, pass.status)) return ReconcileResult{};
  KUBE_RETURN_IF_ERROR(write_status(pass, next));
  events_.event(pass.rollout, kube::EventType::kWarning, reason, message);
  return ReconcileResult{};
}

Result<ReconcileResult> RolloutReconciler::handle_deployment(Pass& pass, bool& done) {
  done = true;
  const WorkloadRef& ref = *pass.spec.workload_ref;
  bool deleting = pass.rollout.being_deleted();
  kube::Object deployment = informers_.deployments.store().get(pass.request.namespace_, ref.name);
  auto owner = deployment ? managing_rollout(deployment) : std::nullopt;
  bool ours = owner && *owner == pass.rollout.name();
  if (deleting && (!deployment || !ours)) {
    // Nothing of ours to give back.
    KUBE_RETURN_IF_ERROR(checked(pass));
    auto removed = kube::remove_finalizer(client_, kRollouts, pass.rollout, kFinalizer);
    if (!removed.ok()) return std::move(removed).error();
    return ReconcileResult{};
  }
  if (!deployment) {
    return blocked(pass, "DeploymentNotFound",
                   "spec.workloadRef: Deployment " + ref.name + " not found");
  }
  if (owner && !ours) {
    return blocked(
        pass, "DeploymentManagedElsewhere",
        "spec.workloadRef: Deployment " + ref.name + " is already managed by Rollout " + *owner);
  }
  if (!ours) {
    KUBE_RETURN_IF_ERROR(checked(pass));
    int original = effective_replicas(pass.spec, &deployment);
    KUBE_ASSIGN_OR_RETURN(
        kube::Object claimed,
        client_.patch(kube::resources::kDeployments, pass.request.namespace_, ref.name,
                      kube::PatchType::kMerge,
                      claim_patch(deployment.resource_version(), pass.rollout.name(), original)));
    expectations_->expect(pass.key, "Deployment", claimed.key(), claimed.resource_version());
    events_.event(pass.rollout, kube::EventType::kNormal, "DeploymentClaimed",
                  "took over Deployment " + ref.name + " (" + std::to_string(original) +
                      " replicas); it is scaled to zero as this Rollout's pods become available");
    return ReconcileResult{};
  }
  pass.deployment = deployment;
  done = false;
  return ReconcileResult{};
}

void RolloutReconciler::observe(Pass& pass) {
  for (kube::Object& rs :
       informers_.replica_sets.store().by_index(kube::indexers::kOwnerUid, pass.rollout.uid())) {
    if (rs.controller_uid() == pass.rollout.uid()) pass.replica_sets.push_back(std::move(rs));
  }
  for (const kube::Object& rs : pass.replica_sets) {
    pass.observed.replica_sets.push_back(replica_set_workload(rs));
  }
  if (pass.deployment) pass.observed.deployment = deployment_workload(pass.deployment);
  for (const std::string* name :
       {&pass.spec.canary.stable_service, &pass.spec.canary.canary_service,
        &pass.spec.blue_green.active_service, &pass.spec.blue_green.preview_service}) {
    if (name->empty()) continue;
    kube::Object svc = informers_.services.store().get(pass.request.namespace_, *name);
    if (!svc) continue;
    pass.observed.services[*name] = service_state(svc);
    pass.services[*name] = svc;
  }
  pass.observed.pods =
      summarize_pods(informers_.pods.store().by_index(kPodsByRolloutIndex, pass.key));
  if (auto action = pass.rollout.annotation(kActionAnnotation)) {
    pass.action = std::string(*action);
  }
}

std::vector<Measurement> RolloutReconciler::measure(Pass& pass) {
  std::vector<Measurement> out;
  for (const MeasurementRequest& r : due_measurements(pass.spec, pass.status, pass.now)) {
    if (pass.context.cancelled()) break;
    if (r.check->kind != AnalysisCheck::Kind::kHttp) {
      int desired = 0;
      for (const Workload& w : pass.observed.replica_sets) {
        if (w.hash == r.revision) desired = w.replicas;
      }
      auto pods = pass.observed.pods.find(r.revision);
      out.push_back(measure_pods(
          r, pods != pass.observed.pods.end() ? pods->second : RevisionPods{}, desired));
      continue;
    }
    const HttpCheck& http = r.check->http;
    auto response = prober_->get(http.url, http.headers, http.timeout);
    out.push_back(response.ok() ? judge_http(r, response->status, response->body)
                                : http_failure(r, response.error()));
    kube::log::v(3, "analysis measurement",
                 {{"rollout", pass.key},
                  {"check", r.check->name},
                  {"success", out.back().success},
                  {"message", out.back().message}});
  }
  return out;
}

kube::Status RolloutReconciler::write_status(Pass& pass, const RolloutStatus& status) {
  KUBE_RETURN_IF_ERROR(checked(pass));
  json::Document doc = pass.rollout.copy();
  json::Document written = status.to_json();
  json::Value value;
  value.CopyFrom(written, doc.GetAllocator());
  json::set(doc, "status", std::move(value), doc.GetAllocator());
  KUBE_ASSIGN_OR_RETURN(kube::Object updated, client_.update_status(kRollouts, doc));
  pass.rollout = updated;
  expectations_->expect(pass.key, "Rollout", pass.key, updated.resource_version());
  return kube::ok_status();
}

Result<ReconcileResult> RolloutReconciler::apply(Pass& pass, const Plan& p) {
  const std::string& ns = pass.request.namespace_;
  // The status first: it records decisions (a step passed, an abort) that the writes below
  // carry out, so a reconcile cut short after it repeats the writes rather than the decision.
  if (!same_status(p.status, pass.status)) KUBE_RETURN_IF_ERROR(write_status(pass, p.status));
  for (const EventRecord& e : p.events) {
    events_.event(pass.rollout, e.warning ? kube::EventType::kWarning : kube::EventType::kNormal,
                  e.reason, e.message);
  }

  if (p.rollback_template) {
    KUBE_RETURN_IF_ERROR(checked(pass));
    if (pass.deployment) {
      KUBE_ASSIGN_OR_RETURN(
          kube::Object d,
          client_.patch(kube::resources::kDeployments, ns, pass.deployment.name(),
                        kube::PatchType::kJson,
                        template_patch(pass.deployment.resource_version(), *p.rollback_template)));
      pass.deployment = d;
      expectations_->expect(pass.key, "Deployment", d.key(), d.resource_version());
    } else {
      KUBE_ASSIGN_OR_RETURN(
          kube::Object r,
          client_.patch(kRollouts, ns, pass.rollout.name(), kube::PatchType::kJson,
                        template_patch(pass.rollout.resource_version(), *p.rollback_template)));
      pass.rollout = r;
      expectations_->expect(pass.key, "Rollout", pass.key, r.resource_version());
    }
  }

  for (const CreateReplicaSet& c : p.creates) {
    KUBE_RETURN_IF_ERROR(checked(pass));
    const json::Value* tmpl = pass.spec.pod_template
                                  ? &*pass.spec.pod_template
                                  : json::find(*pass.deployment.spec(), "template");
    KUBE_ASSIGN_OR_RETURN(json::Document rs, build_replica_set(pass.rollout, pass.spec, *tmpl, c));
    auto created = client_.create(kube::resources::kReplicaSets, rs);
    if (!created.ok() && created.error().is_already_exists()) {
      kube::Object existing = informers_.replica_sets.store().get(ns, c.name);
      if (existing && existing.controller_uid() != pass.rollout.uid()) {
        events_.event(pass.rollout, kube::EventType::kWarning, "ReplicaSetNameTaken",
                      "ReplicaSet " + c.name + " exists and is not controlled by this Rollout");
      }
      return created.error();
    }
    if (!created.ok()) return created.error();
    expectations_->expect(pass.key, "ReplicaSet", created->key(), created->resource_version());
  }

  auto cached_rs = [&](const std::string& name) -> const kube::Object* {
    for (const kube::Object& rs : pass.replica_sets) {
      if (rs.name() == name) return &rs;
    }
    return nullptr;
  };
  for (const SetRevision& r : p.revisions) {
    const kube::Object* rs = cached_rs(r.replica_set);
    if (rs == nullptr) continue;
    KUBE_RETURN_IF_ERROR(checked(pass));
    KUBE_ASSIGN_OR_RETURN(
        kube::Object updated,
        client_.patch(kube::resources::kReplicaSets, ns, r.replica_set, kube::PatchType::kMerge,
                      revision_patch(rs->resource_version(), r.revision)));
    expectations_->expect(pass.key, "ReplicaSet", updated.key(), updated.resource_version());
  }
  for (const ScaleWorkload& s : p.scales) {
    KUBE_RETURN_IF_ERROR(checked(pass));
    if (s.kind == Workload::Kind::kDeployment) {
      KUBE_ASSIGN_OR_RETURN(
          kube::Object d,
          client_.patch(kube::resources::kDeployments, ns, s.name, kube::PatchType::kMerge,
                        scale_patch(pass.deployment.resource_version(), s.to)));
      pass.deployment = d;
      expectations_->expect(pass.key, "Deployment", d.key(), d.resource_version());
      continue;
    }
    const kube::Object* rs = cached_rs(s.name);
    if (rs == nullptr) continue;
    KUBE_ASSIGN_OR_RETURN(
        kube::Object updated,
        client_.patch(kube::resources::kReplicaSets, ns, s.name, kube::PatchType::kMerge,
                      scale_patch(rs->resource_version(), s.to)));
    expectations_->expect(pass.key, "ReplicaSet", updated.key(), updated.resource_version());
  }
  for (const PinService& pin : p.services) {
    auto svc = pass.services.find(pin.service);
    if (svc == pass.services.end()) continue;
    KUBE_RETURN_IF_ERROR(checked(pass));
    KUBE_ASSIGN_OR_RETURN(
        kube::Object updated,
        client_.patch(kube::resources::kServices, ns, pin.service, kube::PatchType::kMerge,
                      pin_patch(svc->second.resource_version(), pin.hash)));
    expectations_->expect(pass.key, "Service", updated.key(), updated.resource_version());
  }
  for (const std::string& name : p.deletes) {
    const kube::Object* rs = cached_rs(name);
    if (rs == nullptr) continue;
    KUBE_RETURN_IF_ERROR(checked(pass));
    auto removed = client_.remove(kube::resources::kReplicaSets, ns, name,
                                  {.precondition_uid = std::string(rs->uid())});
    if (!removed.ok() && !removed.error().is_not_found()) return removed.error();
  }
  if (p.release) {
    KUBE_RETURN_IF_ERROR(checked(pass));
    if (pass.deployment) {
      KUBE_ASSIGN_OR_RETURN(kube::Object d,
                            client_.patch(kube::resources::kDeployments, ns, pass.deployment.name(),
                                          kube::PatchType::kMerge,
                                          release_patch(pass.deployment.resource_version())));
      events_.event(pass.rollout, kube::EventType::kNormal, "DeploymentReleased",
                    "Deployment " + std::string(d.name()) + " serves again on its own");
    }
    auto removed = kube::remove_finalizer(client_, kRollouts, pass.rollout, kFinalizer);
    if (!removed.ok()) return std::move(removed).error();
    expectations_->forget(pass.key);
  }
  ReconcileResult result;
  if (p.requeue_after) result.requeue_after = *p.requeue_after;
  return result;
}

}  // namespace berth::rollout
