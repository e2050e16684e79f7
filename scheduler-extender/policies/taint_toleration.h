// TaintToleration: NoSchedule/NoExecute taints the pod does not tolerate, and cordoned nodes
// (spec.unschedulable), filter; untolerated PreferNoSchedule taints, score (fewer is better).
// As kube-scheduler v1.26's TaintToleration and NodeUnschedulable plugins.
#pragma once

#include "scheduler-extender/policies/policy.h"

namespace berth::extender {

class TaintTolerationPolicy final : public Policy {
 public:
  static constexpr std::string_view kName = "TaintToleration";
  static constexpr std::string_view kUnschedulable = "node(s) were unschedulable";

  std::string_view name() const override { return kName; }
  bool filters() const override { return true; }
  bool scores() const override { return true; }
  std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const override;
};

}  // namespace berth::extender
