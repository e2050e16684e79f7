// Qos: latency-critical pods (workload class latency-critical) and Guaranteed pods prefer
// nodes that keep headroom after placing them: the score is the smaller of the CPU and memory
// fractions left free (by requests), so a node nearly full in either scores low.
#pragma once

#include "scheduler-extender/policies/policy.h"

namespace berth::extender {

class QosPolicy final : public Policy {
 public:
  static constexpr std::string_view kName = "QoS";

  std::string_view name() const override { return kName; }
  bool filters() const override { return false; }
  bool scores() const override { return true; }
  std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const override;
};

// Deadline: pods annotated berth.dev/deadline (RFC 3339) prefer the nodes that start them
// soonest: those that already hold their images (weighted by image size, as pulling dominates
// start-up) and are least loaded.
struct DeadlineOptions {
  std::int64_t image_weight = 2;
  std::int64_t load_weight = 1;
};

class DeadlinePolicy final : public Policy {
 public:
  static constexpr std::string_view kName = "Deadline";
  // An image no node reports a size for counts as this many bytes.
  static constexpr std::int64_t kUnknownImageBytes = 100 * 1024 * 1024;

  explicit DeadlinePolicy(DeadlineOptions options) : options_(options) {}
  std::string_view name() const override { return kName; }
  bool filters() const override { return false; }
  bool scores() const override { return true; }
  std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const override;

 private:
  DeadlineOptions options_;
};

}  // namespace berth::extender
