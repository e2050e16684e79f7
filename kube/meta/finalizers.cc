#include "kube/meta/finalizers.h"

#include "kube/meta/list_patch.h"

namespace kube {
namespace {

const json::Value* finalizers_of(const Object& object) {
  const json::Value* m = object.metadata();
  const json::Value* f = m != nullptr ? json::find(*m, "finalizers") : nullptr;
  return f != nullptr && f->IsArray() ? f : nullptr;
}

}  // namespace

Result<Object> add_finalizer(Client& client, const ResourceType& type, const Object& object,
                             std::string_view finalizer) {
  if (object.has_finalizer(finalizer)) return object;
  json::Document list(rapidjson::kArrayType);
  auto& a = list.GetAllocator();
  if (const json::Value* current = finalizers_of(object)) list.CopyFrom(*current, a);
  list.PushBack(json::make_string(finalizer, a), a);
  return meta_detail::patch_list(client, type, object, "finalizers", &list);
}

Result<Object> remove_finalizer(Client& client, const ResourceType& type, const Object& object,
                                std::string_view finalizer) {
  if (!object.has_finalizer(finalizer)) return object;
  json::Document list(rapidjson::kArrayType);
  auto& a = list.GetAllocator();
  for (const auto& f : finalizers_of(object)->GetArray()) {
    if (json::as_string(f) != finalizer) list.PushBack(json::Value(f, a), a);
  }
  return meta_detail::patch_list(client, type, object, "finalizers",
                                 list.Empty() ? nullptr : &list);
}

Result<Object> ensure_finalizer(Client& client, const ResourceType& type, const Object& object,
                                std::string_view finalizer) {
  if (object.being_deleted()) return object;
  return add_finalizer(client, type, object, finalizer);
}

Result<ReconcileResult> finalize(
    Client& client, const ResourceType& type, const Object& object, std::string_view finalizer,
    const std::function<Result<ReconcileResult>(FinalizerEvent, const Object&)>& handler) {
  if (object.being_deleted()) {
    if (!object.has_finalizer(finalizer)) return ReconcileResult{};
    KUBE_ASSIGN_OR_RETURN(ReconcileResult done, handler(FinalizerEvent::kCleanup, object));
    KUBE_RETURN_IF_ERROR(remove_finalizer(client, type, object, finalizer));
    return done;
  }
  KUBE_ASSIGN_OR_RETURN(Object live, add_finalizer(client, type, object, finalizer));
  return handler(FinalizerEvent::kApply, live);
}

}  // namespace kube
