#include "sim/apiserver/crd_controller.h"

#include "kube/core/log.h"
#include "sim/apiserver/crd.h"
#include "sim/apiserver/meta.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

constexpr std::string_view kCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

bool established(const Value& crd) {
  const Value* conditions = json::find_path(crd, {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return false;
  for (const auto& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == "Established" && json::get_string(c, "status") == "True") {
      return true;
    }
  }
  return false;
}

bool names_accepted(const Value& crd) {
  const Value* spec_names = json::find_path(crd, {"spec", "names"});
  const Value* accepted = json::find_path(crd, {"status", "acceptedNames"});
  return spec_names != nullptr && accepted != nullptr && json::equal(*spec_names, *accepted);
}

}  // namespace

CrdController::CrdController(ObjectApi& api, TaskQueue& queue) : api_(api), queue_(queue) {}

void CrdController::start() {
  api_.on_commit([this](const CommitEvent& e) { on_commit(e); });
}

void CrdController::on_commit(const CommitEvent& event) {
  const ResourceInfo& r = *event.resource;
  if (r.group != "apiextensions.k8s.io" || r.plural != "customresourcedefinitions") return;
  CrdNames names = crd_names(event.object.json());
  Registry& registry = api_.registry();
  if (event.type == EventType::kDeleted) {
    registry.remove(names.group, names.plural);
    return;
  }
  if (event.object.being_deleted()) {
    // Still served while terminating, so controllers can release their finalizers.
    std::vector<ResourcePtr> served;
    for (const auto& res : registry.all()) {
      if (res->custom && res->group == names.group && res->plural == names.plural) {
        served.push_back(res);
      }
    }
    std::string name(event.object.name());
    queue_.post([this, name, served] { cleanup(name, served); });
    return;
  }
  auto infos = crd_resources(event.object.json());
  // Versions no longer served disappear; the rest are (re)registered with the new schema.
  for (const auto& res : registry.all()) {
    if (!res->custom || res->group != names.group || res->plural != names.plural) continue;
    bool kept = false;
    for (const auto& info : infos)
      kept = kept || info.version == res->version;
    if (!kept) registry.remove(names.group, names.plural);
  }
  for (auto& info : infos)
    registry.add(std::move(info));
  if (!established(event.object.json()) || !names_accepted(event.object.json())) {
    std::string name(event.object.name());
    queue_.post([this, name] { establish(name); });
  }
}

void CrdController::establish(const std::string& name) {
  ResourcePtr crds =
      api_.registry().find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  WriteOptions write;
  write.field_manager = "kube-apiserver";
  write.user.username = "system:apiserver";
  auto r = api_.guaranteed_update(
      crds, "", name, "status",
      [](const kube::Object& current) -> ApiResult<json::Document> {
        json::Document doc = current.copy();
        auto& a = doc.GetAllocator();
        Value& status = json::ensure_object(doc, "status", a);
        const Value* names = json::find_path(doc, {"spec", "names"});
        if (names != nullptr) json::set(status, "acceptedNames", Value(*names, a), a);
        std::string now = now_rfc3339();
        Value conditions(rapidjson::kArrayType);
        for (auto [type, reason, message] :
             {std::tuple{"NamesAccepted", "NoConflicts", "no conflicts found"},
              std::tuple{"Established", "InitialNamesAccepted",
                         "the initial names have been accepted"}}) {
          Value c(rapidjson::kObjectType);
          json::set_string(c, "type", type, a);
          json::set_string(c, "status", "True", a);
          json::set_string(c, "lastTransitionTime", now, a);
          json::set_string(c, "reason", reason, a);
          json::set_string(c, "message", message, a);
          conditions.PushBack(std::move(c), a);
        }
        json::set(status, "conditions", std::move(conditions), a);
        order_keys(status, {"conditions", "acceptedNames", "storedVersions"}, a);
        return doc;
      },
      write);
  if (!r.ok() && r.error().code != 404) {
    kube::log::warn("could not establish a CRD", {{"crd", name}, {"error", r.error().message}});
  }
}

void CrdController::cleanup(const std::string& name, std::vector<ResourcePtr> served) {
  if (!served.empty()) {
    const ResourcePtr& resource = served.front();
    DeleteOptions del;
    del.user.username = "system:apiserver";
    SnapshotPtr objects = api_.store().list(resource->storage_table, "");
    for (const auto& o : objects->items) {
      auto d = api_.remove(resource, o.namespace_(), o.name(), del);
      if (!d.ok() && d.error().code != 404) {
        kube::log::warn("could not delete a custom resource of a deleted CRD",
                        {{"crd", name}, {"object", o.key()}, {"error", d.error().message}});
      }
    }
    if (api_.store().size(resource->storage_table) > 0) {
      // Finalizers on custom resources hold the CRD until their controllers release them.
      queue_.post_after(std::chrono::milliseconds(1000),
                        [this, name, served] { cleanup(name, served); });
      return;
    }
  }
  ResourcePtr crds =
      api_.registry().find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  WriteOptions write;
  write.user.username = "system:apiserver";
  auto r = api_.guaranteed_update(
      crds, "", name, "",
      [](const kube::Object& current) -> ApiResult<json::Document> {
        json::Document doc = current.copy();
        Value& meta = *json::find(doc, "metadata");
        Value* list = json::find(meta, "finalizers");
        if (list != nullptr && list->IsArray()) {
          for (auto it = list->Begin(); it != list->End();) {
            it = json::as_string(*it) == kCleanupFinalizer ? list->Erase(it) : it + 1;
          }
          if (list->Empty()) json::remove(meta, "finalizers");
        }
        return doc;
      },
      write);
  if (!r.ok() && r.error().code != 404) {
    kube::log::warn("could not finalize a deleted CRD",
                    {{"crd", name}, {"error", r.error().message}});
  }
}

}  // namespace berth::sim
