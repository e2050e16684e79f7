// What berth-sim's scheduler knows about pods and nodes, parsed once from their JSON so a
// scheduling cycle touches no JSON: a pod's resource requests (kube-scheduler's
// computePodResourceRequest: containers summed, each init container as a floor, plus
// overhead), node selector, required node affinity and tolerations; a node's allocatable,
// labels, taints, schedulability and readiness, and the requests of the pods accounted to it.
// Plus the in-tree filters and score of kube-scheduler v1.26 that the simulator runs:
// NodeUnschedulable, TaintToleration (a NotReady node counts as tainted
// node.kubernetes.io/not-ready:NoSchedule, as the node lifecycle controller taints it),
// NodeAffinity, NodeResourcesFit (filter and LeastAllocated score).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kube/api/object.h"

namespace berth::sim::scheduling {

struct Resources {
  std::int64_t milli_cpu = 0;
  std::int64_t memory = 0;  // bytes
  std::int64_t ephemeral_storage = 0;
  std::int64_t pods = 0;
  std::vector<std::pair<std::string, std::int64_t>> scalar{};  // extended resources (units)

  void add(const Resources& other);
  void subtract(const Resources& other);
  std::int64_t scalar_value(std::string_view name) const;
};

struct Toleration {
  std::string key;
  bool exists = false;  // operator Exists (else Equal)
  std::string value;
  std::string effect;  // "" = every effect
};

struct Taint {
  std::string key;
  std::string value;
  std::string effect;  // NoSchedule, PreferNoSchedule, NoExecute
};

struct SelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist, Gt, Lt
  std::vector<std::string> values;
};

struct NodeSelectorTerm {
  std::vector<SelectorRequirement> match_expressions;
  std::vector<SelectorRequirement> match_fields;  // metadata.name only
};

struct PodInfo {
  kube::Object object;
  std::string key;  // namespace/name
  std::string uid;
  std::string scheduler_name;
  std::int64_t priority = 0;
  bool preempt_never = false;        // spec.preemptionPolicy: Never
  Resources requests;                // for fit (pods = 1)
  std::int64_t non_zero_cpu = 0;     // for scoring: containers without requests count 100m
  std::int64_t non_zero_memory = 0;  // and 200Mi
  std::vector<std::pair<std::string, std::string>> node_selector;
  std::vector<NodeSelectorTerm> required_terms;  // ORed; empty = no required affinity
  std::vector<Toleration> tolerations;
};

struct NodeInfo {
  std::string name;
  std::string zone;  // region/zone, for the zone-interleaved node order
  std::unordered_map<std::string, std::string> labels;
  std::vector<Taint> taints;
  bool unschedulable = false;
  bool ready = true;
  Resources allocatable;
  Resources requested;  // pods accounted to this node
  std::int64_t non_zero_cpu = 0;
  std::int64_t non_zero_memory = 0;
  kube::Object object;

  struct Accounted {
    Resources requests;
    std::int64_t non_zero_cpu = 0;
    std::int64_t non_zero_memory = 0;
    std::int64_t priority = 0;
  };
  std::unordered_map<std::string, Accounted> pods;  // by pod uid

  void add_pod(const std::string& uid, const PodInfo& pod);
  void remove_pod(const std::string& uid);
  // Whether a pod of lower priority runs here (something preemption could evict).
  bool has_pod_below(std::int64_t priority) const;
};

PodInfo parse_pod(const kube::Object& pod);
NodeInfo parse_node(const kube::Object& node);
// Whether what the scheduler cares about differs (heartbeats do not count).
bool scheduling_relevant_change(const NodeInfo& a, const NodeInfo& b);

struct FilterStatus {
  std::vector<std::string> reasons;  // empty when the node fits
  // UnschedulableAndUnresolvable (NodeUnschedulable, TaintToleration, NodeAffinity): evicting
  // pods would not help, so preemption skips the node.
  bool unresolvable = false;
};

// The in-tree filters, in kube-scheduler's plugin order; the first failing plugin's reasons
// (NodeResourcesFit can give several).
FilterStatus filter(const PodInfo& pod, const NodeInfo& node);
bool tolerates(const std::vector<Toleration>& tolerations, const Taint& taint);
bool matches_node_affinity(const PodInfo& pod, const NodeInfo& node);

// NodeResourcesFit LeastAllocated (cpu and memory, equal weights): 0..100.
std::int64_t least_allocated_score(const PodInfo& pod, const NodeInfo& node);

// kube-scheduler's numFeasibleNodesToFind: all nodes below 100 or at 100%; otherwise the
// percentage (0 = adaptive: 50 - nodes/125, at least 5) of the nodes, at least 100.
std::int64_t num_feasible_nodes_to_find(std::int64_t all_nodes,
                                        std::int64_t percentage_of_nodes_to_score);

// "0/5 nodes are available: 1 Insufficient cpu, 4 node(s) didn't match Pod's node
// affinity/selector." from a reason histogram, as FitError.Error() prints it.
std::string fit_error_message(std::int64_t all_nodes,
                              const std::unordered_map<std::string, std::int64_t>& reasons);

// What kube-scheduler v1.26's DefaultPreemption adds to that message when it finds nothing to
// evict, after FitError's " <message>." separator:
//   " preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod,
//    3 Preemption is not helpful for scheduling.."
// (`victimless` nodes had no lower-priority pod, `unresolvable` ones failed a filter that
// evictions cannot fix), or " preemption: not eligible due to preemptionPolicy=Never..".
std::string preemption_suffix(bool preempt_never, std::int64_t victimless,
                              std::int64_t unresolvable);

}  // namespace berth::sim::scheduling
