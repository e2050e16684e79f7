// What ClusterState keeps per object: compact, interned records, and the two incremental
// indexes inter-pod affinity reads (count views and term groups).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kube/api/selector.h"
#include "kube/core/time.h"
#include "scheduler-extender/state/count_map.h"
#include "scheduler-extender/state/labels.h"
#include "scheduler-extender/state/node_spec.h"

namespace berth::extender {

using Slot = std::uint32_t;
inline constexpr Slot kNoSlot = std::numeric_limits<Slot>::max();

// CPU in millicores, the rest in units; scalar resources by interned name, sorted.
struct ResourceVector {
  std::int64_t milli_cpu = 0;
  std::int64_t memory = 0;
  std::int64_t ephemeral_storage = 0;
  std::int64_t pods = 0;
  std::vector<std::pair<Id, std::int64_t>> scalar;

  std::int64_t scalar_value(Id name) const;
  void add(const ResourceVector& other, std::int64_t sign);
};

struct Taint {
  Id key = kNoId;
  Id value = kNoId;
  TaintEffect effect = TaintEffect::kOther;
};

// ClusterState interns the four topology keys first, so their ids are fixed: a node keeps their
// values inline and answers label() for them without searching its labels.
inline constexpr Id kHostnameKeyId = 0;
inline constexpr Id kRackKeyId = 1;
inline constexpr Id kZoneKeyId = 2;
inline constexpr Id kRegionKeyId = 3;

struct NodeRecord {
  Id name = kNoId;
  // False for a placeholder: pods are bound to a node whose Node object is not (yet) cached.
  // A placeholder has no labels, so its pods count in no topology domain.
  bool present = false;
  std::uint32_t seen = 0;  // relist generation
  bool unschedulable = false;
  Labels labels;
  std::vector<Taint> taints;
  ResourceVector allocatable;
  ResourceVector requested;  // sum over bound pods
  std::int64_t nonzero_milli_cpu = 0;
  std::int64_t nonzero_memory = 0;
  std::vector<Slot> pods;
  std::vector<std::pair<Id, std::int64_t>> images;    // image name -> sizeBytes, sorted
  std::vector<std::pair<Id, std::uint32_t>> classes;  // workload class -> pods, sorted
  Id topology[4] = {kNoId, kNoId, kNoId, kNoId};      // values of the kHostnameKeyId.. keys

  // The value of label `key`, kNoId when absent.
  Id label(Id key) const { return key < 4 ? topology[key] : label_value(labels, key); }
  std::uint32_t class_count(Id cls) const;
  bool has_image(Id image) const;
};

struct PodRecord {
  std::string uid;  // empty for a free slot
  Id ns = kNoId;
  Slot node = kNoSlot;
  std::uint32_t seen = 0;
  Labels labels;
  std::vector<std::uint32_t> label_pos;  // position in the posting list of labels[i]
  std::uint32_t ns_pos = 0;
  std::uint32_t node_pos = 0;
  ResourceVector requests;
  std::int64_t nonzero_milli_cpu = 0;
  std::int64_t nonzero_memory = 0;
  Slot affinity = kNoSlot;  // AffinitySpec, shared with every pod that has the same affinity
  Id workload_class = kNoId;
  Id pod_group = kNoId;
  std::int32_t priority = 0;
  bool assumed = false;  // placed by our own bind, not yet confirmed by the watch
  kube::SystemTime assumed_until{};

  bool live() const { return !uid.empty(); }
};

struct NamespaceRecord {
  bool present = false;
  std::uint32_t seen = 0;
  Labels labels;
  std::vector<Slot> pods;
};

// Which namespaces a term covers: listed names, or namespaces whose labels match a selector.
struct NamespaceFilter {
  bool all = false;       // an empty namespaceSelector ({}) of an existing pod's term
  std::vector<Id> names;  // sorted
  bool has_selector = false;
  CompiledSelector selector;

  bool matches(Id ns, std::span<const Label> ns_labels) const;
};

enum class TermKind : std::uint8_t {
  kRequiredAntiAffinity,  // filter: nodes in its domains are infeasible for matching pods
  kRequiredAffinity,      // score: hardPodAffinityWeight per carrying pod
  kPreferredAffinity,     // score: +weight per carrying pod
  kPreferredAntiAffinity  // score: -weight per carrying pod
};

// One distinct (anti-)affinity term of existing pods, with, per topology value of its key, how
// many bound pods carry it. Incoming pods the term selects are repelled from / attracted to
// those domains (symmetry), in O(1) per candidate node.
struct TermGroup {
  std::string signature;  // empty for a free slot
  TermKind kind = TermKind::kRequiredAntiAffinity;
  std::int32_t weight = 0;
  NamespaceFilter namespaces;
  CompiledSelector selector;
  Id topology_key = kNoId;
  CountMap counts;
  std::uint32_t refs = 0;  // AffinitySpecs using it
};

// The distinct affinity of a set of pods: which groups each of them adds to, how often.
struct AffinitySpec {
  std::string signature;
  std::vector<std::pair<Slot, std::uint32_t>> groups;
  std::uint32_t refs = 0;
};

// A clause of a count view: pods in these namespaces whose labels the selector matches.
struct ViewClauseKey {
  bool all_namespaces = false;
  std::vector<std::string> namespaces;  // sorted, unique
  kube::LabelSelector selector = kube::LabelSelector::nothing();
};

// Asks for the number of bound pods matching every clause, per value of each topology key of
// their node: what kube-scheduler recomputes over all pods in every PreFilter/PreScore.
struct ViewKey {
  std::vector<ViewClauseKey> clauses;
  std::vector<std::string> keys;  // sorted, unique
  std::string signature;

  static ViewKey make(std::vector<ViewClauseKey> clauses, std::vector<std::string> keys);
};

struct ViewClause {
  bool all_namespaces = false;
  std::vector<Id> namespaces;  // sorted
  CompiledSelector selector;
};

struct CountView {
  std::string signature;
  std::vector<ViewClause> clauses;
  std::vector<Id> keys;
  std::vector<CountMap> counts;   // per key
  bool interned = false;          // holds string references (registered in the cache)
  std::size_t anchor_clause = 0;  // the clause it is filed under in the cache's AnchorIndex
  mutable std::atomic<std::uint64_t> last_used{0};

  // The count for topology `key` (an entry of `keys`) at `value`.
  std::int64_t count(std::size_t key_index, Id value) const { return counts[key_index].get(value); }
  // No matching pod on any node that has any of the keys.
  bool empty() const;
  bool matches(Id ns, std::span<const Label> labels) const;
};

}  // namespace berth::extender
