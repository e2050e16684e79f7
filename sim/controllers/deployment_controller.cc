#include "sim/controllers/deployment_controller.h"

#include <algorithm>
#include <limits>

#include "kube/api/selector.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/core/time.h"
#include "sim/controllers/indexes.h"
#include "sim/controllers/workload.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;
using std::chrono::milliseconds;
using workload::kDesiredReplicasAnnotation;
using workload::kMaxReplicasAnnotation;
using workload::kPodTemplateHashLabel;
using workload::kRevisionAnnotation;

namespace {

constexpr std::string_view kProgressing = "Progressing";
constexpr std::string_view kAvailable = "Available";
constexpr std::string_view kReplicaFailure = "ReplicaFailure";
constexpr std::string_view kNewRSAvailable = "NewReplicaSetAvailable";
constexpr std::string_view kTimedOut = "ProgressDeadlineExceeded";
constexpr std::string_view kPaused = "DeploymentPaused";

Identity controller_identity() {
  return {"system:serviceaccount:kube-system:deployment-controller",
          {"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
          "kube-controller-manager"};
}

std::optional<std::int64_t> annotation_int(const kube::Object& o, std::string_view key) {
  auto v = o.annotation(key);
  if (!v) return std::nullopt;
  auto n = kube::parse_int(*v);
  if (!n) return std::nullopt;
  return *n;
}

const Value* find_condition(const Value& status, std::string_view type) {
  const Value* conditions = json::find(status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) return nullptr;
  for (const auto& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == type) return &c;
  }
  return nullptr;
}

void remove_condition(Value& status, std::string_view type) {
  Value* conditions = json::find(status, "conditions");
  if (conditions == nullptr || !conditions->IsArray()) return;
  for (auto it = conditions->Begin(); it != conditions->End();) {
    it = json::get_string(*it, "type") == type ? conditions->Erase(it) : it + 1;
  }
  if (conditions->Empty()) json::remove(status, "conditions");
}

Value make_condition(std::string_view type, std::string_view status, std::string_view reason,
                     std::string_view message, const std::string& updated,
                     std::string_view transition, json::Allocator& a) {
  Value c(rapidjson::kObjectType);
  json::set_string(c, "type", type, a);
  json::set_string(c, "status", status, a);
  json::set_string(c, "lastUpdateTime", updated, a);
  json::set_string(c, "lastTransitionTime", transition, a);
  if (!reason.empty()) json::set_string(c, "reason", reason, a);
  if (!message.empty()) json::set_string(c, "message", message, a);
  return c;
}

// SetDeploymentCondition: no change for the same status and reason; the transition time
// survives a reason change; the condition moves to the end of the list.
void set_condition(json::Document& status, std::string_view type, std::string_view cstatus,
                   std::string_view reason, std::string_view message) {
  auto& a = status.GetAllocator();
  std::string now = now_rfc3339();
  std::string transition = now;
  if (const Value* current = find_condition(status, type)) {
    if (json::get_string(*current, "status") == cstatus &&
        json::get_string(*current, "reason") == reason) {
      return;
    }
    if (json::get_string(*current, "status") == cstatus) {
      transition = std::string(json::get_string(*current, "lastTransitionTime", now));
    }
  }
  remove_condition(status, type);
  json::ensure_array(status, "conditions", a)
      .PushBack(make_condition(type, cstatus, reason, message, now, transition, a), a);
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

}  // namespace

struct RsInfo {
  kube::Object object;
  workload::ReplicaSetCounts counts;
  std::int64_t revision = 0;
  std::int64_t ready = 0;
  std::int64_t generation = 0;
  std::int64_t observed_generation = 0;
  std::optional<std::int64_t> desired{};

  static RsInfo of(const kube::Object& rs) {
    RsInfo i;
    i.object = rs;
    i.counts.name = std::string(rs.name());
    i.counts.spec = json::get_int(*rs.spec(), "replicas", 1);
    if (const Value* s = rs.status()) {
      i.counts.status = json::get_int(*s, "replicas");
      i.counts.available = json::get_int(*s, "availableReplicas");
      i.ready = json::get_int(*s, "readyReplicas");
      i.observed_generation = json::get_int(*s, "observedGeneration");
    }
    i.counts.max_replicas = annotation_int(rs, kMaxReplicasAnnotation);
    i.counts.created = std::string(rs.creation_timestamp());
    i.revision = annotation_int(rs, kRevisionAnnotation).value_or(0);
    i.desired = annotation_int(rs, kDesiredReplicasAnnotation);
    i.generation = rs.generation();
    return i;
  }
  const Value* pod_template() const { return json::find(*object.spec(), "template"); }
};

struct DeploymentController::Rollout {
  kube::Object deployment;  // the latest known state (updated by our own writes)
  json::Document status;    // the working status (d.Status in the Go controller)
  std::string revision;     // the working revision annotation
  std::int64_t replicas = 1;
  std::int64_t min_ready = 0;
  bool rolling = true;
  bool paused = false;
  workload::Fenceposts fence;
  std::optional<std::int64_t> progress_deadline;
  std::optional<std::int64_t> history_limit;
  kube::LabelSelector selector;
  json::Document tpl;
  std::vector<RsInfo> rs;
  int new_index = -1;
  std::vector<std::size_t> old;
  milliseconds requeue{0};

