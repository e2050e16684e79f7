#include "sim/apiserver/namespace_controller.h"

#include <set>

#include "kube/core/log.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

NamespaceController::NamespaceController(ObjectApi& api, TaskQueue& queue, std::string ca_pem)
    : api_(api), queue_(queue), ca_pem_(std::move(ca_pem)) {}

void NamespaceController::start() {
  api_.on_commit([this](const CommitEvent& e) { on_commit(e); });
}

void NamespaceController::on_commit(const CommitEvent& event) {
  const ResourceInfo& r = *event.resource;
  if (r.group.empty() && r.plural == "namespaces") {
    std::string name(event.object.name());
    if (event.type == EventType::kAdded) {
      // Synchronously, so a pod created right after its namespace finds the service account.
      populate(name);
    } else if (event.type == EventType::kModified && event.object.being_deleted()) {
      schedule(name, std::chrono::milliseconds(0));
    }
    return;
  }
  if (event.type != EventType::kDeleted || !r.namespaced) return;
  std::string ns(event.object.namespace_());
  ResourcePtr namespaces = api_.registry().find("", "v1", "namespaces");
  auto object = api_.get(*namespaces, "", ns);
  if (object.ok() && object->being_deleted()) schedule(ns, std::chrono::milliseconds(0));
}

void NamespaceController::populate(const std::string& namespace_) {
  ResourcePtr accounts = api_.registry().find("", "v1", "serviceaccounts");
  ResourcePtr configmaps = api_.registry().find("", "v1", "configmaps");
  WriteOptions sa_write;
  sa_write.user.username = "system:serviceaccount:kube-system:service-account-controller";
  json::Document sa(rapidjson::kObjectType);
  json::set_string(json::ensure_object(sa, "metadata", sa.GetAllocator()), "name", "default",
                   sa.GetAllocator());
  auto created = api_.create(accounts, namespace_, std::move(sa), sa_write);
  if (!created.ok() && created.error().code != 409) {
    kube::log::warn("could not create the default service account",
                    {{"namespace", namespace_}, {"error", created.error().message}});
  }
  WriteOptions cm_write;
  cm_write.field_manager = "kube-controller-manager";
  cm_write.user.username = "system:serviceaccount:kube-system:root-ca-cert-publisher";
  json::Document cm(rapidjson::kObjectType);
  auto& a = cm.GetAllocator();
  Value& meta = json::ensure_object(cm, "metadata", a);
  json::set_string(meta, "name", "kube-root-ca.crt", a);
  json::set_string(
      json::ensure_object(meta, "annotations", a), "kubernetes.io/description",
      "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
      "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
      "guaranteed across distributions of Kubernetes clusters.",
      a);
  json::set_string(json::ensure_object(cm, "data", a), "ca.crt", ca_pem_, a);
  created = api_.create(configmaps, namespace_, std::move(cm), cm_write);
  if (!created.ok() && created.error().code != 409) {
    kube::log::warn("could not publish kube-root-ca.crt",
                    {{"namespace", namespace_}, {"error", created.error().message}});
  }
}

void NamespaceController::schedule(const std::string& namespace_, std::chrono::milliseconds delay) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!scheduled_.insert(namespace_).second) return;
  }
  queue_.post_after(delay, [this, namespace_] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      scheduled_.erase(namespace_);
    }
    drain(namespace_);
  });
}

void NamespaceController::drain(const std::string& namespace_) {
  ResourcePtr namespaces = api_.registry().find("", "v1", "namespaces");
  auto ns = api_.get(*namespaces, "", namespace_);
  if (!ns.ok() || !ns->being_deleted()) return;
  std::size_t remaining = 0;
  std::set<std::string> tables;
  DeleteOptions del;
  del.propagation = Propagation::kBackground;
  del.user.username = "system:serviceaccount:kube-system:namespace-controller";
  for (const auto& r : api_.registry().all()) {
    if (!r->namespaced || r->virtual_only || !r->allows("list")) continue;
    if (!tables.insert(r->storage_table).second) continue;
    ResourcePtr resource = api_.resource_for_table(r->storage_table);
    if (!resource) continue;
    SnapshotPtr objects = api_.store().list(r->storage_table, namespace_ + "/");
    remaining += objects->items.size();
    for (const auto& o : objects->items) {
      if (o.being_deleted()) continue;
      auto d = api_.remove(resource, namespace_, o.name(), del);
      if (!d.ok() && d.error().code != 404) {
        kube::log::warn(
            "namespace controller could not delete an object",
            {{"namespace", namespace_}, {"name", o.name()}, {"error", d.error().message}});
      }
    }
  }
  if (remaining > 0) {
    // Deletions the controller waits for (finalizers, graceful pods) also trigger a re-check
    // when they complete; this is the safety net.
    std::size_t left = 0;
    for (const auto& t : tables)
      left += api_.store().list(t, namespace_ + "/")->items.size();
    if (left > 0) {
      schedule(namespace_, std::chrono::milliseconds(1000));
      return;
    }
  }
  WriteOptions finalize;
  finalize.user = del.user;
  auto done = api_.guaranteed_update(
      namespaces, "", namespace_, "finalize",
      [](const kube::Object& current) -> ApiResult<json::Document> {
        json::Document doc = current.copy();
        if (Value* spec = json::find(doc, "spec")) json::remove(*spec, "finalizers");
        return doc;
      },
      finalize);
  if (!done.ok() && done.error().code != 404) {
    kube::log::warn("namespace controller could not finalize a namespace",
                    {{"namespace", namespace_}, {"error", done.error().message}});
  }
}

}  // namespace berth::sim
