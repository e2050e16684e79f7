// NodeAffinity: spec.nodeSelector and required node affinity (filter), preferred node affinity
// (score), as kube-scheduler v1.26's NodeAffinity plugin.
#pragma once

#include "scheduler-extender/policies/policy.h"

namespace berth::extender {

class NodeAffinityPolicy final : public Policy {
 public:
  static constexpr std::string_view kName = "NodeAffinity";
  static constexpr std::string_view kNotMatch = "node(s) didn't match Pod's node affinity/selector";

  std::string_view name() const override { return kName; }
  bool filters() const override { return true; }
  bool scores() const override { return true; }
  std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const override;
};

}  // namespace berth::extender