  std::int64_t max_surge() const { return rolling ? fence.max_surge : 0; }
  std::int64_t max_unavailable() const {
    if (!rolling || replicas == 0) return 0;
    return std::min(fence.max_unavailable, replicas);
  }
  RsInfo* new_rs() { return new_index >= 0 ? &rs[static_cast<std::size_t>(new_index)] : nullptr; }
  const RsInfo* new_rs() const {
    return new_index >= 0 ? &rs[static_cast<std::size_t>(new_index)] : nullptr;
  }
  std::string name() const { return std::string(deployment.name()); }
};

DeploymentController::DeploymentController(LocalClient client, LocalInformer& informer,
                                           EventSink& events, int workers)
    : client_(client.as(controller_identity())),
      informer_(informer),
      recorder_(events, EventRecorder::Api::kCoreV1, "deployment-controller"),
      deployments_(client_.resource("apps", "v1", "deployments")),
      replicasets_(client_.resource("apps", "v1", "replicasets")),
      pods_(client_.resource("", "v1", "pods")),
      loop_("deployment", workers, [this](const std::string& key) { return sync(key); }) {}

void DeploymentController::register_handlers() {
  add_workload_indexes(informer_, deployments_);
  add_workload_indexes(informer_, replicasets_);
  add_workload_indexes(informer_, pods_);
  informer_.add_handler(deployments_, [this](const LocalEvent& e) { on_deployment(e); });
  informer_.add_handler(replicasets_, [this](const LocalEvent& e) { on_replicaset(e); });
  informer_.add_handler(pods_, [this](const LocalEvent& e) { on_pod(e); });
}

void DeploymentController::start() {
  loop_.start();
}

void DeploymentController::stop() {
  loop_.stop();
}

kube::Object DeploymentController::owner_of(const kube::Object& rs) const {
  const Value* ref = workload::controller_ref(rs);
  if (ref == nullptr || json::get_string(*ref, "kind") != "Deployment") return {};
  kube::Object d =
      informer_.get(deployments_, kube::make_key(rs.namespace_(), json::get_string(*ref, "name")));
  if (!d || d.uid() != json::get_string(*ref, "uid")) return {};
  return d;
}

void DeploymentController::enqueue_matching(const kube::Object& rs) {
  for (const auto& d : informer_.by_index(deployments_, kByNamespace, rs.namespace_())) {
    const Value* selector = json::find(*d.spec(), "selector");
    if (selector == nullptr) continue;
    auto s = kube::LabelSelector::from_json(*selector);
    if (s.ok() && !s->empty() && s->matches(rs)) loop_.add(d.key());
  }
}

void DeploymentController::on_deployment(const LocalEvent& e) {
  loop_.add(e.object.key());
}

void DeploymentController::on_replicaset(const LocalEvent& e) {
  kube::Object owner = owner_of(e.object);
  if (e.type == EventType::kModified && e.previous) {
    kube::Object old_owner = owner_of(e.previous);
    if (old_owner && (!owner || old_owner.uid() != owner.uid())) loop_.add(old_owner.key());
  }
  if (owner) {
    loop_.add(owner.key());
  } else if (e.type != EventType::kDeleted && workload::controller_ref(e.object) == nullptr) {
    enqueue_matching(e.object);
  }
}

void DeploymentController::on_pod(const LocalEvent& e) {
  // Recreate waits for old pods to be gone.
  if (e.type != EventType::kDeleted) return;
  const Value* ref = workload::controller_ref(e.object);
  if (ref == nullptr || json::get_string(*ref, "kind") != "ReplicaSet") return;
  kube::Object rs = informer_.get(
      replicasets_, kube::make_key(e.object.namespace_(), json::get_string(*ref, "name")));
  if (!rs) return;
  kube::Object d = owner_of(rs);
  if (d) loop_.add(d.key());
}

ApiStatus DeploymentController::persist(Rollout& r, const Value* status) {
  if (!r.revision.empty() && r.deployment.annotation(kRevisionAnnotation) != r.revision) {
    json::Document doc = r.deployment.copy();
    auto& a = doc.GetAllocator();
    json::set_string(json::ensure_object(json::ensure_object(doc, "metadata", a), "annotations", a),
                     kRevisionAnnotation, r.revision, a);
    KUBE_ASSIGN_OR_RETURN(r.deployment, client_.update(deployments_, std::move(doc)));
  }
  if (status != nullptr) {
    const Value* current = r.deployment.status();
    if (current == nullptr || !json::equal(*current, *status)) {
      json::Document doc = r.deployment.copy();
      json::set(doc, "status", Value(*status, doc.GetAllocator()), doc.GetAllocator());
      KUBE_ASSIGN_OR_RETURN(r.deployment, client_.update(deployments_, std::move(doc), "status"));
    }
    // Callers may pass r.status itself, which RapidJSON cannot copy onto itself.
    if (status != &r.status) r.status.CopyFrom(*status, r.status.GetAllocator());
  }
  return {};
}

ApiStatus DeploymentController::claim(Rollout& r) {
  const kube::Object& d = r.deployment;
  bool deleting = d.being_deleted();
  for (const auto& rs : informer_.by_index(replicasets_, kByControllerUid, d.uid())) {
    if (r.selector.matches(rs)) {
      r.rs.push_back(RsInfo::of(rs));
      continue;
    }
    if (deleting) continue;
    std::string patch = R"({"metadata":{"ownerReferences":[{"$patch":"delete","uid":")" +
                        std::string(d.uid()) + R"("}],"uid":")" + std::string(rs.uid()) + "\"}}";
    auto released =
        client_.patch(replicasets_, rs.namespace_(), rs.name(), PatchType::kStrategic, patch);
    if (!released.ok() && released.error().code != 404) return released.error();
  }
  if (deleting) return {};
  for (const auto& rs : informer_.by_index(replicasets_, kOrphansByNamespace, d.namespace_())) {
    if (rs.being_deleted() || !r.selector.matches(rs)) continue;
    json::Document patch(rapidjson::kObjectType);
    auto& a = patch.GetAllocator();
    Value refs(rapidjson::kArrayType);
    refs.PushBack(workload::controller_reference(d, a), a);
    Value& meta = json::ensure_object(patch, "metadata", a);
    json::set(meta, "ownerReferences", std::move(refs), a);
    json::set_string(meta, "uid", rs.uid(), a);
    auto adopted = client_.patch(replicasets_, rs.namespace_(), rs.name(), PatchType::kStrategic,
                                 json::dump(patch));
    if (adopted.ok()) {
      r.rs.push_back(RsInfo::of(*adopted));
    } else if (adopted.error().code != 404) {
      return adopted.error();
    }
  }
  return {};
}

