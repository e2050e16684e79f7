// Policy: one scheduling concern (inter-pod affinity, node affinity, taints, resource fit, data
// locality, interference, QoS, deadlines) as kube-scheduler's framework splits them: a filter
// (can the pod run on this node?) and/or a score (how well?), evaluated against ClusterState
// for one pod at a time. No I/O: a policy reads the cache and the pod, nothing else.
//
// A Policy is immutable configuration; prepare() binds it to one pod under the cache's shared
// lock and returns a PolicyRun that answers for each candidate node.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "scheduler-extender/state/cluster_state.h"
#include "scheduler-extender/state/pod_spec.h"

namespace berth::extender {

// kube-scheduler's MaxNodeScore: policies normalize to 0..100 like in-tree plugins, and the
// PolicySet maps their weighted sum onto the extender's 0..10.
inline constexpr std::int64_t kMaxNodeScore = 100;

// The pod being scheduled, resolved against the cache for one decision. Valid while `state`
// (the Reader) lives.
struct PodContext {
  const PodSpec& pod;
  const ClusterState::Reader& state;
  Labels labels;                     // pod labels as cache ids (unknown values are kNoId)
  Id ns = kNoId;                     // the pod's namespace, kNoId if the cache never saw it
  std::span<const Label> ns_labels;  // labels of its Namespace object; empty if not cached

  PodContext(const PodSpec& pod, const ClusterState::Reader& state);
};

// Pods that a preemption would evict from the node being filtered.
struct Removal {
  std::span<const Slot> pods;
};

// The outcome of filtering one node. `reason` points to a literal or to storage owned by the
// PolicyRun; empty means feasible.
struct Verdict {
  std::string_view reason;
  // Preemption cannot make the node feasible (kube-scheduler's UnschedulableAndUnresolvable):
  // reported in FailedAndUnresolvableNodes.
  bool unresolvable = false;
  bool ok() const { return reason.empty(); }
};

class PolicyRun {
 public:
  virtual ~PolicyRun() = default;

  // Only called on policies whose Policy::filters() is true.
  virtual Verdict filter(const NodeRecord& node, const Removal* removal) const {
    (void)node;
    (void)removal;
    return {};
  }
  // A verdict on the set of nodes that passed every per-node filter, for requirements no single
  // node decides (a pod group's collective fit). A failure fails all of them.
  virtual Verdict filter_all(std::span<const NodeRecord* const> feasible) const {
    (void)feasible;
    return {};
  }
  // Raw scores for `nodes` into `out` (same size). Returns false when the policy has no
  // opinion on this pod (it then takes no part in the weighted sum).
  virtual bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const {
    (void)nodes;
    (void)out;
    return false;
  }
  // Raw scores -> 0..kMaxNodeScore, in place, over the scored nodes (like NormalizeScore).
  virtual void normalize(std::span<std::int64_t> scores) const { (void)scores; }
  // Count views this run computed on the spot because the cache had none; registering them
  // after the decision makes the next pod with the same terms O(1) per node.
  virtual std::vector<ViewKey> missing_views() const { return {}; }
  // Remarks for /explain (annotations that did not parse, records that were ignored).
  virtual std::vector<std::string> notes() const { return {}; }
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;
  virtual bool filters() const = 0;
  virtual bool scores() const = 0;
  virtual std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const = 0;
};

// kube-scheduler's DefaultNormalizeScore: scale to 0..max by the largest score (integer
// arithmetic), reversed for "lower is better"; all zero -> 0 (or max when reversed).
void default_normalize(std::span<std::int64_t> scores, bool reverse);

}  // namespace berth::extender
