// Interference: pods declare a workload class (label berth.dev/workload-class: cpu-bound,
// io-bound, latency-critical, batch, ...); a conflict matrix says how much a class suffers
// from each other class on the same node. Nodes score lower the more conflicting neighbours
// they run (weighted by the matrix row of the incoming pod's class).
#pragma once

#include <map>
#include <string>

#include "scheduler-extender/policies/policy.h"

namespace berth::extender {

struct InterferenceOptions {
  // conflicts[incoming class][neighbour class] = penalty per neighbour pod (>= 0).
  std::map<std::string, std::map<std::string, std::int64_t>> conflicts = {
      {"latency-critical", {{"cpu-bound", 3}, {"io-bound", 2}, {"batch", 3}}},
      {"cpu-bound", {{"cpu-bound", 1}, {"latency-critical", 2}}},
      {"io-bound", {{"io-bound", 2}, {"latency-critical", 1}}},
      {"batch", {{"latency-critical", 2}}},
  };
};

class InterferencePolicy final : public Policy {
 public:
  static constexpr std::string_view kName = "Interference";

  explicit InterferencePolicy(InterferenceOptions options) : options_(std::move(options)) {}
  std::string_view name() const override { return kName; }
  bool filters() const override { return false; }
  bool scores() const override { return true; }
  std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const override;

 private:
  InterferenceOptions options_;
};

}  // namespace berth::extender
