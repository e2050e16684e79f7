#include "sim/controllers/replicaset_controller.h"

#include <algorithm>
#include <unordered_map>

#include "kube/api/selector.h"
#include "kube/core/log.h"
#include "sim/controllers/indexes.h"
#include "sim/controllers/workload.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t kBurstReplicas = 500;

Identity controller_identity() {
  return {"system:serviceaccount:kube-system:replicaset-controller",
          {"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
          "kube-controller-manager"};
}

std::int64_t spec_int(const kube::Object& o, std::string_view key, std::int64_t fallback) {
  const Value* spec = o.spec();
  return spec != nullptr ? json::get_int(*spec, key, fallback) : fallback;
}

// Kubernetes' deletion preference: the pod whose loss hurts least comes first.
struct DeletionRank {
  bool assigned;
  int phase;  // Pending 0, Unknown 1, Running 2
  bool ready;
  int doubled_up;  // active pods of this ReplicaSet on the same node (more = delete first)
  workload::SystemTime ready_since;
  int restarts;
  std::string created;
};

DeletionRank rank_of(const kube::Object& pod,
                     const std::unordered_map<std::string, int>& pods_per_node) {
  DeletionRank r;
  std::string node(json::get_string(*pod.spec(), "nodeName"));
  r.assigned = !node.empty();
  const Value* status = pod.status();
  std::string_view phase = status != nullptr ? json::get_string(*status, "phase") : "";
  r.phase = phase == "Pending" ? 0 : (phase == "Running" ? 2 : 1);
  r.ready = workload::pod_ready(pod);
  auto it = pods_per_node.find(node);
  r.doubled_up = r.assigned && it != pods_per_node.end() ? it->second : 0;
  r.ready_since = workload::pod_ready_since(pod).value_or(workload::SystemTime{});
  r.restarts = workload::pod_restarts(pod);
  r.created = std::string(pod.creation_timestamp());
  return r;
}

bool delete_first(const DeletionRank& a, const DeletionRank& b) {
  if (a.assigned != b.assigned) return !a.assigned;
  if (a.phase != b.phase) return a.phase < b.phase;
  if (a.ready != b.ready) return !a.ready;
  if (a.doubled_up != b.doubled_up) return a.doubled_up > b.doubled_up;
  if (a.ready && a.ready_since != b.ready_since) return a.ready_since > b.ready_since;
  if (a.restarts != b.restarts) return a.restarts > b.restarts;
  return a.created > b.created;
}

bool labels_match_template(const kube::Object& pod, const Value* template_labels) {
  if (template_labels == nullptr || !template_labels->IsObject()) return true;
  const Value* labels = pod.labels();
  for (const auto& m : template_labels->GetObject()) {
    const Value* have = labels != nullptr ? json::find(*labels, json::as_string(m.name)) : nullptr;
    if (have == nullptr || !json::equal(*have, m.value)) return false;
  }
  return true;
}

}  // namespace

ReplicaSetController::ReplicaSetController(LocalClient client, LocalInformer& informer,
                                           EventSink& events, int workers)
    : client_(client.as(controller_identity())),
      informer_(informer),
      recorder_(events, EventRecorder::Api::kCoreV1, "replicaset-controller"),
      pods_(client_.resource("", "v1", "pods")),
      replicasets_(client_.resource("apps", "v1", "replicasets")),
      loop_("replicaset", workers, [this](const std::string& key) { return sync(key); }) {}

void ReplicaSetController::register_handlers() {
  add_workload_indexes(informer_, pods_);
  add_workload_indexes(informer_, replicasets_);
  informer_.add_handler(pods_, [this](const LocalEvent& e) { on_pod(e); });
  informer_.add_handler(replicasets_, [this](const LocalEvent& e) { on_replicaset(e); });
}

void ReplicaSetController::start() {
  loop_.start();
}

void ReplicaSetController::stop() {
  loop_.stop();
}

kube::Object ReplicaSetController::owner_of(const kube::Object& pod) const {
  const Value* ref = workload::controller_ref(pod);
  if (ref == nullptr || json::get_string(*ref, "kind") != "ReplicaSet") return {};
  kube::Object rs =
      informer_.get(replicasets_, kube::make_key(pod.namespace_(), json::get_string(*ref, "name")));
  if (!rs || rs.uid() != json::get_string(*ref, "uid")) return {};
  return rs;
}

