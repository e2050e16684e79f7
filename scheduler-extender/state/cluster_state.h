// ClusterState: berth-extender's own cache of the cluster (nodes, bound pods, namespaces,
// volume claims, volumes, storage classes), compact and interned, with what scheduling
// decisions need maintained incrementally as watch events arrive:
//   - requested resources and workload-class counts per node;
//   - posting lists (label key=value -> pods) and per-namespace pod lists;
//   - term groups: the distinct (anti-)affinity terms of bound pods, each with its count per
//     topology domain (symmetry: existing pods' terms against an incoming pod);
//   - count views: for a term an incoming pod carries, the number of matching bound pods per
//     topology domain, created on first use and then updated by every pod event.
// So a scheduling request costs O(candidates x terms), not O(pods).
//
// Threading: one reader/writer lock. Requests read under the shared lock (read()); watch
// handlers write under the exclusive lock (write()), as do ensure_views() and assumptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kube/core/time.h"
#include "scheduler-extender/state/anchor_index.h"
#include "scheduler-extender/state/name_index.h"
#include "scheduler-extender/state/node_spec.h"
#include "scheduler-extender/state/pod_spec.h"
#include "scheduler-extender/state/records.h"
#include "scheduler-extender/state/strings.h"
#include "scheduler-extender/state/volume_spec.h"

namespace berth::extender {

enum class ObjectKind : std::uint8_t {
  kPod,
  kNode,
  kNamespace,
  kPersistentVolumeClaim,
  kPersistentVolume,
  kStorageClass,
};
inline constexpr std::size_t kObjectKinds = 6;

struct ClusterStateOptions {
  // Count views kept; the least recently used is dropped beyond this (and rebuilt from the
  // posting lists when asked for again).
  std::size_t max_views = 4096;
  // kube-scheduler's hardPodAffinityWeight: what an existing pod's *required* affinity term
  // adds to the score of nodes in its domain for incoming pods it selects. 0 disables.
  std::int32_t hard_pod_affinity_weight = 1;
};

struct ClusterStats {
  std::size_t pods = 0;
  std::size_t nodes = 0;
  std::size_t namespaces = 0;
  std::size_t claims = 0;
  std::size_t volumes = 0;
  std::size_t storage_classes = 0;
  std::size_t views = 0;
  std::size_t term_groups = 0;
  std::size_t affinity_specs = 0;
  std::size_t strings = 0;
  std::size_t assumed_pods = 0;
};

class ClusterState {
 public:
  explicit ClusterState(ClusterStateOptions options = {});
  ~ClusterState();
  ClusterState(const ClusterState&) = delete;
  ClusterState& operator=(const ClusterState&) = delete;

  // Exclusive access for a batch of changes: `state.write().upsert_pod(pod);`, or keep the
  // Writer for a whole list. Upserts take the object's full new state; a pod that is not bound
  // or has finished is removed.
  class Writer {
   public:
    void upsert_pod(const PodSpec& pod) { s_->upsert_pod(pod, false, {}); }
    void remove_pod(std::string_view uid) { s_->remove_pod(uid); }
    void upsert_node(const NodeSpec& node) { s_->upsert_node(node); }
    void remove_node(std::string_view name) { s_->remove_node(name); }
    void upsert_namespace(std::string_view name, const StringLabels& labels) {
      s_->upsert_namespace(name, labels);
    }
    void remove_namespace(std::string_view name) { s_->remove_namespace(name); }
    void upsert_claim(PvcSpec claim) { s_->upsert_claim(std::move(claim)); }
    void remove_claim(std::string_view namespace_, std::string_view name) {
      s_->remove_claim(namespace_, name);
    }
    void upsert_volume(PvSpec volume) { s_->upsert_volume(std::move(volume)); }
    void remove_volume(std::string_view name) { s_->remove_volume(name); }
    void upsert_storage_class(StorageClassSpec sc) { s_->upsert_storage_class(std::move(sc)); }
    void remove_storage_class(std::string_view name) { s_->remove_storage_class(name); }

    // A relist (the watch's InitStart ... InitDone): objects of `kind` not upserted between
    // the two calls are removed at end_relist.
    void begin_relist(ObjectKind kind) { s_->begin_relist(kind); }
    void end_relist(ObjectKind kind) { s_->end_relist(kind); }

