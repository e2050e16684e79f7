// ownerReference helpers (controller-runtime's controllerutil, client-go's controller ref
// manager): who controls an object, setting that on objects a controller creates, and adopting
// or releasing existing ones. Garbage collection follows these references: deleting the owner
// deletes what it controls.
//
//   json::Document rs = build_replicaset(deployment);
//   KUBE_RETURN_IF_ERROR(kube::set_controller_reference(deployment, rs));
//   client.create(kube::resources::kReplicaSets, rs);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kube/api/object.h"
#include "kube/api/resource.h"
#include "kube/client/client.h"
#include "kube/core/json.h"

namespace kube {

struct OwnerReference {
  std::string api_version{};
  std::string kind{};
  std::string name{};
  std::string uid{};
  bool controller = false;
  bool block_owner_deletion = false;

  json::Value to_json(json::Allocator& a) const;
  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

// metadata.ownerReferences (malformed entries skipped).
std::vector<OwnerReference> owner_references(const Object& object);
// The reference with controller: true, if any.
std::optional<OwnerReference> controller_of(const Object& object);
// A reference to `owner` as a controller sets it (controller and blockOwnerDeletion true).
OwnerReference controller_reference_to(const Object& owner);

// `object` has a controller reference to `owner` (matched by uid).
bool is_controlled_by(const Object& object, const Object& owner);
// `object` has any reference to `owner` (matched by uid).
bool has_owner_reference(const Object& object, const Object& owner);

// On an object being built (before create or update): makes `owner` its controller,
// replacing an existing reference to the same owner. Errors: kAlreadyExists when another
// object already controls it; kInvalid when the reference cannot work (the owner has no uid, a
// namespaced owner of a cluster-scoped object, or owner and object in different namespaces).
Status set_controller_reference(const Object& owner, json::Value& object, json::Allocator& a);
// Same, for a plain (non-controller) owner reference.
Status set_owner_reference(const Object& owner, json::Value& object, json::Allocator& a);

// Adopts an orphan already in the apiserver: adds a controller reference to `owner` unless
// one exists. kAlreadyExists when another object controls it; kConflict when its references or
// uid changed since it was read.
Result<Object> adopt(Client& client, const ResourceType& type, const Object& object,
                     const Object& owner);
// Releases (orphans) an object: removes every reference to `owner`. kConflict as for adopt.
Result<Object> release(Client& client, const ResourceType& type, const Object& object,
                       const Object& owner);

}  // namespace kube
