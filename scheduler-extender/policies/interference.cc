#include "scheduler-extender/policies/interference.h"

namespace berth::extender {

namespace {

class InterferenceRun final : public PolicyRun {
 public:
  InterferenceRun(const PodContext& ctx, const InterferenceOptions& options) {
    if (ctx.pod.workload_class.empty()) return;
    auto row = options.conflicts.find(ctx.pod.workload_class);
    if (row == options.conflicts.end()) return;
    for (const auto& [cls, penalty] : row->second) {
      Id id = ctx.state.strings().find(cls);
      if (id != kNoId && penalty > 0) row_.emplace_back(id, penalty);
    }
  }

  bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const override {
    if (row_.empty()) return false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      std::int64_t s = 0;
      for (const auto& [cls, penalty] : row_)
        s += penalty * nodes[i]->class_count(cls);
      out[i] = s;
    }
    return true;
  }

  // Fewer conflicts is better.
  void normalize(std::span<std::int64_t> scores) const override { default_normalize(scores, true); }

 private:
  std::vector<std::pair<Id, std::int64_t>> row_;
};

}  // namespace

std::unique_ptr<PolicyRun> InterferencePolicy::prepare(const PodContext& pod) const {
  return std::make_unique<InterferenceRun>(pod, options_);
}

}  // namespace berth::extender
