#include "kube/meta/owner_references.h"

#include "kube/meta/list_patch.h"

namespace kube {
namespace {

const json::Value* references_of(const json::Value& object) {
  const json::Value* m = json::find(object, "metadata");
  const json::Value* refs = m != nullptr ? json::find(*m, "ownerReferences") : nullptr;
  return refs != nullptr && refs->IsArray() ? refs : nullptr;
}

std::vector<OwnerReference> parse_references(const json::Value& object) {
  std::vector<OwnerReference> out;
  const json::Value* refs = references_of(object);
  if (refs == nullptr) return out;
  for (const auto& r : refs->GetArray()) {
    if (!r.IsObject()) continue;
    OwnerReference ref{std::string(json::get_string(r, "apiVersion")),
                       std::string(json::get_string(r, "kind")),
                       std::string(json::get_string(r, "name")),
                       std::string(json::get_string(r, "uid")),
                       json::get_bool(r, "controller"),
                       json::get_bool(r, "blockOwnerDeletion")};
    if (ref.uid.empty()) continue;
    out.push_back(std::move(ref));
  }
  return out;
}

Status check_owner(const Object& owner, const json::Value& object) {
  if (owner.uid().empty()) {
    return Error::make(Reason::kInvalid, "owner " + owner.key() + " has no uid (not created yet)");
  }
  const json::Value* m = json::find(object, "metadata");
  std::string_view ns = m != nullptr ? json::get_string(*m, "namespace") : "";
  if (!owner.namespace_().empty()) {
    if (ns.empty()) {
      return Error::make(
          Reason::kInvalid,
          "cluster-scoped object must not have a namespaced owner (" + owner.key() + ")");
    }
    if (ns != owner.namespace_()) {
      return Error::make(Reason::kInvalid,
                         "cross-namespace owner references are not allowed: "
                         "owner " +
                             owner.key() + ", object in " + std::string(ns));
    }
  }
  return ok_status();
}

Status upsert_reference(const OwnerReference& ref, json::Value& object, json::Allocator& a) {
  json::Value& metadata = json::ensure_object(object, "metadata", a);
  json::Value& refs = json::ensure_array(metadata, "ownerReferences", a);
  for (auto& r : refs.GetArray()) {
    if (r.IsObject() && json::get_string(r, "uid") == ref.uid) {
      r = ref.to_json(a);
      return ok_status();
    }
  }
  refs.PushBack(ref.to_json(a), a);
  return ok_status();
}

}  // namespace

json::Value OwnerReference::to_json(json::Allocator& a) const {
  json::Value v(rapidjson::kObjectType);
  json::set_string(v, "apiVersion", api_version, a);
  json::set_string(v, "kind", kind, a);
  json::set_string(v, "name", name, a);
  json::set_string(v, "uid", uid, a);
  if (controller) json::set(v, "controller", json::Value(true), a);
  if (block_owner_deletion) json::set(v, "blockOwnerDeletion", json::Value(true), a);
  return v;
}

std::vector<OwnerReference> owner_references(const Object& object) {
  return parse_references(object.json());
}

std::optional<OwnerReference> controller_of(const Object& object) {
  for (OwnerReference& r : owner_references(object)) {
    if (r.controller) return std::move(r);
  }
  return std::nullopt;
}

OwnerReference controller_reference_to(const Object& owner) {
  return {std::string(owner.api_version()),
          std::string(owner.kind()),
          std::string(owner.name()),
          std::string(owner.uid()),
          true,
          true};
}

bool is_controlled_by(const Object& object, const Object& owner) {
  auto c = controller_of(object);
  return c && !owner.uid().empty() && c->uid == owner.uid();
}

bool has_owner_reference(const Object& object, const Object& owner) {
  for (const OwnerReference& r : owner_references(object)) {
    if (r.uid == owner.uid()) return true;
  }
  return false;
}

Status set_controller_reference(const Object& owner, json::Value& object, json::Allocator& a) {
  KUBE_RETURN_IF_ERROR(check_owner(owner, object));
  for (const OwnerReference& r : parse_references(object)) {
    if (r.controller && r.uid != owner.uid()) {
      return Error::make(Reason::kAlreadyExists, "object is already controlled by " + r.kind + " " +
                                                     r.name + " (uid " + r.uid + ")");
    }
  }
  return upsert_reference(controller_reference_to(owner), object, a);
}

Status set_owner_reference(const Object& owner, json::Value& object, json::Allocator& a) {
  KUBE_RETURN_IF_ERROR(check_owner(owner, object));
  OwnerReference ref{std::string(owner.api_version()),
                     std::string(owner.kind()),
                     std::string(owner.name()),
                     std::string(owner.uid()),
                     false,
                     false};
  return upsert_reference(ref, object, a);
}

Result<Object> adopt(Client& client, const ResourceType& type, const Object& object,
                     const Object& owner) {
  if (is_controlled_by(object, owner)) return object;
  json::Document doc = object.copy();
  KUBE_RETURN_IF_ERROR(set_controller_reference(owner, doc, doc.GetAllocator()));
  return meta_detail::patch_list(client, type, object, "ownerReferences", references_of(doc));
}

Result<Object> release(Client& client, const ResourceType& type, const Object& object,
                       const Object& owner) {
  if (!has_owner_reference(object, owner)) return object;
  json::Document list(rapidjson::kArrayType);
  auto& a = list.GetAllocator();
  for (const auto& r : references_of(object.json())->GetArray()) {
    if (!r.IsObject() || json::get_string(r, "uid") != owner.uid()) {
      list.PushBack(json::Value(r, a), a);
    }
  }
  return meta_detail::patch_list(client, type, object, "ownerReferences",
                                 list.Empty() ? nullptr : &list);
}

}  // namespace kube
