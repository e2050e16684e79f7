// InterPodAffinity: required and preferred pod affinity and anti-affinity with kube-scheduler
// v1.26's semantics (filter reasons, the "first pod of a group with affinity to itself" rule,
// symmetry with existing pods' terms, hardPodAffinityWeight, min-max normalization), computed
// from ClusterState's count views and term groups instead of a walk over every pod.
#pragma once

#include "scheduler-extender/policies/policy.h"

namespace berth::extender {

class InterPodAffinityPolicy final : public Policy {
 public:
  static constexpr std::string_view kName = "InterPodAffinity";
  // kube-scheduler's messages, so `kubectl describe pod` reads the same with the extender.
  static constexpr std::string_view kAffinityRulesNotMatch =
      "node(s) didn't match pod affinity rules";
  static constexpr std::string_view kAntiAffinityRulesNotMatch =
      "node(s) didn't match pod anti-affinity rules";
  static constexpr std::string_view kExistingAntiAffinityRulesNotMatch =
      "node(s) didn't satisfy existing pods anti-affinity rules";

  std::string_view name() const override { return kName; }
  bool filters() const override { return true; }
  bool scores() const override { return true; }
  std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const override;
};

}  // namespace berth::extender