    // Places a pod we bound ourselves before the watch reports it, so the next decision sees
    // it; the watch's version replaces it, and it is dropped at `until` if none arrives.
    void assume_pod(const PodSpec& pod, std::string_view node, kube::SystemTime until);
    void forget_assumed(std::string_view uid) { s_->forget_assumed(uid); }
    std::size_t expire_assumed(kube::SystemTime now) { return s_->expire_assumed(now); }

   private:
    friend class ClusterState;
    explicit Writer(ClusterState* s) : s_(s), lock_(s->mu_) {}
    ClusterState* s_;
    std::unique_lock<std::shared_mutex> lock_;
  };

  // Shared access for one scheduling decision. Every reference it hands out is valid while it
  // lives.
  class Reader {
   public:
    const StringTable& strings() const { return s_->strings_; }

    Slot find_node(std::string_view name) const;
    const NodeRecord& node(Slot slot) const { return s_->nodes_[slot]; }
    std::size_t node_slots() const { return s_->nodes_.size(); }

    Slot find_pod(std::string_view uid) const;
    const PodRecord& pod(Slot slot) const { return s_->pods_[slot]; }
    std::size_t pod_slots() const { return s_->pods_.size(); }

    // nullptr when no Namespace object and no pod of that namespace is cached.
    const NamespaceRecord* namespace_record(Id ns) const;
    // Names of cached Namespace objects whose labels match `selector` (kube-scheduler merges a
    // term's namespaceSelector into its namespaces this way).
    std::vector<std::string> namespaces_matching(const kube::LabelSelector& selector) const;

    // A registered count view, or nullptr (then ensure_views() or compute_view()).
    const CountView* find_view(std::string_view signature) const;
    // The same counts computed now from the posting lists, for this reader only.
    std::unique_ptr<CountView> compute_view(const ViewKey& key) const;

    // Calls f(Slot, const TermGroup&) for every term group of bound pods that selects a pod with
    // `labels` (lookup ids) in namespace `ns` whose Namespace has `ns_labels`.
    template <typename F>
    void for_each_group_selecting(std::span<const Label> labels, Id ns,
                                  std::span<const Label> ns_labels, F&& f) const {
      s_->group_index_.for_each_candidate(labels, [&](std::uint32_t slot) {
        const TermGroup& g = s_->groups_[slot];
        if (g.namespaces.matches(ns, ns_labels) && g.selector.matches(labels)) f(slot, g);
      });
    }
    const TermGroup& group(Slot slot) const { return s_->groups_[slot]; }
    const AffinitySpec& affinity_spec(Slot slot) const { return s_->specs_[slot]; }

    // Bound (or assumed) pods labelled berth.dev/pod-group=`group` in namespace `ns`.
    std::uint32_t pod_group_members(std::string_view ns, std::string_view group) const;

    const PvcSpec* claim(std::string_view namespace_, std::string_view name) const;
    const PvSpec* volume(std::string_view name) const;
    const StorageClassSpec* storage_class(std::string_view name) const;

    // The largest sizeBytes any node reports for `image`, or 0 when none lists it.
    std::int64_t image_size(Id image) const;

    std::int32_t hard_pod_affinity_weight() const { return s_->options_.hard_pod_affinity_weight; }
    // Interned ids of the topology keys (always present).
    Id hostname_key() const { return s_->hostname_key_; }
    Id rack_key() const { return s_->rack_key_; }
    Id zone_key() const { return s_->zone_key_; }
    Id region_key() const { return s_->region_key_; }

   private:
    friend class ClusterState;
    explicit Reader(const ClusterState* s) : s_(s), lock_(s->mu_) {}
    const ClusterState* s_;
    std::shared_lock<std::shared_mutex> lock_;
  };

  Writer write() { return Writer(this); }
  Reader read() const { return Reader(this); }

  // Builds and registers the count views in `keys` that are not registered yet (exclusive
  // lock, only when one is missing), evicting the least recently used beyond max_views.
  void ensure_views(std::span<const ViewKey> keys);

  ClusterStats stats() const;
  // Each watched kind becomes "synced" at the end of its first relist.
  bool synced(ObjectKind kind) const;
  void mark_synced(ObjectKind kind);

 private:
  struct ImageInfo {
    std::int64_t size = 0;
    std::uint32_t nodes = 0;
  };

