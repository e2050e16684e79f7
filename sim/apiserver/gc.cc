#include "sim/apiserver/gc.h"

#include "kube/core/log.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

std::vector<std::string> owner_uids(const kube::Object& o) {
  std::vector<std::string> out;
  const Value* meta = o.metadata();
  const Value* refs = meta ? json::find(*meta, "ownerReferences") : nullptr;
  if (refs == nullptr || !refs->IsArray()) return out;
  for (const auto& r : refs->GetArray())
    out.emplace_back(json::get_string(r, "uid"));
  return out;
}

bool blocks_owner(const kube::Object& dependent, std::string_view owner_uid) {
  const Value* refs = json::find(*dependent.metadata(), "ownerReferences");
  if (refs == nullptr || !refs->IsArray()) return false;
  for (const auto& r : refs->GetArray()) {
    if (json::get_string(r, "uid") == owner_uid && json::get_bool(r, "blockOwnerDeletion")) {
      return true;
    }
  }
  return false;
}

WriteOptions gc_write() {
  WriteOptions w;
  w.user.username = "system:serviceaccount:kube-system:generic-garbage-collector";
  w.user.groups = {"system:serviceaccounts", "system:serviceaccounts:kube-system",
                   "system:authenticated"};
  return w;
}

DeleteOptions gc_delete(Propagation p) {
  DeleteOptions d;
  d.propagation = p;
  d.user = gc_write().user;
  return d;
}

}  // namespace

GarbageCollector::GarbageCollector(ObjectApi& api, TaskQueue& queue) : api_(api), queue_(queue) {}

void GarbageCollector::start() {
  api_.on_commit([this](const CommitEvent& e) { on_commit(e); });
}

void GarbageCollector::on_commit(const CommitEvent& event) {
  if (event.type == EventType::kDeleted) {
    std::string uid(event.object.uid());
    queue_.post([this, uid] { owner_gone(uid); });
    // An owner deleting in the foreground may have been waiting for this dependent.
    for (auto& owner : owner_uids(event.object)) {
      queue_.post([this, owner] { foreground(owner); });
    }
    return;
  }
  if (!event.object.being_deleted()) return;
  std::string uid(event.object.uid());
  if (event.object.has_finalizer("foregroundDeletion")) {
    queue_.post([this, uid] { foreground(uid); });
  }
  if (event.object.has_finalizer("orphan")) {
    queue_.post([this, uid] { orphan(uid); });
  }
}

void GarbageCollector::owner_gone(const std::string& uid) {
  for (const auto& [table, key] : api_.store().dependents(uid)) {
    ResourcePtr resource = api_.resource_for_table(table);
    kube::Object dependent = api_.store().get(table, key);
    if (!resource || !dependent) continue;
    bool other_owner_alive = false;
    for (const auto& owner : owner_uids(dependent)) {
      if (owner != uid && api_.store().find_uid(owner)) other_owner_alive = true;
    }
    if (other_owner_alive) {
      auto r = api_.guaranteed_update(
          resource, dependent.namespace_(), dependent.name(), "",
          [&uid](const kube::Object& current) -> ApiResult<json::Document> {
            json::Document doc = current.copy();
            Value* refs = json::find(*json::find(doc, "metadata"), "ownerReferences");
            if (refs != nullptr && refs->IsArray()) {
              for (auto it = refs->Begin(); it != refs->End();) {
                it = json::get_string(*it, "uid") == uid ? refs->Erase(it) : it + 1;
              }
              if (refs->Empty()) json::remove(*json::find(doc, "metadata"), "ownerReferences");
            }
            return doc;
          },
          gc_write());
      if (!r.ok() && r.error().code != 404) {
        kube::log::warn("garbage collector could not drop an owner reference",
                        {{"object", key}, {"error", r.error().message}});
      }
      continue;
    }
    if (dependent.being_deleted()) continue;
    auto d = api_.remove(resource, dependent.namespace_(), dependent.name(),
                         gc_delete(Propagation::kBackground));
    if (!d.ok() && d.error().code != 404) {
      kube::log::warn("garbage collector could not delete a dependent",
                      {{"object", key}, {"error", d.error().message}});
    }
  }
}

