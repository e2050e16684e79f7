// ResourceFit: requests (init containers and overhead included) against allocatable minus what
// bound pods request, filter; LeastAllocated / MostAllocated / BalancedAllocation, score; and
// the collective fit of a pod group (label berth.dev/pod-group, annotation
// berth.dev/min-members): the members still missing must all fit on the feasible nodes at once.
#pragma once

#include <string>
#include <vector>

#include "scheduler-extender/policies/policy.h"

namespace berth::extender {

struct ResourceFitOptions {
  enum class Strategy { kLeastAllocated, kMostAllocated, kBalancedAllocation };
  Strategy strategy = Strategy::kLeastAllocated;
  struct Resource {
    std::string name;
    std::int64_t weight = 1;
  };
  std::vector<Resource> resources = {{"cpu", 1}, {"memory", 1}};
  // Extended resources the filter does not check: the dummy resource that routes opted-in pods
  // to the extender (managedResources with ignoredByScheduler) is requested but never
  // allocatable.
  std::vector<std::string> ignored_resources = {"berth.dev/scheduling"};
  bool gang = true;
};

class ResourceFitPolicy final : public Policy {
 public:
  static constexpr std::string_view kName = "ResourceFit";

  explicit ResourceFitPolicy(ResourceFitOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return kName; }
  bool filters() const override { return true; }
  bool scores() const override { return !options_.resources.empty(); }
  std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const override;

 private:
  ResourceFitOptions options_;
};

}  // namespace berth::extender