ApiStatus DeploymentController::new_and_old(Rollout& r, bool create) {
  std::sort(r.rs.begin(), r.rs.end(), [](const RsInfo& a, const RsInfo& b) {
    if (a.counts.created != b.counts.created) return a.counts.created < b.counts.created;
    return a.counts.name < b.counts.name;
  });
  r.new_index = -1;
  r.old.clear();
  for (std::size_t i = 0; i < r.rs.size(); ++i) {
    const Value* t = r.rs[i].pod_template();
    if (r.new_index < 0 && t != nullptr && workload::equal_ignore_hash(*t, r.tpl)) {
      r.new_index = static_cast<int>(i);
    } else {
      r.old.push_back(i);
    }
  }
  std::int64_t max_old = 0;
  for (std::size_t i : r.old)
    max_old = std::max(max_old, r.rs[i].revision);
  std::int64_t new_revision = max_old + 1;
  const kube::Object& d = r.deployment;

  // Copies the deployment's own annotations and sets the revision (and, for a new
  // ReplicaSet, the replica annotations). Returns whether anything changed.
  auto annotate = [&](json::Document& doc, bool exists) {
    auto& a = doc.GetAllocator();
    Value& ann = json::ensure_object(json::ensure_object(doc, "metadata", a), "annotations", a);
    bool changed = false;
    if (const Value* own = d.annotations()) {
      for (const auto& m : own->GetObject()) {
        std::string_view k = json::as_string(m.name);
        if (k == "kubectl.kubernetes.io/last-applied-configuration" || k == kRevisionAnnotation ||
            k == "deployment.kubernetes.io/revision-history" || k == kDesiredReplicasAnnotation ||
            k == kMaxReplicasAnnotation) {
          continue;
        }
        const Value* have = json::find(ann, k);
        if (have == nullptr || !json::equal(*have, m.value)) {
          json::set(ann, k, Value(m.value, a), a);
          changed = true;
        }
      }
    }
    auto old_revision = kube::parse_int(json::get_string(ann, kRevisionAnnotation));
    if (old_revision.value_or(0) < new_revision) {
      json::set_string(ann, kRevisionAnnotation, std::to_string(new_revision), a);
      changed = true;
    }
    if (!exists) {
      json::set_string(ann, kDesiredReplicasAnnotation, std::to_string(r.replicas), a);
      json::set_string(ann, kMaxReplicasAnnotation, std::to_string(r.replicas + r.max_surge()), a);
      changed = true;
    }
    if (ann.MemberCount() == 0) json::remove(*json::find(doc, "metadata"), "annotations");
    return changed;
  };

  if (RsInfo* existing = r.new_rs()) {
    json::Document doc = existing->object.copy();
    bool changed = annotate(doc, true);
    Value& spec = json::ensure_object(doc, "spec", doc.GetAllocator());
    if (json::get_int(spec, "minReadySeconds") != r.min_ready) {
      json::set(spec, "minReadySeconds", Value(r.min_ready), doc.GetAllocator());
      changed = true;
    }
    if (changed) {
      KUBE_ASSIGN_OR_RETURN(kube::Object updated, client_.update(replicasets_, std::move(doc)));
      *existing = RsInfo::of(updated);
    }
    bool needs_update = false;
    std::string rev(existing->object.annotation(kRevisionAnnotation).value_or(""));
    if (!rev.empty() && r.revision != rev) {
      r.revision = rev;
      needs_update = true;
    }
    if (r.progress_deadline && find_condition(r.status, kProgressing) == nullptr) {
      set_condition(r.status, kProgressing, "True", "FoundNewReplicaSet",
                    "Found new replica set " + quoted(existing->counts.name));
      needs_update = true;
    }
    if (needs_update) KUBE_RETURN_IF_ERROR(persist(r, &r.status));
    return {};
  }
  if (!create) return {};

  std::optional<std::int64_t> collisions;
  if (const Value* c = json::find(r.status, "collisionCount"); c != nullptr && c->IsInt64()) {
    collisions = c->GetInt64();
  }
  std::string hash = workload::pod_template_hash(r.tpl, collisions);
  std::string name = r.name() + "-" + hash;
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  Value tpl(r.tpl, a);
  json::set_string(json::ensure_object(json::ensure_object(tpl, "metadata", a), "labels", a),
                   kPodTemplateHashLabel, hash, a);
  Value& meta = json::ensure_object(doc, "metadata", a);
  json::set_string(meta, "name", name, a);
  json::set_string(meta, "namespace", d.namespace_(), a);
  json::set(meta, "labels", Value(*json::find_path(tpl, {"metadata", "labels"}), a), a);
  Value refs(rapidjson::kArrayType);
  refs.PushBack(workload::controller_reference(d, a), a);
  json::set(meta, "ownerReferences", std::move(refs), a);
  std::vector<workload::ReplicaSetCounts> all;
  for (std::size_t i : r.old)
    all.push_back(r.rs[i].counts);
  workload::ReplicaSetCounts fresh;
  all.push_back(fresh);
  std::int64_t replicas =
      r.rolling ? workload::new_rs_new_replicas(r.replicas, r.max_surge(), all, 0) : r.replicas;
  Value& spec = json::ensure_object(doc, "spec", a);
  json::set(spec, "replicas", Value(replicas), a);
  if (r.min_ready > 0) json::set(spec, "minReadySeconds", Value(r.min_ready), a);
  Value selector(*json::find(*d.spec(), "selector"), a);
  json::set_string(json::ensure_object(selector, "matchLabels", a), kPodTemplateHashLabel, hash, a);
  json::set(spec, "selector", std::move(selector), a);
  json::set(spec, "template", std::move(tpl), a);
  annotate(doc, false);

  // The cache may still show a deployment that was just deleted; a ReplicaSet created for it
  // would carry a dangling owner reference that nothing collects. Look at the live object.
  auto live = client_.get(deployments_, d.namespace_(), d.name());
  if (!live.ok()) return live.error();
  if (live->uid() != d.uid() || live->being_deleted()) {
    return errors::conflict({"apps", "deployments"}, d.name(), "the deployment is going away");
  }
  bool already_exists = false;
  kube::Object created;
  auto result = client_.create(replicasets_, d.namespace_(), std::move(doc));
  if (result.ok()) {
    created = *result;
  } else if (result.error().code == 409) {
    auto existing = client_.get(replicasets_, d.namespace_(), name);
    if (!existing.ok()) return existing.error();
    const Value* ref = workload::controller_ref(*existing);
    const Value* t = json::find(*existing->spec(), "template");
    if (ref != nullptr && json::get_string(*ref, "uid") == d.uid() && t != nullptr &&
        workload::equal_ignore_hash(*t, r.tpl)) {
      created = *existing;
      already_exists = true;
    } else {
      // A different template hashed to the same name: try the next hash.
      json::set(r.status, "collisionCount", Value(collisions.value_or(0) + 1),
                r.status.GetAllocator());
      KUBE_RETURN_IF_ERROR(persist(r, &r.status));
      return errors::conflict({"apps", "replicasets"}, name,
                              "hash collision with a ReplicaSet of another template");
    }
  } else {
    std::string message =
        "Failed to create new replica set " + quoted(name) + ": " + result.error().message;
    if (r.progress_deadline) {
      set_condition(r.status, kProgressing, "False", "ReplicaSetCreateError", message);
      (void)persist(r, &r.status);
    }
    recorder_.record(d, "Warning", "ReplicaSetCreateError", "", message);
    return result.error();
  }
  if (!already_exists && replicas > 0) {
    recorder_.record(d, "Normal", "ScalingReplicaSet", "",
                     "Scaled up replica set " + name + " to " + std::to_string(replicas));
  }
  r.rs.push_back(RsInfo::of(created));
  r.new_index = static_cast<int>(r.rs.size() - 1);
  bool needs_update = false;
  std::string rev(created.annotation(kRevisionAnnotation).value_or(std::to_string(new_revision)));
  if (r.revision != rev) {
    r.revision = rev;
    needs_update = true;
  }
  if (!already_exists && r.progress_deadline) {
    set_condition(r.status, kProgressing, "True", "NewReplicaSetCreated",
                  "Created new replica set " + quoted(name));
    needs_update = true;
  }
  if (needs_update) KUBE_RETURN_IF_ERROR(persist(r, &r.status));
  return {};
}