void ReplicaSetController::enqueue_matching(const kube::Object& pod) {
  for (const auto& rs : informer_.by_index(replicasets_, kByNamespace, pod.namespace_())) {
    const Value* selector = json::find(*rs.spec(), "selector");
    if (selector == nullptr) continue;
    auto s = kube::LabelSelector::from_json(*selector);
    if (s.ok() && !s->empty() && s->matches(pod)) loop_.add(rs.key());
  }
}

void ReplicaSetController::on_replicaset(const LocalEvent& e) {
  if (e.type == EventType::kDeleted) expectations_.forget(e.object.key());
  loop_.add(e.object.key());
}

void ReplicaSetController::pod_deleted(const kube::Object& pod) {
  kube::Object rs = owner_of(pod);
  if (!rs) return;
  expectations_.deletion_observed(rs.key(), pod.key());
  loop_.add(rs.key());
}

void ReplicaSetController::on_pod(const LocalEvent& e) {
  const kube::Object& pod = e.object;
  switch (e.type) {
    case EventType::kAdded: {
      // A pod already being deleted when first seen counts as a deletion.
      if (pod.being_deleted()) {
        pod_deleted(pod);
        return;
      }
      if (workload::controller_ref(pod) != nullptr) {
        kube::Object rs = owner_of(pod);
        if (!rs) return;
        expectations_.creation_observed(rs.key());
        loop_.add(rs.key());
        return;
      }
      enqueue_matching(pod);
      return;
    }
    case EventType::kModified: {
      const kube::Object& old = e.previous;
      bool labels_changed = !(old.labels() == nullptr && pod.labels() == nullptr) &&
                            (old.labels() == nullptr || pod.labels() == nullptr ||
                             !json::equal(*old.labels(), *pod.labels()));
      if (pod.being_deleted()) {
        pod_deleted(pod);
        if (labels_changed) pod_deleted(old);
        return;
      }
      kube::Object old_owner = old ? owner_of(old) : kube::Object();
      kube::Object owner = owner_of(pod);
      if (old_owner && (!owner || old_owner.uid() != owner.uid())) loop_.add(old_owner.key());
      if (owner) {
        loop_.add(owner.key());
        // Becoming ready starts the minReadySeconds clock; look again when it runs out.
        std::int64_t min_ready = spec_int(owner, "minReadySeconds", 0);
        if (min_ready > 0 && !workload::pod_ready(old) && workload::pod_ready(pod)) {
          loop_.add_after(owner.key(), milliseconds(min_ready * 1000 + 100));
        }
        return;
      }
      if (labels_changed || old_owner) enqueue_matching(pod);
      return;
    }
    case EventType::kDeleted:
      pod_deleted(pod);
      return;
  }
}

json::Document ReplicaSetController::pod_from_template(const kube::Object& rs) const {
  json::Document pod(rapidjson::kObjectType);
  auto& a = pod.GetAllocator();
  const Value* tpl = json::find(*rs.spec(), "template");
  Value& meta = json::ensure_object(pod, "metadata", a);
  json::set_string(meta, "generateName", std::string(rs.name()) + "-", a);
  json::set_string(meta, "namespace", rs.namespace_(), a);
  if (tpl != nullptr) {
    if (const Value* tmeta = json::find(*tpl, "metadata")) {
      for (const char* key : {"labels", "annotations", "finalizers"}) {
        if (const Value* v = json::find(*tmeta, key)) json::set(meta, key, Value(*v, a), a);
      }
    }
  }
  Value refs(rapidjson::kArrayType);
  refs.PushBack(workload::controller_reference(rs, a), a);
  json::set(meta, "ownerReferences", std::move(refs), a);
  if (tpl != nullptr) {
    if (const Value* spec = json::find(*tpl, "spec")) json::set(pod, "spec", Value(*spec, a), a);
  }
  return pod;
}