  // Writers (mu_ held exclusively).
  void upsert_pod(const PodSpec& pod, bool assumed, kube::SystemTime until);
  void remove_pod(std::string_view uid);
  void upsert_node(const NodeSpec& node);
  void remove_node(std::string_view name);
  void upsert_namespace(std::string_view name, const StringLabels& labels);
  void remove_namespace(std::string_view name);
  void upsert_claim(PvcSpec claim);
  void remove_claim(std::string_view namespace_, std::string_view name);
  void upsert_volume(PvSpec volume);
  void remove_volume(std::string_view name);
  void upsert_storage_class(StorageClassSpec sc);
  void remove_storage_class(std::string_view name);
  void begin_relist(ObjectKind kind);
  void end_relist(ObjectKind kind);
  void forget_assumed(std::string_view uid);
  std::size_t expire_assumed(kube::SystemTime now);

  Slot add_pod(const PodSpec& pod, Slot node, bool assumed, kube::SystemTime until);
  void release_pod(Slot slot);
  Slot node_slot(std::string_view name, bool create);
  void maybe_free_node(Slot slot);
  NamespaceRecord& namespace_for(Id ns);
  void maybe_free_namespace(Id ns);
  // Adds (+1) or withdraws (-1) a bound pod's contribution to count views and term groups,
  // keyed by its node's labels.
  void contribute(Slot pod, std::int64_t sign);
  Slot acquire_spec(const PodSpec& pod);
  void release_spec(Slot spec);
  Slot acquire_group(TermKind kind, std::int32_t weight, const PodAffinityTermSpec& term,
                     const std::string& pod_namespace);
  void release_group(Slot group);
  void set_images(NodeRecord& node, const std::vector<NodeImageSpec>& images);
  ResourceVector intern_resources(const ResourceAmounts& amounts);
  void release_resources(const ResourceVector& resources);
  void evict_views_locked(std::size_t keep_newest);
  void remove_view(Slot slot);

  // Files the view under its first clause that has an anchor.
  static void choose_anchor_clause(CountView& view);
  // Counts for `view` from the posting lists (no references taken).
  void fill_view(CountView& view) const;
  template <typename F>
  void for_each_pod_in_clause(const ViewClause& clause, F&& f) const;
  std::uint32_t generation(ObjectKind kind) const {
    return generations_[static_cast<std::size_t>(kind)];
  }

  ClusterStateOptions options_;
  mutable std::shared_mutex mu_;
  StringTable strings_;
  Id hostname_key_, rack_key_, zone_key_, region_key_;

  std::deque<NodeRecord> nodes_;
  std::vector<Slot> free_nodes_;
  NameIndex node_by_name_;

  std::deque<PodRecord> pods_;
  std::vector<Slot> free_pods_;
  std::unordered_map<std::string_view, Slot> pod_by_uid_;
  std::vector<std::string> assumed_;  // uids

  std::unordered_map<std::uint64_t, std::vector<Slot>> postings_;  // (key, value) -> pods
  std::unordered_map<Id, NamespaceRecord> namespaces_;
  std::unordered_map<std::uint64_t, std::uint32_t> pod_groups_;  // (ns, group) -> members

  std::deque<TermGroup> groups_;
  std::vector<Slot> free_groups_;
  std::unordered_map<std::string, Slot, StringHash, std::equal_to<>> group_by_signature_;
  AnchorIndex group_index_;

  std::deque<AffinitySpec> specs_;
  std::vector<Slot> free_specs_;
  std::unordered_map<std::string, Slot, StringHash, std::equal_to<>> spec_by_signature_;

  std::vector<std::unique_ptr<CountView>> views_;  // nullptr = free slot
  std::vector<Slot> free_views_;
  std::unordered_map<std::string, Slot, StringHash, std::equal_to<>> view_by_signature_;
  AnchorIndex view_index_;
  mutable std::atomic<std::uint64_t> view_clock_{0};

  std::unordered_map<Id, ImageInfo> images_;
  template <typename T>
  struct Tracked {
    T spec;
    std::uint32_t seen = 0;
  };
  template <typename T>
  using ByName = std::unordered_map<std::string, Tracked<T>, StringHash, std::equal_to<>>;
  ByName<PvcSpec> claims_;  // "namespace/name"
  ByName<PvSpec> volumes_;
  ByName<StorageClassSpec> storage_classes_;

  std::uint32_t generations_[kObjectKinds] = {};
  std::atomic<std::uint32_t> synced_mask_{0};
};

}  // namespace berth::extender