ApiStatus DeploymentController::scale_rs(Rollout& r, std::size_t index, std::int64_t replicas) {
  RsInfo& rs = r.rs[index];
  bool size_change = rs.counts.spec != replicas;
  std::int64_t max = r.replicas + r.max_surge();
  bool annotation_change = rs.desired != r.replicas || rs.counts.max_replicas != max;
  if (!size_change && !annotation_change) return {};
  json::Document doc = rs.object.copy();
  auto& a = doc.GetAllocator();
  json::set(json::ensure_object(doc, "spec", a), "replicas", Value(replicas), a);
  Value& ann = json::ensure_object(json::ensure_object(doc, "metadata", a), "annotations", a);
  json::set_string(ann, kDesiredReplicasAnnotation, std::to_string(r.replicas), a);
  json::set_string(ann, kMaxReplicasAnnotation, std::to_string(max), a);
  KUBE_ASSIGN_OR_RETURN(kube::Object updated, client_.update(replicasets_, std::move(doc)));
  std::int64_t before = rs.counts.spec;
  rs = RsInfo::of(updated);
  if (size_change) {
    recorder_.record(r.deployment, "Normal", "ScalingReplicaSet", "",
                     std::string("Scaled ") + (replicas > before ? "up" : "down") +
                         " replica set " + rs.counts.name + " to " + std::to_string(replicas));
  }
  return {};
}