ApiStatus ReplicaSetController::manage(const kube::Object& rs,
                                       const std::vector<kube::Object>& pods,
                                       std::int64_t replicas) {
  std::string key = rs.key();
  std::int64_t diff = static_cast<std::int64_t>(pods.size()) - replicas;
  if (diff < 0) {
    std::int64_t want = std::min(-diff, kBurstReplicas);
    expectations_.expect_creations(key, want);
    std::int64_t created = 0;
    std::int64_t batch = 1;
    while (created < want) {
      // A ReplicaSet deleted since the cache was read would leave pods with a dangling owner
      // reference that nothing collects: check the live object before each batch.
      auto live = client_.get(replicasets_, rs.namespace_(), rs.name());
      if (!live.ok() || live->uid() != rs.uid() || live->being_deleted()) {
        expectations_.lower_creations(key, want - created);
        return {};
      }
      std::int64_t n = std::min(batch, want - created);
      for (std::int64_t i = 0; i < n; ++i) {
        ++creations_;
        auto pod = client_.create(pods_, rs.namespace_(), pod_from_template(rs));
        if (!pod.ok()) {
          // This creation and the ones not attempted will never show up in the cache.
          expectations_.lower_creations(key, want - created);
          recorder_.record(rs, "Warning", "FailedCreate", "",
                           "Error creating: " + pod.error().message);
          return pod.error();
        }
        ++created;
        recorder_.record(rs, "Normal", "SuccessfulCreate", "",
                         "Created pod: " + std::string(pod->name()));
      }
      batch *= 2;
    }
    return {};
  }
  if (diff > 0) {
    std::int64_t n = std::min(diff, kBurstReplicas);
    std::unordered_map<std::string, int> per_node;
    for (const auto& p : pods)
      ++per_node[std::string(json::get_string(*p.spec(), "nodeName"))];
    std::vector<std::pair<DeletionRank, const kube::Object*>> ranked;
    ranked.reserve(pods.size());
    for (const auto& p : pods)
      ranked.emplace_back(rank_of(p, per_node), &p);
    std::sort(ranked.begin(), ranked.end(),
              [](const auto& a, const auto& b) { return delete_first(a.first, b.first); });
    ranked.resize(static_cast<std::size_t>(n));
    std::vector<std::string> keys;
    for (const auto& [rank, p] : ranked)
      keys.push_back(p->key());
    expectations_.expect_deletions(key, keys);
    ApiStatus result;
    for (const auto& [rank, p] : ranked) {
      auto r = client_.remove(pods_, p->namespace_(), p->name());
      if (!r.ok()) {
        expectations_.deletion_observed(key, p->key());
        if (r.error().code == 404) continue;
        recorder_.record(rs, "Warning", "FailedDelete", "", "Error deleting: " + r.error().message);
        if (result.ok()) result = r.error();
        continue;
      }
      recorder_.record(rs, "Normal", "SuccessfulDelete", "",
                       "Deleted pod: " + std::string(p->name()));
    }
    return result;
  }
  return {};
}

