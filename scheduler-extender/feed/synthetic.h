// A synthetic cluster of any size, for benchmarks and for load-testing the real binary (its
// hidden --synthetic-nodes/--synthetic-pods flags) without an apiserver. Deterministic for a
// seed. Shape: nodes labelled with hostname, rack (20 nodes), zone (25 racks) and region
// (5 zones); pods in 50 namespaces, 30 replicas per app, 10% of apps with required
// anti-affinity to themselves by hostname and 10% with preferred affinity to another app by
// zone; workload classes; a claim "data" in ns-00, bound to a volume without topology, with a
// data-location record on three nodes (so every node stays feasible for it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "scheduler-extender/state/cluster_state.h"

namespace berth::extender {

struct SyntheticCluster {
  std::size_t nodes = 5000;
  std::size_t pods = 150000;
  std::uint64_t seed = 1;
};

std::string synthetic_node_name(std::size_t index);
NodeSpec synthetic_node(std::size_t index);
PodSpec synthetic_pod(const SyntheticCluster& shape, std::size_t index);

// Loads every node, namespace, pod, claim and volume of the shape into `state`.
void populate(ClusterState& state, const SyntheticCluster& shape);

// The pod a benchmark schedules: required anti-affinity to its own app by hostname, preferred
// affinity to another app by zone, and the claim "data" with a data-location record.
PodSpec synthetic_incoming_pod(const SyntheticCluster& shape);

// An ExtenderArgs body (nodeCacheCapable: true) for `pod` with the first `candidates` nodes.
std::string synthetic_extender_args(const SyntheticCluster& shape, std::size_t candidates);

}  // namespace berth::extender
