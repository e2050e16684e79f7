#include "controllers/rollout/objects.h"

#include <algorithm>

#include "controllers/rollout/names.h"
#include "kube/core/strings.h"
#include "kube/meta/owner_references.h"

namespace berth::rollout {
namespace json = kube::json;

namespace {

int clamp_count(std::int64_t v) {
  return static_cast<int>(std::clamp<std::int64_t>(v, 0, 1'000'000));
}

// spec.replicas with the apiserver's default of 1.
int spec_replicas(const kube::Object& o) {
  const json::Value* spec = o.spec();
  if (spec == nullptr) return 1;
  const json::Value* r = json::find(*spec, "replicas");
  return r != nullptr && r->IsInt64() ? clamp_count(r->GetInt64()) : 1;
}

void fill_counts(Workload& w, const kube::Object& o) {
  w.replicas = spec_replicas(o);
  const json::Value* status = o.status();
  if (status != nullptr) {
    w.pods = clamp_count(json::get_int(*status, "replicas", 0));
    w.ready = std::min(w.replicas, clamp_count(json::get_int(*status, "readyReplicas", 0)));
    w.available = std::min(w.replicas, clamp_count(json::get_int(*status, "availableReplicas", 0)));
    w.status_current = json::get_int(*status, "observedGeneration", 0) >= o.generation();
  } else {
    w.status_current = false;
  }
}

std::string dump(const json::Value& v) {
  return json::dump(v);
}

std::string json_quote(std::string_view s) {
  json::Document d;
  return dump(json::make_string(s, d.GetAllocator()));
}

}  // namespace

Workload replica_set_workload(const kube::Object& rs) {
  Workload w;
  w.kind = Workload::Kind::kReplicaSet;
  w.name = std::string(rs.name());
  w.hash = std::string(rs.label(kPodTemplateHashLabel).value_or(""));
  if (auto rev = rs.annotation(kRevisionAnnotation)) {
    w.revision = static_cast<int>(
        std::clamp<long long>(kube::parse_int(*rev).value_or(0), 0, 1'000'000'000));
  }
  fill_counts(w, rs);
  if (const json::Value* spec = rs.spec()) w.pod_template = json::find(*spec, "template");
  return w;
}

Workload deployment_workload(const kube::Object& deployment) {
  Workload w;
  w.kind = Workload::Kind::kDeployment;
  w.name = std::string(deployment.name());
  fill_counts(w, deployment);
  return w;
}

ServiceState service_state(const kube::Object& service) {
  ServiceState s;
  s.exists = true;
  if (const json::Value* spec = service.spec()) {
    if (const json::Value* selector = json::find(*spec, "selector");
        selector != nullptr && selector->IsObject()) {
      if (const json::Value* pin = json::find(*selector, kPodTemplateHashLabel);
          pin != nullptr && pin->IsString()) {
        s.pinned_hash = std::string(json::as_string(*pin));
      }
    }
  }
  return s;
}

std::map<std::string, RevisionPods, std::less<>> summarize_pods(
    const std::vector<kube::Object>& pods) {
  std::map<std::string, RevisionPods, std::less<>> out;
  for (const kube::Object& pod : pods) {
    if (pod.being_deleted()) continue;
    auto hash = pod.label(kPodTemplateHashLabel);
    if (!hash) continue;
    RevisionPods& r = out[std::string(*hash)];
    r.pods++;
    const json::Value* status = pod.status();
    if (status == nullptr) continue;
    if (const json::Value* conditions = json::find(*status, "conditions");
        conditions != nullptr && conditions->IsArray()) {
      for (const json::Value& c : conditions->GetArray()) {
        if (json::get_string(c, "type") == "Ready" && json::get_string(c, "status") == "True") {
          r.ready++;
        }
      }
    }
    int restarts = 0;
    for (std::string_view key : {"initContainerStatuses", "containerStatuses"}) {
      const json::Value* statuses = json::find(*status, key);
      if (statuses == nullptr || !statuses->IsArray()) continue;
      for (const json::Value& cs : statuses->GetArray()) {
        restarts += clamp_count(json::get_int(cs, "restartCount", 0));
        const json::Value* waiting = json::find_path(cs, {"state", "waiting"});
        if (waiting != nullptr && json::get_string(*waiting, "reason") == "CrashLoopBackOff" &&
            r.crash_looping_pod.empty()) {
          r.crash_looping_pod = std::string(pod.name());
        }
      }
    }
    if (restarts > r.max_restarts) {
      r.max_restarts = restarts;
      r.max_restarts_pod = std::string(pod.name());
    }
  }
  return out;
}

int effective_replicas(const RolloutSpec& spec, const kube::Object* deployment) {
  if (spec.replicas) return *spec.replicas;
  if (deployment != nullptr && *deployment) {
    if (auto original = deployment->annotation(kOriginalReplicasAnnotation)) {
      if (auto n = kube::parse_int(*original); n && *n >= 0 && *n <= 1'000'000) {
        return static_cast<int>(*n);
      }
    }
    return spec_replicas(*deployment);
  }
  return 1;
}

std::optional<std::string> managing_rollout(const kube::Object& deployment) {
  auto v = deployment.annotation(kManagedByAnnotation);
  if (!v || v->empty()) return std::nullopt;
  return std::string(*v);
}

kube::Result<json::Document> build_replica_set(const kube::Object& rollout, const RolloutSpec& spec,
                                               const json::Value& pod_template,
                                               const CreateReplicaSet& create) {
  json::Document rs;
  rs.SetObject();
  auto& a = rs.GetAllocator();
  json::set_string(rs, "apiVersion", "apps/v1", a);
  json::set_string(rs, "kind", "ReplicaSet", a);

  json::Value tmpl;
  tmpl.CopyFrom(pod_template, a);
  if (!tmpl.IsObject()) tmpl.SetObject();
  json::Value& tmeta = json::ensure_object(tmpl, "metadata", a);
  json::remove(tmeta, "creationTimestamp");
  json::Value& tlabels = json::ensure_object(tmeta, "labels", a);
  json::set_string(tlabels, kPodTemplateHashLabel, create.hash, a);
  json::set_string(tlabels, kRolloutLabel, rollout.name(), a);

  json::Value& meta = json::ensure_object(rs, "metadata", a);
  json::set_string(meta, "name", create.name, a);
  json::set_string(meta, "namespace", rollout.namespace_(), a);
  json::Value labels;
  labels.CopyFrom(tlabels, a);
  json::set(meta, "labels", std::move(labels), a);
  json::Value& annotations = json::ensure_object(meta, "annotations", a);
  json::set_string(annotations, kRevisionAnnotation, std::to_string(create.revision), a);
  if (!create.change_cause.empty()) {
    json::set_string(annotations, kChangeCauseAnnotation, create.change_cause, a);
  }
  KUBE_RETURN_IF_ERROR(kube::set_controller_reference(rollout, rs, a));

  json::Value& rs_spec = json::ensure_object(rs, "spec", a);
  json::set(rs_spec, "replicas", json::Value(create.replicas), a);
  json::set(rs_spec, "minReadySeconds", json::Value(spec.min_ready_seconds), a);
  json::Value selector;
  selector.CopyFrom(spec.selector_json, a);
  json::Value& match = json::ensure_object(selector, "matchLabels", a);
  json::set_string(match, kPodTemplateHashLabel, create.hash, a);
  json::set(rs_spec, "selector", std::move(selector), a);
  json::set(rs_spec, "template", std::move(tmpl), a);
  return rs;
}

std::string scale_patch(std::string_view resource_version, int replicas) {
  return R"({"metadata":{"resourceVersion":)" + json_quote(resource_version) +
         R"(},"spec":{"replicas":)" + std::to_string(replicas) + "}}";
}

std::string revision_patch(std::string_view resource_version, int revision) {
  return R"({"metadata":{"resourceVersion":)" + json_quote(resource_version) +
         R"(,"annotations":{)" + json_quote(kRevisionAnnotation) + ":" +
         json_quote(std::to_string(revision)) + "}}}";
}

std::string pin_patch(std::string_view resource_version, std::string_view hash) {
  return R"({"metadata":{"resourceVersion":)" + json_quote(resource_version) +
         R"(},"spec":{"selector":{)" + json_quote(kPodTemplateHashLabel) + ":" +
         (hash.empty() ? std::string("null") : json_quote(hash)) + "}}}";
}

std::string claim_patch(std::string_view resource_version, std::string_view rollout,
                        int original_replicas) {
  return R"({"metadata":{"resourceVersion":)" + json_quote(resource_version) +
         R"(,"annotations":{)" + json_quote(kManagedByAnnotation) + ":" + json_quote(rollout) +
         "," + json_quote(kOriginalReplicasAnnotation) + ":" +
         json_quote(std::to_string(original_replicas)) + "}}}";
}

std::string release_patch(std::string_view resource_version) {
  return R"({"metadata":{"resourceVersion":)" + json_quote(resource_version) +
         R"(,"annotations":{)" + json_quote(kManagedByAnnotation) + ":null," +
         json_quote(kOriginalReplicasAnnotation) + ":null}}}";
}

std::string json_pointer_escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string remove_action_patch(std::string_view value) {
  std::string path = "\"/metadata/annotations/" + json_pointer_escape(kActionAnnotation) + "\"";
  return R"([{"op":"test","path":)" + path + R"(,"value":)" + json_quote(value) +
         R"(},{"op":"remove","path":)" + path + "}]";
}

std::string template_patch(std::string_view resource_version, const json::Value& replacement) {
  return R"([{"op":"test","path":"/metadata/resourceVersion","value":)" +
         json_quote(resource_version) + R"(},{"op":"replace","path":"/spec/template","value":)" +
         dump(replacement) + "}]";
}

}  // namespace berth::rollout
