// ObjectMeta rules shared by every kind: name syntax, label and annotation validation, the
// generateName suffix, and the key order the apiserver serializes objects in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kube/core/json.h"
#include "sim/apiserver/field_error.h"

namespace berth::sim {

enum class NameRule {
  kSubdomain,     // RFC 1123 subdomain (most kinds)
  kLabel,         // RFC 1123 label (namespaces)
  kDns1035Label,  // services
  kPathSegment,   // anything but "/", "%", "." and ".." (RBAC, priority classes)
};

// The messages validation gives for a name that breaks `rule`; empty when the name is fine.
std::vector<std::string> name_problems(std::string_view name, NameRule rule);

// metadata checks common to every create and update: name (or generateName), namespace
// scope, labels, annotations, finalizers, ownerReferences.
FieldErrors validate_object_meta(const kube::json::Value& metadata, NameRule rule, bool namespaced);
// Rules of an update: immutable name/namespace/uid/creationTimestamp, no new finalizers
// once deletion started.
FieldErrors validate_object_meta_update(const kube::json::Value& metadata,
                                        const kube::json::Value& old_metadata);

// Label key and value syntax (qualified name / label value).
FieldErrors validate_labels(const kube::json::Value& labels, const std::string& field);

// generateName + 5 random characters, the prefix cut to keep the name within 63 characters.
std::string generate_name(std::string_view prefix);

// Wrong JSON types inside metadata as Go's decoder reports them (nullopt when fine).
std::optional<std::string> metadata_type_error(const kube::json::Value& object);

// Reorders keys as the apiserver writes built-in objects: kind, apiVersion, metadata (in
// ObjectMeta field order), then the remaining keys in their current order.
void canonicalize_builtin(kube::json::Value& object, kube::json::Allocator& a);
// Reorders an ObjectMeta's keys into the apiserver's field order.
void order_object_meta(kube::json::Value& metadata, kube::json::Allocator& a);
// Sorts the keys of the object at parent[key] (Go writes map[string]... sorted), if any.
void sort_map(kube::json::Value& parent, std::string_view key, kube::json::Allocator& a);
// Sorts object keys recursively, as custom resources (unstructured JSON) are written.
void sort_keys(kube::json::Value& value, kube::json::Allocator& a);
// Moves `keys` (those present) to the front of `object`, in that order.
void order_keys(kube::json::Value& object, std::initializer_list<std::string_view> keys,
                kube::json::Allocator& a);

}  // namespace berth::sim
