// NaiveInterPodAffinity: kube-scheduler v1.26's InterPodAffinity algorithm transcribed
// directly, over plain strings, walking every pod of the cluster for every request
// (PreFilter/Filter/PreScore/Score/NormalizeScore). It is the oracle the incremental policy is
// tested against, and the baseline its benchmark is measured against. Not for production.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "scheduler-extender/state/node_spec.h"
#include "scheduler-extender/state/pod_spec.h"

namespace berth::extender::testing {

struct World {
  std::vector<NodeSpec> nodes;
  std::vector<PodSpec> pods;  // bound, non-terminal pods (node_name set)
  std::vector<std::pair<std::string, StringLabels>> namespaces;
  std::int32_t hard_pod_affinity_weight = 1;
};

struct NaiveResult {
  // Per candidate: "" when feasible, else kube-scheduler's reason.
  std::vector<std::string> reasons;
  std::vector<std::int64_t> raw;         // Score
  std::vector<std::int64_t> normalized;  // NormalizeScore (0..100)
};

NaiveResult naive_inter_pod_affinity(const World& world, const PodSpec& pod,
                                     std::span<const std::string> candidates);

}  // namespace berth::extender::testing