ApiStatus DeploymentController::scale(Rollout& r) {
  // FindActiveOrLatest: one active ReplicaSet (or none, then the newest) takes the size.
  std::vector<std::size_t> active;
  for (std::size_t i = 0; i < r.rs.size(); ++i) {
    if (r.rs[i].counts.spec > 0) active.push_back(i);
  }
  if (r.new_index >= 0 || !r.old.empty()) {
    std::optional<std::size_t> target;
    if (active.empty()) {
      if (r.new_index >= 0) {
        target = static_cast<std::size_t>(r.new_index);
      } else {
        target = *std::max_element(r.old.begin(), r.old.end(), [&](std::size_t a, std::size_t b) {
          return r.rs[a].counts.created < r.rs[b].counts.created;
        });
      }
    } else if (active.size() == 1) {
      target = active.front();
    }
    if (target) {
      if (r.rs[*target].counts.spec == r.replicas) return {};
      return scale_rs(r, *target, r.replicas);
    }
  }
  // Saturated new ReplicaSet: the old ones go to zero.
  if (const RsInfo* n = r.new_rs(); n != nullptr && n->desired == r.replicas &&
                                    n->counts.available == r.replicas &&
                                    n->counts.spec == r.replicas) {
    for (std::size_t i : r.old) {
      if (r.rs[i].counts.spec > 0) KUBE_RETURN_IF_ERROR(scale_rs(r, i, 0));
    }
    return {};
  }
  if (!r.rolling || active.empty()) return {};
  std::vector<workload::ReplicaSetCounts> counts;
  for (std::size_t i : active)
    counts.push_back(r.rs[i].counts);
  std::vector<std::int64_t> sizes = workload::proportional_sizes(
      counts, r.replicas, r.max_surge(), json::get_int(r.status, "replicas"));
  for (std::size_t k = 0; k < active.size(); ++k)
    KUBE_RETURN_IF_ERROR(scale_rs(r, active[k], sizes[k]));
  return {};
}

ApiResult<std::int64_t> DeploymentController::cleanup_unhealthy(Rollout& r,
                                                                std::int64_t max_cleanup) {
  std::int64_t total = 0;
  for (std::size_t i : r.old) {
    if (total >= max_cleanup) break;
    const auto& c = r.rs[i].counts;
    std::int64_t available = std::min(c.available, c.spec);
    if (c.spec == 0 || c.spec == available) continue;
    std::int64_t down = std::min(max_cleanup - total, c.spec - available);
    KUBE_RETURN_IF_ERROR(scale_rs(r, i, c.spec - down));
    total += down;
  }
  return total;
}

ApiResult<std::int64_t> DeploymentController::scale_down_old(Rollout& r) {
  std::int64_t min_available = r.replicas - r.max_unavailable();
  std::int64_t available = 0;
  for (const auto& rs : r.rs)
    available += std::min(rs.counts.available, rs.counts.spec);
  if (available <= min_available) return std::int64_t{0};
  std::int64_t budget = available - min_available;
  std::int64_t total = 0;
  for (std::size_t i : r.old) {
    if (total >= budget) break;
    const auto& c = r.rs[i].counts;
    if (c.spec == 0) continue;
    std::int64_t down = std::min(c.spec, budget - total);
    KUBE_RETURN_IF_ERROR(scale_rs(r, i, c.spec - down));
    total += down;
  }
  return total;
}

