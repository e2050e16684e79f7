#include "scheduler-extender/policies/taint_toleration.h"

#include <unordered_map>

#include "scheduler-extender/state/well_known.h"

namespace berth::extender {

namespace {

struct CompiledToleration {
  bool any_key = false;  // empty key: every key (with operator Exists)
  Id key = kNoId;
  bool exists = false;
  bool valid = true;  // an unknown operator tolerates nothing
  Id value = kNoId;
  std::string_view value_text;
  bool any_effect = false;
  TaintEffect effect = TaintEffect::kOther;

  bool tolerates(const Taint& t) const {
    if (!valid) return false;
    if (!any_effect && effect != t.effect) return false;
    if (!any_key && key != t.key) return false;
    return exists || value == t.value;
  }
};

bool tolerates_spec(const Toleration& t, std::string_view key, std::string_view value,
                    std::string_view effect) {
  if (!t.effect.empty() && t.effect != effect) return false;
  if (!t.key.empty() && t.key != key) return false;
  if (t.op.empty() || t.op == "Equal") return t.value == value;
  return t.op == "Exists";
}

class TaintTolerationRun final : public PolicyRun {
 public:
  explicit TaintTolerationRun(const PodContext& ctx) : strings_(ctx.state.strings()) {
    for (const Toleration& t : ctx.pod.tolerations) {
      CompiledToleration c;
      c.any_key = t.key.empty();
      c.key = strings_.find(t.key);
      c.exists = t.op == "Exists";
      c.valid = t.op.empty() || t.op == "Equal" || t.op == "Exists";
      c.value = strings_.find(t.value);
      c.any_effect = t.effect.empty();
      c.effect = taint_effect(t.effect);
      tolerations_.push_back(c);
      if (c.any_effect || c.effect == TaintEffect::kPreferNoSchedule) prefer_.push_back(c);
      tolerates_unschedulable_ =
          tolerates_unschedulable_ ||
          tolerates_spec(t, well_known::kUnschedulableTaint, "", "NoSchedule");
    }
  }

  Verdict filter(const NodeRecord& node, const Removal*) const override {
    if (node.unschedulable && !tolerates_unschedulable_) {
      return {TaintTolerationPolicy::kUnschedulable, true};
    }
    for (const Taint& t : node.taints) {
      if (t.effect != TaintEffect::kNoSchedule && t.effect != TaintEffect::kNoExecute) continue;
      if (tolerated(t, tolerations_)) continue;
      return {reason(t), true};
    }
    return {};
  }

  bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const override {
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      std::int64_t n = 0;
      for (const Taint& t : nodes[i]->taints) {
        if (t.effect == TaintEffect::kPreferNoSchedule && !tolerated(t, prefer_)) ++n;
      }
      out[i] = n;
    }
    return true;
  }

  void normalize(std::span<std::int64_t> scores) const override { default_normalize(scores, true); }

 private:
  static bool tolerated(const Taint& t, const std::vector<CompiledToleration>& list) {
    for (const CompiledToleration& c : list) {
      if (c.tolerates(t)) return true;
    }
    return false;
  }

  std::string_view reason(const Taint& t) const {
    std::uint64_t key = (static_cast<std::uint64_t>(t.key) << 32) | t.value;
    auto [it, inserted] = reasons_.try_emplace(key);
    if (inserted) {
      it->second = "node(s) had untolerated taint {" + std::string(strings_.str(t.key)) + ": " +
                   std::string(strings_.str(t.value)) + "}";
    }
    return it->second;
  }

  const StringTable& strings_;
  std::vector<CompiledToleration> tolerations_;
  std::vector<CompiledToleration> prefer_;
  bool tolerates_unschedulable_ = false;
  mutable std::unordered_map<std::uint64_t, std::string> reasons_;
};

}  // namespace

std::unique_ptr<PolicyRun> TaintTolerationPolicy::prepare(const PodContext& pod) const {
  return std::make_unique<TaintTolerationRun>(pod);
}

}  // namespace berth::extender