void GarbageCollector::remove_finalizer(const ResourcePtr& resource, const kube::Object& owner,
                                        std::string_view finalizer) {
  std::string f(finalizer);
  auto r = api_.guaranteed_update(
      resource, owner.namespace_(), owner.name(), "",
      [f](const kube::Object& current) -> ApiResult<json::Document> {
        json::Document doc = current.copy();
        Value& meta = *json::find(doc, "metadata");
        Value* list = json::find(meta, "finalizers");
        if (list != nullptr && list->IsArray()) {
          for (auto it = list->Begin(); it != list->End();) {
            it = json::as_string(*it) == f ? list->Erase(it) : it + 1;
          }
          if (list->Empty()) json::remove(meta, "finalizers");
        }
        return doc;
      },
      gc_write());
  if (!r.ok() && r.error().code != 404) {
    kube::log::warn("garbage collector could not remove a finalizer",
                    {{"object", owner.key()}, {"error", r.error().message}});
  }
}

void GarbageCollector::foreground(const std::string& uid) {
  auto where = api_.store().find_uid(uid);
  if (!where) return;
  kube::Object owner = api_.store().get(where->first, where->second);
  ResourcePtr resource = api_.resource_for_table(where->first);
  if (!owner || !resource || !owner.being_deleted() || !owner.has_finalizer("foregroundDeletion")) {
    return;
  }
  bool waiting = false;
  for (const auto& [table, key] : api_.store().dependents(uid)) {
    ResourcePtr dep_resource = api_.resource_for_table(table);
    kube::Object dependent = api_.store().get(table, key);
    if (!dep_resource || !dependent) continue;
    if (blocks_owner(dependent, uid)) waiting = true;
    if (dependent.being_deleted()) continue;
    bool has_own_dependents = !api_.store().dependents(std::string(dependent.uid())).empty();
    auto d = api_.remove(
        dep_resource, dependent.namespace_(), dependent.name(),
        gc_delete(has_own_dependents ? Propagation::kForeground : Propagation::kBackground));
    if (!d.ok() && d.error().code != 404) {
      kube::log::warn("garbage collector could not delete a dependent",
                      {{"object", key}, {"error", d.error().message}});
    }
  }
  if (waiting) {
    // Re-check once every blocking dependent is gone (their DELETED events post again).
    for (const auto& [table, key] : api_.store().dependents(uid)) {
      kube::Object dependent = api_.store().get(table, key);
      if (dependent && blocks_owner(dependent, uid)) return;
    }
  }
  remove_finalizer(resource, owner, "foregroundDeletion");
}

void GarbageCollector::orphan(const std::string& uid) {
  auto where = api_.store().find_uid(uid);
  if (!where) return;
  kube::Object owner = api_.store().get(where->first, where->second);
  ResourcePtr resource = api_.resource_for_table(where->first);
  if (!owner || !resource || !owner.has_finalizer("orphan")) return;
  for (const auto& [table, key] : api_.store().dependents(uid)) {
    ResourcePtr dep_resource = api_.resource_for_table(table);
    kube::Object dependent = api_.store().get(table, key);
    if (!dep_resource || !dependent) continue;
    auto r = api_.guaranteed_update(
        dep_resource, dependent.namespace_(), dependent.name(), "",
        [&uid](const kube::Object& current) -> ApiResult<json::Document> {
          json::Document doc = current.copy();
          Value& meta = *json::find(doc, "metadata");
          Value* refs = json::find(meta, "ownerReferences");
          if (refs != nullptr && refs->IsArray()) {
            for (auto it = refs->Begin(); it != refs->End();) {
              it = json::get_string(*it, "uid") == uid ? refs->Erase(it) : it + 1;
            }
            if (refs->Empty()) json::remove(meta, "ownerReferences");
          }
          return doc;
        },
        gc_write());
    if (!r.ok() && r.error().code != 404) {
      kube::log::warn("garbage collector could not orphan a dependent",
                      {{"object", key}, {"error", r.error().message}});
    }
  }
  remove_finalizer(resource, owner, "orphan");
}

}  // namespace berth::sim
