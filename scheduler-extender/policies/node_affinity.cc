#include "scheduler-extender/policies/node_affinity.h"

#include <optional>

namespace berth::extender {

namespace {

class NodeAffinityRun final : public PolicyRun {
 public:
  explicit NodeAffinityRun(const PodContext& ctx) : strings_(ctx.state.strings()) {
    for (const auto& [k, v] : ctx.pod.node_selector) {
      node_selector_.push_back({strings_.find(k), strings_.find(v)});
    }
    if (ctx.pod.required_node_affinity) {
      required_ = CompiledNodeSelector::lookup(*ctx.pod.required_node_affinity, strings_);
    }
    for (const PreferredSchedulingTermSpec& t : ctx.pod.preferred_node_affinity) {
      // Weight-0 and empty preferences are ignored, as in-tree.
      if (t.weight == 0 || t.preference.empty()) continue;
      preferred_.push_back({t.weight, CompiledNodeTerm::lookup(t.preference, strings_)});
    }
  }

  Verdict filter(const NodeRecord& node, const Removal*) const override {
    for (const Label& want : node_selector_) {
      Id have = node.label(want.key);
      if (want.key == kNoId || have == kNoId || have != want.value) {
        return {NodeAffinityPolicy::kNotMatch, true};
      }
    }
    if (required_ && !required_->matches(node.labels, node.name, strings_)) {
      return {NodeAffinityPolicy::kNotMatch, true};
    }
    return {};
  }

  bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const override {
    if (preferred_.empty()) return false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      std::int64_t s = 0;
      for (const auto& [weight, term] : preferred_) {
        if (term.matches(nodes[i]->labels, nodes[i]->name, strings_)) s += weight;
      }
      out[i] = s;
    }
    return true;
  }

  void normalize(std::span<std::int64_t> scores) const override {
    default_normalize(scores, false);
  }

 private:
  const StringTable& strings_;
  Labels node_selector_;
  std::optional<CompiledNodeSelector> required_;
  std::vector<std::pair<std::int64_t, CompiledNodeTerm>> preferred_;
};

}  // namespace

std::unique_ptr<PolicyRun> NodeAffinityPolicy::prepare(const PodContext& pod) const {
  return std::make_unique<NodeAffinityRun>(pod);
}

}  // namespace berth::extender
