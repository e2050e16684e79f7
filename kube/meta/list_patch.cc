#include "kube/meta/list_patch.h"

namespace kube::meta_detail {
namespace {

json::Value op(std::string_view name, std::string_view path, json::Allocator& a) {
  json::Value v(rapidjson::kObjectType);
  json::set_string(v, "op", name, a);
  json::set_string(v, "path", path, a);
  return v;
}

}  // namespace

std::string guarded_list_patch(const Object& object, std::string_view field,
                               const json::Value* list) {
  json::Document ops(rapidjson::kArrayType);
  auto& a = ops.GetAllocator();
  const std::string path = "/metadata/" + std::string(field);
  json::Value uid = op("test", "/metadata/uid", a);
  json::set_string(uid, "value", object.uid(), a);
  ops.PushBack(std::move(uid), a);

  const json::Value* metadata = object.metadata();
  const json::Value* current = metadata != nullptr ? json::find(*metadata, field) : nullptr;
  if (current != nullptr) {
    json::Value test = op("test", path, a);
    json::set(test, "value", json::Value(*current, a), a);
    ops.PushBack(std::move(test), a);
  } else {
    json::Value test = op("test", "/metadata/resourceVersion", a);
    json::set_string(test, "value", object.resource_version(), a);
    ops.PushBack(std::move(test), a);
  }
  if (list == nullptr) {
    if (current != nullptr) ops.PushBack(op("remove", path, a), a);
  } else {
    json::Value write = op(current != nullptr ? "replace" : "add", path, a);
    json::set(write, "value", json::Value(*list, a), a);
    ops.PushBack(std::move(write), a);
  }
  return json::dump(ops);
}

Result<Object> patch_list(Client& client, const ResourceType& type, const Object& object,
                          std::string_view field, const json::Value* list) {
  auto patched = client.patch(type, object.namespace_(), object.name(), PatchType::kJson,
                              guarded_list_patch(object, field, list));
  // A failed test operation is a 422 without causes (validation failures carry causes).
  bool test_failed =
      !patched.ok() && patched.error().is_invalid() && patched.error().causes.empty();
  if (test_failed || (!patched.ok() && patched.error().is_conflict())) {
    Error e = std::move(patched).error();
    e.reason = Reason::kConflict;
    e.message = std::string(type.kind) + " " + object.key() + " changed since it was read (" +
                std::string(field) + "): " + e.message;
    return e;
  }
  return patched;
}

}  // namespace kube::meta_detail
