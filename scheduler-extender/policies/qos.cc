#include "scheduler-extender/policies/qos.h"

#include <algorithm>

#include "scheduler-extender/state/well_known.h"

namespace berth::extender {

namespace {

// The fraction (0..100) of `alloc` left after `used`.
std::int64_t free_percent(std::int64_t alloc, std::int64_t used) {
  if (alloc <= 0) return 0;
  return std::clamp<std::int64_t>((alloc - used) * kMaxNodeScore / alloc, 0, kMaxNodeScore);
}

class QosRun final : public PolicyRun {
 public:
  explicit QosRun(const PodContext& ctx) : ctx_(ctx) {
    applies_ = ctx.pod.qos == QosClass::kGuaranteed ||
               ctx.pod.workload_class == well_known::kLatencyCriticalClass;
  }

  bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const override {
    if (!applies_) return false;
    const ResourceAmounts& pod = ctx_.pod.requests.requests;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeRecord& n = *nodes[i];
      out[i] =
          std::min(free_percent(n.allocatable.milli_cpu, n.requested.milli_cpu + pod.milli_cpu),
                   free_percent(n.allocatable.memory, n.requested.memory + pod.memory));
    }
    return true;
  }

 private:
  const PodContext& ctx_;
  bool applies_ = false;
};

class DeadlineRun final : public PolicyRun {
 public:
  DeadlineRun(const PodContext& ctx, const DeadlineOptions& options)
      : ctx_(ctx), options_(options) {
    if (!ctx.pod.deadline) {
      for (const std::string& e : ctx.pod.annotation_errors) {
        if (e.starts_with("berth.dev/deadline")) notes_.push_back(e);
      }
      return;
    }
    applies_ = true;
    for (const std::string& image : ctx.pod.images) {
      Id id = ctx.state.strings().find(image);
      std::int64_t size = id == kNoId ? 0 : ctx.state.image_size(id);
      std::int64_t bytes = size > 0 ? size : DeadlinePolicy::kUnknownImageBytes;
      images_.emplace_back(id, bytes);
      total_bytes_ += bytes;
    }
  }

  bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const override {
    if (!applies_) return false;
    std::int64_t weights = options_.image_weight + options_.load_weight;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeRecord& n = *nodes[i];
      std::int64_t present = 0;
      for (const auto& [id, bytes] : images_) {
        if (id != kNoId && n.has_image(id)) present += bytes;
      }
      std::int64_t image_score =
          total_bytes_ > 0 ? present * kMaxNodeScore / total_bytes_ : kMaxNodeScore;
      std::int64_t load_score = free_percent(
          n.allocatable.milli_cpu, n.requested.milli_cpu + ctx_.pod.requests.requests.milli_cpu);
      out[i] =
          weights > 0
              ? (options_.image_weight * image_score + options_.load_weight * load_score) / weights
              : 0;
    }
    return true;
  }

  std::vector<std::string> notes() const override { return notes_; }

 private:
  const PodContext& ctx_;
  const DeadlineOptions& options_;
  bool applies_ = false;
  std::vector<std::pair<Id, std::int64_t>> images_;
  std::int64_t total_bytes_ = 0;
  std::vector<std::string> notes_;
};

}  // namespace

std::unique_ptr<PolicyRun> QosPolicy::prepare(const PodContext& pod) const {
  return std::make_unique<QosRun>(pod);
}

std::unique_ptr<PolicyRun> DeadlinePolicy::prepare(const PodContext& pod) const {
  return std::make_unique<DeadlineRun>(pod, options_);
}

}  // namespace berth::extender