ApiResult<bool> DeploymentController::rolling(Rollout& r) {
  KUBE_RETURN_IF_ERROR(new_and_old(r, true));
  RsInfo* n = r.new_rs();
  // Scale up the new ReplicaSet, within maxSurge.
  if (n != nullptr && n->counts.spec != r.replicas) {
    std::int64_t target = r.replicas;
    if (n->counts.spec < r.replicas) {
      std::vector<workload::ReplicaSetCounts> all;
      for (const auto& rs : r.rs)
        all.push_back(rs.counts);
      target = workload::new_rs_new_replicas(r.replicas, r.max_surge(), all, n->counts.spec);
    }
    if (target != n->counts.spec) {
      KUBE_RETURN_IF_ERROR(scale_rs(r, static_cast<std::size_t>(r.new_index), target));
      return true;
    }
  }
  // Scale down old ReplicaSets, within maxUnavailable.
  std::vector<std::size_t> active_old;
  for (std::size_t i : r.old) {
    if (r.rs[i].counts.spec > 0) active_old.push_back(i);
  }
  if (!active_old.empty()) {
    std::int64_t all_pods = 0;
    for (const auto& rs : r.rs)
      all_pods += rs.counts.spec;
    std::int64_t min_available = r.replicas - r.max_unavailable();
    std::int64_t new_unavailable =
        n != nullptr ? n->counts.spec - std::min(n->counts.available, n->counts.spec) : 0;
    std::int64_t max_scaled_down = all_pods - min_available - new_unavailable;
    if (max_scaled_down > 0) {
      std::vector<std::size_t> saved_old = r.old;
      r.old = active_old;
      std::sort(r.old.begin(), r.old.end(), [&](std::size_t a, std::size_t b) {
        return r.rs[a].counts.created < r.rs[b].counts.created;
      });
      auto cleaned = cleanup_unhealthy(r, max_scaled_down);
      ApiResult<std::int64_t> scaled = std::int64_t{0};
      if (cleaned.ok()) scaled = scale_down_old(r);
      r.old = std::move(saved_old);
      if (!cleaned.ok()) return cleaned.error();
      if (!scaled.ok()) return scaled.error();
      if (*cleaned + *scaled > 0) return true;
    }
  }
  return false;
}

bool DeploymentController::old_pods_running(const Rollout& r) const {
  for (std::size_t i : r.old) {
    if (r.rs[i].counts.status > 0) return true;
  }
  for (std::size_t i : r.old) {
    for (const auto& pod : informer_.by_index(pods_, kByControllerUid, r.rs[i].object.uid())) {
      const Value* status = pod.status();
      std::string_view phase = status != nullptr ? json::get_string(*status, "phase") : "";
      if (phase != "Failed" && phase != "Succeeded") return true;
    }
  }
  return false;
}

ApiStatus DeploymentController::recreate(Rollout& r) {
  KUBE_RETURN_IF_ERROR(new_and_old(r, false));
  bool scaled_down = false;
  for (std::size_t i : r.old) {
    if (r.rs[i].counts.spec == 0) continue;
    KUBE_RETURN_IF_ERROR(scale_rs(r, i, 0));
    scaled_down = true;
  }
  if (scaled_down || old_pods_running(r)) return sync_rollout_status(r);
  if (r.new_index < 0) KUBE_RETURN_IF_ERROR(new_and_old(r, true));
  if (RsInfo* n = r.new_rs(); n != nullptr && n->counts.spec != r.replicas) {
    KUBE_RETURN_IF_ERROR(scale_rs(r, static_cast<std::size_t>(r.new_index), r.replicas));
  }
  if (complete(r)) cleanup_history(r);
  return sync_rollout_status(r);
}

void DeploymentController::cleanup_history(Rollout& r) {
  if (!r.history_limit) return;
  std::vector<std::size_t> cleanable;
  for (std::size_t i : r.old) {
    if (!r.rs[i].object.being_deleted()) cleanable.push_back(i);
  }
  std::int64_t diff = static_cast<std::int64_t>(cleanable.size()) - *r.history_limit;
  if (diff <= 0) return;
  std::sort(cleanable.begin(), cleanable.end(), [&](std::size_t a, std::size_t b) {
    if (r.rs[a].revision != r.rs[b].revision) return r.rs[a].revision < r.rs[b].revision;
    return r.rs[a].counts.created < r.rs[b].counts.created;
  });
  for (std::int64_t k = 0; k < diff; ++k) {
    const RsInfo& rs = r.rs[cleanable[static_cast<std::size_t>(k)]];
    if (rs.counts.status != 0 || rs.counts.spec != 0 || rs.generation > rs.observed_generation) {
      continue;
    }
    auto removed = client_.remove(replicasets_, rs.object.namespace_(), rs.object.name());
    if (!removed.ok() && removed.error().code != 404) {
      kube::log::v(1, "could not delete an old ReplicaSet",
                   {{"replicaset", rs.object.key()}, {"error", removed.error().message}});
    }
  }
}

bool DeploymentController::is_scaling_event(Rollout& r) {
  for (const auto& rs : r.rs) {
    if (rs.counts.spec > 0 && rs.desired && *rs.desired != r.replicas) return true;
  }
  return false;
}