SyncResult ReplicaSetController::sync(const std::string& key) {
  kube::Object rs = informer_.get(replicasets_, key);
  if (!rs) {
    expectations_.forget(key);
    return {};
  }
  const Value* spec = rs.spec();
  const Value* selector_json = spec != nullptr ? json::find(*spec, "selector") : nullptr;
  if (selector_json == nullptr) return {};
  auto selector = kube::LabelSelector::from_json(*selector_json);
  if (!selector.ok() || selector->empty()) {
    kube::log::warn(
        "ReplicaSet has an unusable selector",
        {{"replicaset", key}, {"error", selector.ok() ? "empty" : selector.error().message}});
    return {};
  }
  std::int64_t replicas = json::get_int(*spec, "replicas", 1);
  std::int64_t min_ready = json::get_int(*spec, "minReadySeconds", 0);
  bool deleting = rs.being_deleted();

  // Claim: owned pods that still match, plus orphans that match (adopted).
  std::vector<kube::Object> pods;
  bool retry = false;
  for (const auto& pod : informer_.by_index(pods_, kByControllerUid, rs.uid())) {
    if (selector->matches(pod)) {
      pods.push_back(pod);
      continue;
    }
    if (deleting) continue;
    std::string patch = R"({"metadata":{"ownerReferences":[{"$patch":"delete","uid":")" +
                        std::string(rs.uid()) + R"("}],"uid":")" + std::string(pod.uid()) + "\"}}";
    auto r = client_.patch(pods_, pod.namespace_(), pod.name(), PatchType::kStrategic, patch);
    if (!r.ok() && r.error().code != 404) retry = true;
  }
  if (!deleting) {
    for (const auto& pod : informer_.by_index(pods_, kOrphansByNamespace, rs.namespace_())) {
      if (!workload::pod_active(pod) || !selector->matches(pod)) continue;
      json::Document patch(rapidjson::kObjectType);
      auto& a = patch.GetAllocator();
      Value refs(rapidjson::kArrayType);
      refs.PushBack(workload::controller_reference(rs, a), a);
      Value& meta = json::ensure_object(patch, "metadata", a);
      json::set(meta, "ownerReferences", std::move(refs), a);
      json::set_string(meta, "uid", pod.uid(), a);
      auto adopted = client_.patch(pods_, pod.namespace_(), pod.name(), PatchType::kStrategic,
                                   json::dump(patch));
      if (adopted.ok()) {
        pods.push_back(*adopted);
      } else if (adopted.error().code != 404) {
        retry = true;
      }
    }
  }
  std::vector<kube::Object> active;
  for (auto& p : pods) {
    if (workload::pod_active(p)) active.push_back(std::move(p));
  }

  ApiStatus managed;
  if (expectations_.satisfied(key) && !deleting) managed = manage(rs, active, replicas);

  // Status, from what the cache shows now.
  auto now = std::chrono::system_clock::now();
  const Value* tpl_labels = json::find_path(*spec, {"template", "metadata", "labels"});
  std::int64_t fully_labeled = 0, ready = 0, available = 0;
  std::optional<workload::SystemTime> next_available;
  for (const auto& p : active) {
    if (labels_match_template(p, tpl_labels)) ++fully_labeled;
    if (!workload::pod_ready(p)) continue;
    ++ready;
    if (workload::pod_available(p, min_ready, now)) {
      ++available;
    } else if (auto since = workload::pod_ready_since(p)) {
      auto at = *since + std::chrono::seconds(min_ready);
      if (!next_available || at < *next_available) next_available = at;
    }
  }
  json::Document status(rapidjson::kObjectType);
  auto& a = status.GetAllocator();
  json::set(status, "replicas", Value(static_cast<std::int64_t>(active.size())), a);
  if (fully_labeled > 0) json::set(status, "fullyLabeledReplicas", Value(fully_labeled), a);
  if (ready > 0) json::set(status, "readyReplicas", Value(ready), a);
  if (available > 0) json::set(status, "availableReplicas", Value(available), a);
  json::set(status, "observedGeneration", Value(rs.generation()), a);
  const Value* old_status = rs.status();
  const Value* old_conditions =
      old_status != nullptr ? json::find(*old_status, "conditions") : nullptr;
  Value conditions(rapidjson::kArrayType);
  bool had_failure = false;
  if (old_conditions != nullptr && old_conditions->IsArray()) {
    for (const auto& c : old_conditions->GetArray()) {
      if (json::get_string(c, "type") == "ReplicaFailure") {
        had_failure = true;
        if (!managed.ok()) conditions.PushBack(Value(c, a), a);
        continue;
      }
      conditions.PushBack(Value(c, a), a);
    }
  }
  if (!managed.ok() && !had_failure) {
    Value c(rapidjson::kObjectType);
    json::set_string(c, "type", "ReplicaFailure", a);
    json::set_string(c, "status", "True", a);
    json::set_string(c, "lastTransitionTime", now_rfc3339(), a);
    bool creating = static_cast<std::int64_t>(active.size()) < replicas;
    json::set_string(c, "reason", creating ? "FailedCreate" : "FailedDelete", a);
    json::set_string(c, "message", managed.error().message, a);
    conditions.PushBack(c, a);
  }
  if (!conditions.Empty()) json::set(status, "conditions", std::move(conditions), a);

  if (old_status == nullptr || !json::equal(*old_status, status)) {
    json::Document doc = rs.copy();
    json::set(doc, "status", Value(status, doc.GetAllocator()), doc.GetAllocator());
    auto updated = client_.update(replicasets_, std::move(doc), "status");
    if (!updated.ok() && updated.error().code != 404) retry = true;
  }
  if (!managed.ok() || retry) return {.retry = true};
  if (next_available) {
    auto wait = std::chrono::duration_cast<milliseconds>(*next_available - now);
    return {.retry = false, .requeue_after = std::max(wait, milliseconds(1)) + milliseconds(100)};
  }
  return {};
}

}  // namespace berth::sim
