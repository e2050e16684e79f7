// Registry: the table of resource types berth-sim serves - what discovery, URL routing,
// storage, watch and printing consult. Built-in types are registered at start; the CRD
// controller adds and removes custom resources at runtime.
//
// A ResourceInfo is immutable once registered and shared (std::shared_ptr<const ResourceInfo>),
// so readers may keep one across a request while the registry changes. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/apiserver/api_error.h"

namespace berth::sim {

class Strategy;

// A subresource such as pods/status or deployments/scale.
struct SubresourceInfo {
  std::string name;  // "status", "scale", "binding", "eviction", "finalize", "log", ...
  std::string kind;  // the Kind its requests and responses use ("Pod", "Scale", "Binding")
  // Set when the subresource speaks another group/version than its parent (Scale is
  // autoscaling/v1, Eviction policy/v1); discovery lists them as group/version.
  std::string group{};
  std::string version{};
  std::vector<std::string> verbs{};
  // false = listed in discovery only; requests get 404 (exec, proxy, ...).
  bool served = true;
};

// Where a scalable resource keeps its replica counts (autoscaling/v1 Scale mapping).
struct ScaleInfo {
  std::string spec_replicas_path = ".spec.replicas";
  std::string status_replicas_path = ".status.replicas";
  // Custom resources: a path to a string selector; empty = none. Built-ins derive
  // status.selector from spec.selector instead (label_selector_from_spec).
  std::string label_selector_path{};
  bool label_selector_from_spec = false;
};

// A CRD additionalPrinterColumn (also used for built-in wide columns by the Table renderer).
struct PrinterColumn {
  std::string name;
  std::string type;  // integer, number, string, boolean, date
  std::string format{};
  std::string description{};
  std::string json_path{};
  int priority = 0;
};

struct ResourceInfo {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  std::string singular;  // discovery shows "" for built-ins; CRDs carry theirs
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  // Discovery order is kept as given.
  std::vector<std::string> verbs;
  std::vector<std::string> short_names{};
  std::vector<std::string> categories{};
  std::vector<SubresourceInfo> subresources{};
  std::string storage_version_hash{};
  std::optional<ScaleInfo> scale{};
  // metadata.generation is set to 1 on create and bumped on every change outside metadata
  // and status.
  bool has_generation = false;
  // Served from a CustomResourceDefinition (unstructured JSON, keys sorted in responses).
  bool custom = false;
  // Objects of all versions of one group/resource live in one table; kinds that share
  // storage across groups (core and events.k8s.io Events) name the same table.
  std::string storage_table;
  // fieldSelector labels beyond metadata.name and metadata.namespace.
  std::vector<std::string> field_labels{};
  std::vector<PrinterColumn> printer_columns{};
  // DELETE answers with the object (pods, services, namespaces, service accounts, volumes,
  // claims, storage classes) instead of a Status Success.
  bool return_deleted_object = false;
  // A Kind without storage, only ever POSTed (reviews, bindings); served by a subresource
  // handler or not at all.
  bool virtual_only = false;
  std::shared_ptr<const Strategy> strategy;

  // "v1" / "apps/v1"
  std::string api_version() const;
  // "deployments.apps" style, for messages.
  GroupResource group_resource() const { return {group, plural}; }
  bool allows(std::string_view verb) const;
  const SubresourceInfo* subresource(std::string_view name) const;
  bool has_status() const { return subresource("status") != nullptr; }
};

using ResourcePtr = std::shared_ptr<const ResourceInfo>;

// A served API group and its versions, preferred first.
struct GroupInfo {
  std::string name;
  std::vector<std::string> versions;
};

// base64(sha256("<group>/<version>/<kind>")[:8]), the discovery storageVersionHash.
std::string storage_version_hash(std::string_view group, std::string_view version,
                                 std::string_view kind);

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Adds or replaces the resource with the same group, version and plural.
  void add(ResourceInfo info);
  // Removes every version of group/plural (a deleted CRD).
  void remove(std::string_view group, std::string_view plural);

  ResourcePtr find(std::string_view group, std::string_view version, std::string_view plural) const;
  // By kind within a group/version ("Pod" in core/v1).
  ResourcePtr find_kind(std::string_view group, std::string_view version,
                        std::string_view kind) const;
  // Every resource in registration order.
  std::vector<ResourcePtr> all() const;
  std::vector<ResourcePtr> resources(std::string_view group, std::string_view version) const;
  bool serves(std::string_view group, std::string_view version) const;
  bool serves_group(std::string_view group) const;
  // Groups in discovery order: built-in groups in the order registered via set_group_order,
  // then other groups by name. The core group ("") is not included.
  std::vector<GroupInfo> groups() const;
  // Versions served for `group`, preferred first.
  std::vector<std::string> versions(std::string_view group) const;
  // The apiserver's group priority for /apis; groups not listed sort after, by name.
  void set_group_order(std::vector<std::string> order);
  // Preferred version of a group when it serves several (first listed wins otherwise).
  void set_preferred_version(std::string group, std::string version);
  // Bumped on every change; discovery caches key on it.
  std::uint64_t generation() const;

 private:
  mutable std::mutex mu_;
  std::vector<ResourcePtr> resources_;
  std::vector<std::string> group_order_;
  std::vector<std::pair<std::string, std::string>> preferred_;
  std::uint64_t generation_ = 0;
};

}  // namespace berth::sim
