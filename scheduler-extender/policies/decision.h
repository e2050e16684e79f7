// Decision: what one filter / prioritize / preempt call concluded and why, per node and per
// policy, for GET /explain and the high-verbosity log line.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kube/core/time.h"

namespace berth::extender {

struct PolicyScore {
  bool scored = false;  // the policy had an opinion on this pod
  std::int64_t raw = 0;
  std::int64_t normalized = 0;  // 0..100
};

struct NodeDecision {
  std::string node;
  // Filter / preempt: the policy that rejected the node and why (empty when it passed).
  std::string policy;
  std::string reason;
  // Prioritize: the 0..10 answer and each policy's part (same order as Decision::policies).
  std::int64_t score = -1;
  std::vector<PolicyScore> scores{};
};

struct Decision {
  std::string verb;  // "filter", "prioritize", "preempt", "bind"
  kube::SystemTime time{};
  std::chrono::nanoseconds duration{0};
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;
  std::size_t candidates = 0;
  std::size_t feasible = 0;  // filter: passed; preempt: kept
  // Prioritize: the policies that scored, with their weights.
  std::vector<std::string> policies;
  std::vector<std::int64_t> weights;
  // Capped: rejected nodes first (filter, preempt), best first (prioritize).
  std::vector<NodeDecision> nodes;
  std::size_t nodes_omitted = 0;
  // Filter: how many nodes each reason rejected (the scheduler's "0/5 nodes are available").
  std::map<std::string, std::size_t> reasons;
  std::vector<std::string> notes;
};

}  // namespace berth::extender