json::Document DeploymentController::calculate_status(const Rollout& r) const {
  std::int64_t available = 0, total = 0, replicas = 0, ready = 0;
  for (const auto& rs : r.rs) {
    available += rs.counts.available;
    total += rs.counts.spec;
    replicas += rs.counts.status;
    ready += rs.ready;
  }
  std::int64_t updated = r.new_rs() != nullptr ? r.new_rs()->counts.status : 0;
  std::int64_t unavailable = std::max<std::int64_t>(0, total - available);
  json::Document status(rapidjson::kObjectType);
  auto& a = status.GetAllocator();
  auto set_nonzero = [&](const char* key, std::int64_t v) {
    if (v != 0) json::set(status, key, Value(v), a);
  };
  set_nonzero("observedGeneration", r.deployment.generation());
  set_nonzero("replicas", replicas);
  set_nonzero("updatedReplicas", updated);
  set_nonzero("readyReplicas", ready);
  set_nonzero("availableReplicas", available);
  set_nonzero("unavailableReplicas", unavailable);
  if (const Value* c = json::find(r.status, "conditions")) {
    json::set(status, "conditions", Value(*c, a), a);
  }
  if (const Value* c = json::find(r.status, "collisionCount")) {
    json::set(status, "collisionCount", Value(*c, a), a);
  }
  if (available >= r.replicas - r.max_unavailable()) {
    set_condition(status, kAvailable, "True", "MinimumReplicasAvailable",
                  "Deployment has minimum availability.");
  } else {
    set_condition(status, kAvailable, "False", "MinimumReplicasUnavailable",
                  "Deployment does not have minimum availability.");
  }
  return status;
}

bool DeploymentController::complete(const Rollout& r) const {
  json::Document status = calculate_status(r);
  return json::get_int(status, "updatedReplicas") == r.replicas &&
         json::get_int(status, "replicas") == r.replicas &&
         json::get_int(status, "availableReplicas") == r.replicas;
}

ApiStatus DeploymentController::sync_rollout_status(Rollout& r) {
  json::Document status = calculate_status(r);
  auto& a = status.GetAllocator();
  if (!r.progress_deadline) remove_condition(status, kProgressing);
  const Value* current = find_condition(r.status, kProgressing);
  std::int64_t replicas = json::get_int(status, "replicas");
  std::int64_t updated = json::get_int(status, "updatedReplicas");
  std::int64_t available = json::get_int(status, "availableReplicas");
  bool complete_now = updated == r.replicas && replicas == r.replicas && available == r.replicas &&
                      json::get_int(status, "observedGeneration") >= r.deployment.generation();
  bool already_complete = replicas == updated && current != nullptr &&
                          json::get_string(*current, "reason") == kNewRSAvailable;
  std::string subject = r.new_rs() != nullptr ? "ReplicaSet " + quoted(r.new_rs()->counts.name)
                                              : "Deployment " + quoted(r.name());
  if (r.progress_deadline && !already_complete) {
    std::int64_t old_replicas = json::get_int(r.status, "replicas");
    std::int64_t old_updated = json::get_int(r.status, "updatedReplicas");
    bool progressing =
        updated > old_updated || (replicas - updated) < (old_replicas - old_updated) ||
        json::get_int(status, "readyReplicas") > json::get_int(r.status, "readyReplicas") ||
        available > json::get_int(r.status, "availableReplicas");
    bool timed_out = false;
    if (current != nullptr) {
      std::string_view reason = json::get_string(*current, "reason");
      if (reason == kTimedOut) {
        timed_out = true;
      } else if (reason != kNewRSAvailable) {
        auto since = kube::parse_time(json::get_string(*current, "lastUpdateTime"));
        timed_out = since && *since + std::chrono::seconds(*r.progress_deadline) <
                                 std::chrono::system_clock::now();
      }
    }
    if (complete_now) {
      set_condition(status, kProgressing, "True", kNewRSAvailable,
                    subject + " has successfully progressed.");
    } else if (progressing) {
      // Progress refreshes lastUpdateTime (the deadline counts from the last progress).
      std::string now = now_rfc3339();
      std::string transition = now;
      if (const Value* c = find_condition(status, kProgressing);
          c != nullptr && json::get_string(*c, "status") == "True") {
        transition = std::string(json::get_string(*c, "lastTransitionTime", now));
      }
      remove_condition(status, kProgressing);
      json::ensure_array(status, "conditions", a)
          .PushBack(make_condition(kProgressing, "True", "ReplicaSetUpdated",
                                   subject + " is progressing.", now, transition, a),
                    a);
    } else if (timed_out) {
      set_condition(status, kProgressing, "False", kTimedOut,
                    subject + " has timed out progressing.");
    }
  }
  // ReplicaFailure mirrors the first failing ReplicaSet (the new one first).
  const Value* failure = nullptr;
  std::vector<const RsInfo*> order;
  if (r.new_rs() != nullptr) order.push_back(r.new_rs());
  for (std::size_t i : r.old)
    order.push_back(&r.rs[i]);
  for (const RsInfo* rs : order) {
    if (rs->object.status() == nullptr) continue;
    failure = find_condition(*rs->object.status(), kReplicaFailure);
    if (failure != nullptr) break;
  }
  if (failure != nullptr) {
    set_condition(status, kReplicaFailure, json::get_string(*failure, "status"),
                  json::get_string(*failure, "reason"), json::get_string(*failure, "message"));
  } else {
    remove_condition(status, kReplicaFailure);
  }

  const Value* stored = r.deployment.status();
  if (stored == nullptr || !json::equal(*stored, status)) {
    KUBE_RETURN_IF_ERROR(persist(r, &status));
  } else {
    KUBE_RETURN_IF_ERROR(persist(r, nullptr));
  }
  // A rollout in progress is looked at again when its deadline would pass.
  const Value* progressing = find_condition(status, kProgressing);
  if (r.progress_deadline && progressing != nullptr &&
      json::get_string(*progressing, "status") == "True" &&
      json::get_string(*progressing, "reason") != kNewRSAvailable && !complete_now) {
    auto since = kube::parse_time(json::get_string(*progressing, "lastUpdateTime"));
    if (since) {
      auto at = *since + std::chrono::seconds(*r.progress_deadline) + std::chrono::seconds(1);
      auto wait = std::chrono::duration_cast<milliseconds>(at - std::chrono::system_clock::now());
      r.requeue = std::max(wait, milliseconds(100));
    }
  }
  return {};
}

