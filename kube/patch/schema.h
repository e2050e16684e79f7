// How the fields of built-in kinds merge: the patch tags (patchStrategy, patchMergeKey) the
// apiserver uses for strategic merge patch and the list/map/struct types (+listType,
// +listMapKey, +structType, +mapType) server-side apply uses, for the fields where they differ
// from the defaults. Defaults for a field the table does not name: objects merge member by
// member and are owned per member; lists are replaced whole and owned as one value.
//
// The table covers metadata (finalizers as a set, ownerReferences by uid), pod specs wherever
// they sit (Pod, PodTemplate, the workload controllers' spec.template, CronJob's
// spec.jobTemplate.spec.template), status conditions by type, Service ports, Node addresses and
// the other keyed lists of core/v1, apps/v1, batch/v1, policy/v1, admissionregistration/v1 and
// storage/v1 as of Kubernetes 1.26. Custom resources have no entry.
#pragma once

#include <array>
#include <span>
#include <string_view>

namespace kube::patch {

struct FieldSchema;

struct TypeSchema {
  std::span<const FieldSchema> fields;
  // +structType=atomic / +mapType=atomic: server-side apply owns the value as a whole.
  bool atomic = false;
};

// patchStrategy of a field.
enum class PatchStrategy {
  kDefault,     // objects merge, lists are replaced
  kMerge,       // lists merge: by patch merge key, or as a set of scalars without one
  kReplace,     // an object is replaced whole
  kRetainKeys,  // objects merge; the patch may carry $retainKeys
};

// How server-side apply identifies the elements of a list.
enum class ListType {
  kFromPatchStrategy,  // merge with a key -> map keyed by it, merge without -> set, else atomic
  kAtomic,
  kSet,
  kMap,
};

struct FieldSchema {
  std::string_view name;
  // The type of the field, or of the list's elements; nullptr when every member is defaulted.
  const TypeSchema* type = nullptr;
  PatchStrategy strategy = PatchStrategy::kDefault;
  std::string_view merge_key;
  ListType list_type = ListType::kFromPatchStrategy;
  // +listMapKey values when list_type is kMap and they differ from {merge_key}.
  std::array<std::string_view, 2> list_keys{};
  // OpenAPI defaults of those key fields ("TCP" for a port's protocol); empty: none.
  std::array<std::string_view, 2> list_key_defaults{};
};

// The root type of a built-in kind ("Pod", "Deployment", ...); nullptr for kinds the table does
// not know, which includes every custom resource.
const TypeSchema* schema_for_kind(std::string_view kind);

// The JSON the apiserver's empty object of `kind` serializes to (the fields Go always writes,
// such as metadata.creationTimestamp: null or a Pod's spec.containers: null): what a create is
// compared against when managedFields are computed. `api_version` tells apart kinds of the same
// name (core/v1 and events.k8s.io/v1 Event). "{}" for kinds the table does not know.
std::string_view zero_object(std::string_view kind, std::string_view api_version);

// The field `name` of `type`; nullptr when `type` is null or does not list it.
const FieldSchema* find_field(const TypeSchema* type, std::string_view name);

// Server-side apply's view of a list field: its list type after applying the defaults, and the
// key field names (empty for sets and atomic lists).
struct ListIdentity {
  ListType type = ListType::kAtomic;
  std::array<std::string_view, 2> keys{};
  std::array<std::string_view, 2> key_defaults{};
  std::size_t key_count = 0;
};
ListIdentity list_identity(const FieldSchema* field);

}  // namespace kube::patch
