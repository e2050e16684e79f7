// PolicySet: runs the enabled policies for one request and combines them the way kube-scheduler
// combines plugins: a node is feasible when every filter passes; its score is the weighted sum
// of each policy's 0..100 score, mapped onto the extender's 0..10 (MaxExtenderPriority).
// A policy with no opinion on the pod, or one that scores every candidate alike, is left out
// of the sum, so it neither dilutes nor shifts the others.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler-extender/policies/decision.h"
#include "scheduler-extender/policies/policy.h"
#include "scheduler-extender/state/cluster_state.h"

namespace berth::extender {

struct WeightedPolicy {
  std::unique_ptr<Policy> policy;
  std::int64_t weight = 1;
};

struct NodeFailure {
  std::uint32_t index = 0;   // into the request's node list
  std::uint32_t reason = 0;  // into FilterOutcome::reasons
  bool unresolvable = false;
  std::string_view policy;  // the rejecting policy's name, or "cache" for an unknown node
};

struct FilterOutcome {
  std::vector<std::uint32_t> passed;  // request order
  std::vector<NodeFailure> failed;
  // Distinct reasons: a thousand nodes rejected for one reason share one string.
  std::vector<std::string> reasons;
  Decision decision;
};

struct PrioritizeOutcome {
  std::vector<std::int64_t> scores;  // 0..10, request order
  Decision decision;
};

struct PreemptionCandidate {
  std::string_view node;
  std::span<const std::string_view> victim_uids;
};

struct PreemptOutcome {
  std::vector<std::uint32_t> kept;  // indexes of candidates still feasible once victims leave
  Decision decision;
};

class PolicySet {
 public:
  // `explain_nodes` caps the nodes a Decision details.
  PolicySet(ClusterState& state, std::vector<WeightedPolicy> policies,
            std::size_t explain_nodes = 20);

  FilterOutcome filter(const PodSpec& pod, std::span<const std::string_view> nodes) const;
  PrioritizeOutcome prioritize(const PodSpec& pod, std::span<const std::string_view> nodes) const;
  // Drops the candidates where, even with the victims gone, a filter still fails. Victims are
  // kept as the scheduler chose them; nodes the cache does not know are kept.
  PreemptOutcome preempt(const PodSpec& pod, std::span<const PreemptionCandidate> candidates) const;

  const std::vector<WeightedPolicy>& policies() const { return policies_; }
  ClusterState& state() const { return state_; }

  static std::string unknown_node_reason(std::string_view node);

 private:
  void register_views(std::vector<ViewKey> missing) const;

  ClusterState& state_;
  std::vector<WeightedPolicy> policies_;
  std::size_t explain_nodes_;
};

}  // namespace berth::extender
