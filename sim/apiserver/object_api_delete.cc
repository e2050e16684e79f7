// ObjectApi: DELETE of one object and of a collection - preconditions, graceful deletion,
// finalizers and propagation policy (the garbage collector acts on the finalizers set here).
#include <algorithm>

#include "kube/core/strings.h"
#include "kube/core/time.h"
#include "sim/apiserver/meta.h"
#include "sim/apiserver/object_api.h"
#include "sim/apiserver/strategy.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

std::int64_t parse_rv(std::string_view text) {
  auto v = kube::parse_int(text);
  return v ? *v : 0;
}

bool add_finalizer(Value& meta, std::string_view finalizer, json::Allocator& a) {
  Value& list = json::ensure_array(meta, "finalizers", a);
  for (const auto& f : list.GetArray()) {
    if (json::as_string(f) == finalizer) return false;
  }
  list.PushBack(json::make_string(finalizer, a), a);
  return true;
}

}  // namespace

ApiResult<std::optional<DeleteResult>> ObjectApi::finish_delete(const ResourcePtr& resource,
                                                                const kube::Object& current,
                                                                std::vector<std::string> warnings) {
  const ResourceInfo& r = *resource;
  Store::Commit commit =
      store_.remove(r.storage_table, storage_key(r, current.namespace_(), current.name()),
                    parse_rv(current.resource_version()));
  if (commit.status == Store::Status::kNotFound) {
    return errors::not_found(r.group_resource(), current.name());
  }
  if (commit.status == Store::Status::kConflict) return std::optional<DeleteResult>();
  fire({resource, EventType::kDeleted, commit.object, current});
  return std::optional<DeleteResult>(
      DeleteResult{served(r, commit.object), true, std::move(warnings)});
}