ApiStatus DeploymentController::sync_status_only(Rollout& r) {
  json::Document status = calculate_status(r);
  return persist(r, &status);
}

ApiStatus DeploymentController::check_paused(Rollout& r) {
  if (!r.progress_deadline) return {};
  const Value* c = find_condition(r.status, kProgressing);
  if (c != nullptr && json::get_string(*c, "reason") == kTimedOut) return {};
  bool paused_condition = c != nullptr && json::get_string(*c, "reason") == kPaused;
  if (r.paused && !paused_condition) {
    set_condition(r.status, kProgressing, "Unknown", kPaused, "Deployment is paused");
  } else if (!r.paused && paused_condition) {
    set_condition(r.status, kProgressing, "Unknown", "DeploymentResumed", "Deployment is resumed");
  } else {
    return {};
  }
  return persist(r, &r.status);
}

SyncResult DeploymentController::sync(const std::string& key) {
  kube::Object d = informer_.get(deployments_, key);
  if (!d) return {};
  Rollout r;
  r.deployment = d;
  const Value& spec = *d.spec();
  if (const Value* s = d.status()) r.status.CopyFrom(*s, r.status.GetAllocator());
  if (!r.status.IsObject()) r.status.SetObject();
  r.revision = std::string(d.annotation(kRevisionAnnotation).value_or(""));
  r.replicas = json::get_int(spec, "replicas", 1);
  r.min_ready = json::get_int(spec, "minReadySeconds", 0);
  r.paused = json::get_bool(spec, "paused");
  const Value* strategy = json::find(spec, "strategy");
  r.rolling =
      strategy == nullptr || json::get_string(*strategy, "type", "RollingUpdate") != "Recreate";
  if (const Value* p = json::find(spec, "progressDeadlineSeconds");
      p != nullptr && p->IsInt64() && p->GetInt64() != std::numeric_limits<std::int32_t>::max()) {
    r.progress_deadline = p->GetInt64();
  }
  if (const Value* h = json::find(spec, "revisionHistoryLimit"); h != nullptr && h->IsInt64()) {
    r.history_limit = h->GetInt64();
  }
  if (r.rolling) {
    const Value* ru = strategy != nullptr ? json::find(*strategy, "rollingUpdate") : nullptr;
    auto fence =
        workload::resolve_fenceposts(ru ? json::find(*ru, "maxSurge") : nullptr,
                                     ru ? json::find(*ru, "maxUnavailable") : nullptr, r.replicas);
    if (!fence.ok()) {
      kube::log::warn("Deployment has an invalid rolling update strategy",
                      {{"deployment", key}, {"error", fence.error().message}});
      return {};
    }
    r.fence = *fence;
  }
  const Value* selector = json::find(spec, "selector");
  auto parsed = selector != nullptr ? kube::LabelSelector::from_json(*selector)
                                    : kube::Result<kube::LabelSelector>(kube::LabelSelector());
  if (!parsed.ok() || parsed->empty()) {
    recorder_.record(d, "Warning", "SelectingAll", "",
                     "This deployment is selecting all pods. A non-empty selector is required.");
    return {};
  }
  r.selector = std::move(parsed).value();
  const Value* tpl = json::find(spec, "template");
  if (tpl == nullptr) return {};
  r.tpl.CopyFrom(*tpl, r.tpl.GetAllocator());

  auto run = [&]() -> ApiStatus {
    KUBE_RETURN_IF_ERROR(claim(r));
    if (d.being_deleted()) {
      KUBE_RETURN_IF_ERROR(new_and_old(r, false));
      return sync_status_only(r);
    }
    KUBE_RETURN_IF_ERROR(check_paused(r));
    KUBE_RETURN_IF_ERROR(new_and_old(r, false));
    if (r.paused || is_scaling_event(r)) {
      KUBE_RETURN_IF_ERROR(scale(r));
      if (r.paused) cleanup_history(r);
      return sync_status_only(r);
    }
    if (!r.rolling) return recreate(r);
    KUBE_ASSIGN_OR_RETURN(bool changed, rolling(r));
    if (!changed && complete(r)) cleanup_history(r);
    return sync_rollout_status(r);
  };
  ApiStatus st = run();
  if (!st.ok()) {
    if (st.error().code != 409 && st.error().code != 404) {
      kube::log::v(1, "deployment sync failed",
                   {{"deployment", key}, {"error", st.error().message}});
    }
    return {.retry = true};
  }
  return {.retry = false, .requeue_after = r.requeue};
}

}  // namespace berth::sim