ApiResult<DeleteResult> ObjectApi::remove(const ResourcePtr& resource, std::string_view namespace_,
                                          std::string_view name, const DeleteOptions& options) {
  const ResourceInfo& r = *resource;
  std::string key = storage_key(r, namespace_, name);
  for (int attempt = 0; attempt < 100; ++attempt) {
    kube::Object current = store_.get(r.storage_table, key);
    if (!current) return errors::not_found(r.group_resource(), name);
    if (!options.precondition_uid.empty() && options.precondition_uid != current.uid()) {
      return errors::precondition_uid(r.kind, name, options.precondition_uid, current.uid());
    }
    if (!options.precondition_resource_version.empty() &&
        options.precondition_resource_version != current.resource_version()) {
      return errors::precondition_resource_version(
          r.kind, name, options.precondition_resource_version, current.resource_version());
    }
    kube::Object old_served = served(r, current);
    std::vector<std::string> warnings;
    AdmissionRequest admission;
    admission.operation = Operation::kDelete;
    admission.resource = resource;
    admission.namespace_ = std::string(namespace_);
    admission.name = std::string(name);
    admission.old_object = &old_served.json();
    admission.options = options.options;
    admission.dry_run = options.dry_run;
    admission.user = options.user;
    admission.warnings = &warnings;
    KUBE_RETURN_IF_ERROR(run_admit(admission));
    KUBE_RETURN_IF_ERROR(run_validate(admission));
    if (options.dry_run) return DeleteResult{old_served, true, std::move(warnings)};

    std::optional<std::int64_t> grace = r.strategy->default_grace_period(current.json());
    if (grace && options.grace_period_seconds) {
      grace = std::max<std::int64_t>(0, *options.grace_period_seconds);
      // An unscheduled pod has nothing to wait for, whatever the client asked.
      if (*r.strategy->default_grace_period(current.json()) == 0) grace = 0;
    }
    std::vector<std::string> add = r.strategy->finalizers_on_delete();
    if (options.propagation == Propagation::kForeground) add.emplace_back("foregroundDeletion");
    if (options.propagation == Propagation::kOrphan) add.emplace_back("orphan");

    const Value& meta = *current.metadata();
    bool deleting = json::find(meta, "deletionTimestamp") != nullptr;
    const Value* fin = json::find(meta, "finalizers");
    bool has_finalizers = fin != nullptr && fin->IsArray() && !fin->Empty();

    json::Document doc = current.copy();
    auto& a = doc.GetAllocator();
    Value& m = json::ensure_object(doc, "metadata", a);
    bool delay = false;
    if (deleting) {
      // Only a shorter grace period changes anything once deletion started.
      std::int64_t current_grace = json::get_int(meta, "deletionGracePeriodSeconds", 0);
      if (!grace || *grace >= current_grace)
        return DeleteResult{old_served, false, std::move(warnings)};
      json::set_string(
          m, "deletionTimestamp",
          kube::format_time(std::chrono::system_clock::now() + std::chrono::seconds(*grace)), a);
      json::set(m, "deletionGracePeriodSeconds", Value(*grace), a);
    } else {
      delay = r.strategy->delay_delete(doc, a);
      if (!grace && add.empty() && !has_finalizers && !delay) {
        KUBE_ASSIGN_OR_RETURN(auto done, finish_delete(resource, current, std::move(warnings)));
        if (!done) continue;
        return std::move(*done);
      }
      std::int64_t g = grace.value_or(0);
      json::set_string(
          m, "deletionTimestamp",
          kube::format_time(std::chrono::system_clock::now() + std::chrono::seconds(g)), a);
      if (!delay) json::set(m, "deletionGracePeriodSeconds", Value(g), a);
      for (const auto& f : add)
        add_finalizer(m, f, a);
    }
    {
      order_object_meta(m, a);
      const Value* now_fin = json::find(m, "finalizers");
      bool finalizers_left = now_fin != nullptr && now_fin->IsArray() && !now_fin->Empty();
      if (!finalizers_left && json::find(m, "finalizers") != nullptr) json::remove(m, "finalizers");
      Store::Commit commit = store_.update(r.storage_table, key, to_storage_doc(r, std::move(doc)),
                                           parse_rv(current.resource_version()));
      if (commit.status == Store::Status::kConflict) continue;
      if (commit.status == Store::Status::kNotFound)
        return errors::not_found(r.group_resource(), name);
      fire({resource, EventType::kModified, commit.object, current});
      std::int64_t g = json::get_int(*commit.object.metadata(), "deletionGracePeriodSeconds", -1);
      if (!finalizers_left && !delay && g == 0) {
        std::vector<std::string> kept = warnings;
        auto done = finish_delete(resource, commit.object, std::move(warnings));
        if (!done.ok() && done.error().code == 404) {
          // Another writer (the kubelet, seeing deletionTimestamp) removed it between our
          // update and our delete: it is gone as asked, and the apiserver answers with the
          // last state it saw, not 404.
          return DeleteResult{served(r, commit.object), true, std::move(kept)};
        }
        if (!done.ok()) return std::move(done).error();
        if (!*done) continue;
        return std::move(**done);
      }
      return DeleteResult{served(r, commit.object), false, std::move(warnings)};
    }
  }
  return errors::conflict_modified(r.group_resource(), name);
}

ApiResult<std::vector<kube::Object>> ObjectApi::remove_collection(const ResourcePtr& resource,
                                                                  std::string_view namespace_,
                                                                  const ListRequest& selection,
                                                                  const DeleteOptions& options) {
  ListRequest all = selection;
  all.limit = 0;
  all.continue_token.clear();
  all.resource_version.reset();
  KUBE_ASSIGN_OR_RETURN(ListResult listed, list(*resource, namespace_, all));
  std::vector<kube::Object> out;
  for (const auto& o : listed.items) {
    auto done = remove(resource, o.namespace_(), o.name(), options);
    if (done.ok()) {
      out.push_back(done->object);
    } else if (done.error().code != 404) {
      return done.error();
    }
  }
  return out;
}

}  // namespace berth::sim
