#include "scheduler-extender/policies/inter_pod_affinity.h"

#include <algorithm>
#include <cmath>

namespace berth::extender {

namespace {

// A count view this run reads: registered in the cache, or computed for this run only.
struct ViewRef {
  const CountView* view = nullptr;
  std::unique_ptr<CountView> owned;
};

struct WeightedView {
  ViewRef ref;
  std::int64_t weight = 0;  // negative for anti-affinity
  Id key = kNoId;
};

struct ScoringGroup {
  const TermGroup* group;
  std::int64_t weight;  // signed
};

struct RequiredAntiGroup {
  Slot slot;
  const TermGroup* group;
};

class InterPodAffinityRun final : public PolicyRun {
 public:
  explicit InterPodAffinityRun(const PodContext& ctx) : ctx_(ctx) {
    const PodSpec& pod = ctx.pod;
    if (!pod.affinity_error.empty()) {
      error_ = "invalid pod affinity: " + pod.affinity_error;
      return;
    }
    if (!pod.required_affinity.empty()) {
      std::vector<ViewClauseKey> clauses;
      std::vector<std::string> keys;
      self_match_ = true;
      for (const PodAffinityTermSpec& t : pod.required_affinity) {
        clauses.push_back(clause(t));
        keys.push_back(t.topology_key);
        self_match_ = self_match_ && matches_self(clauses.back());
      }
      affinity_ = view(ViewKey::make(std::move(clauses), std::move(keys)));
      for (const PodAffinityTermSpec& t : pod.required_affinity) {
        const std::vector<Id>& view_keys = affinity_.view->keys;
        Id key = ctx.state.strings().find(t.topology_key);
        auto it = std::find(view_keys.begin(), view_keys.end(), key);
        affinity_key_index_.push_back(static_cast<std::size_t>(it - view_keys.begin()));
        affinity_keys_.push_back(key);
      }
    }
    for (const PodAffinityTermSpec& t : pod.required_anti_affinity) {
      Id key = ctx.state.strings().find(t.topology_key);
      anti_.push_back({view(ViewKey::make({clause(t)}, {t.topology_key})), 0, key});
    }
    for (const PodAffinityTermSpec& t : pod.preferred_affinity) {
      if (t.weight == 0) continue;
      preferred_.push_back({view(ViewKey::make({clause(t)}, {t.topology_key})), t.weight,
                            ctx.state.strings().find(t.topology_key)});
    }
    for (const PodAffinityTermSpec& t : pod.preferred_anti_affinity) {
      if (t.weight == 0) continue;
      preferred_.push_back({view(ViewKey::make({clause(t)}, {t.topology_key})), -t.weight,
                            ctx.state.strings().find(t.topology_key)});
    }
    // Symmetry: the terms of pods already placed that select this pod.
    ctx.state.for_each_group_selecting(
        ctx.labels, ctx.ns, ctx.ns_labels, [&](Slot slot, const TermGroup& g) {
          switch (g.kind) {
            case TermKind::kRequiredAntiAffinity:
              if (!g.counts.empty()) existing_anti_.push_back({slot, &g});
              break;
            case TermKind::kRequiredAffinity:
            case TermKind::kPreferredAffinity:
              if (!g.counts.empty()) scoring_groups_.push_back({&g, g.weight});
              break;
            case TermKind::kPreferredAntiAffinity:
              if (!g.counts.empty()) scoring_groups_.push_back({&g, -std::int64_t{g.weight}});
              break;
          }
        });
  }

  Verdict filter(const NodeRecord& node, const Removal* removal) const override {
    if (!error_.empty()) return {error_, true};
    if (!affinity_key_index_.empty() && !satisfies_affinity(node, removal)) {
      return {InterPodAffinityPolicy::kAffinityRulesNotMatch, true};
    }
    for (const WeightedView& anti : anti_) {
      Id value = node.label(anti.key);
      if (value == kNoId) continue;
      std::int64_t n = anti.ref.view->count(0, value);
      if (n > 0 && removal != nullptr) n -= removed_matching(*anti.ref.view, removal);
      if (n > 0) return {InterPodAffinityPolicy::kAntiAffinityRulesNotMatch, false};
    }
    for (const RequiredAntiGroup& g : existing_anti_) {
      Id value = node.label(g.group->topology_key);
      if (value == kNoId) continue;
      std::int64_t n = g.group->counts.get(value);
      if (n > 0 && removal != nullptr) n -= removed_carrying(g.slot, removal);
      if (n > 0) return {InterPodAffinityPolicy::kExistingAntiAffinityRulesNotMatch, false};
    }
    return {};
  }

  bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const override {
    if (!error_.empty() || (preferred_.empty() && scoring_groups_.empty())) return false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const NodeRecord& node = *nodes[i];
      std::int64_t s = 0;
      for (const WeightedView& p : preferred_) {
        Id value = node.label(p.key);
        if (value != kNoId) s += p.weight * p.ref.view->count(0, value);
      }
      for (const ScoringGroup& g : scoring_groups_) {
        Id value = node.label(g.group->topology_key);
        if (value != kNoId) s += g.weight * g.group->counts.get(value);
      }
      out[i] = s;
    }
    return true;
  }

  // Min-max to 0..100 over the scored nodes, as InterPodAffinity's NormalizeScore.
  void normalize(std::span<std::int64_t> scores) const override {
    if (scores.empty()) return;
    auto [lo, hi] = std::minmax_element(scores.begin(), scores.end());
    std::int64_t min = *lo;
    std::int64_t diff = *hi - min;
    for (std::int64_t& s : scores) {
      double f = diff > 0 ? static_cast<double>(kMaxNodeScore) *
                                (static_cast<double>(s - min) / static_cast<double>(diff))
                          : 0.0;
      s = static_cast<std::int64_t>(f);
    }
  }

  std::vector<ViewKey> missing_views() const override { return missing_; }

 private:
  // The incoming pod's term as kube-scheduler evaluates it: namespaceSelector merged into the
  // namespace list ({} = every namespace), or the pod's own namespace when both are empty.
  ViewClauseKey clause(const PodAffinityTermSpec& t) const {
    ViewClauseKey c;
    c.selector = t.selector;
    if (t.namespace_selector) {
      if (t.namespace_selector->empty()) {
        c.all_namespaces = true;
        return c;
      }
      c.namespaces = t.namespaces;
      for (std::string& n : ctx_.state.namespaces_matching(*t.namespace_selector)) {
        c.namespaces.push_back(std::move(n));
      }
    } else if (t.namespaces.empty()) {
      c.namespaces = {ctx_.pod.namespace_};
    } else {
      c.namespaces = t.namespaces;
    }
    std::sort(c.namespaces.begin(), c.namespaces.end());
    c.namespaces.erase(std::unique(c.namespaces.begin(), c.namespaces.end()), c.namespaces.end());
    return c;
  }

  bool matches_self(const ViewClauseKey& c) const {
    bool in_namespace =
        c.all_namespaces ||
        std::binary_search(c.namespaces.begin(), c.namespaces.end(), ctx_.pod.namespace_);
    return in_namespace && selector_matches(c.selector, ctx_.pod.labels);
  }

  ViewRef view(ViewKey key) {
    ViewRef ref;
    ref.view = ctx_.state.find_view(key.signature);
    if (ref.view == nullptr) {
      ref.owned = ctx_.state.compute_view(key);
      ref.view = ref.owned.get();
      missing_.push_back(std::move(key));
    }
    return ref;
  }

  // satisfyPodAffinity: every term's topology label on the node, and in that domain a pod
  // matching all terms; or, when no pod anywhere matches them all, the pod matching its own
  // terms (the first pod of a group with affinity to itself).
  bool satisfies_affinity(const NodeRecord& node, const Removal* removal) const {
    const CountView& view = *affinity_.view;
    std::int64_t removed = removal != nullptr ? removed_matching(view, removal) : 0;
    bool pods_exist = true;
    for (std::size_t t = 0; t < affinity_keys_.size(); ++t) {
      Id value = node.label(affinity_keys_[t]);
      if (value == kNoId) return false;
      if (view.count(affinity_key_index_[t], value) - removed <= 0) pods_exist = false;
    }
    if (pods_exist) return true;
    return self_match_ && empty_after(view, node, removed);
  }

  // Whether `view` has no count left once `removed` matching pods of `node` are taken away.
  static bool empty_after(const CountView& view, const NodeRecord& node, std::int64_t removed) {
    for (std::size_t k = 0; k < view.keys.size(); ++k) {
      const CountMap& counts = view.counts[k];
      if (counts.empty()) continue;
      if (removed == 0 || counts.size() > 1) return false;
      Id value = node.label(view.keys[k]);
      if (value == kNoId || counts.get(value) != removed) return false;
    }
    return true;
  }

  std::int64_t removed_matching(const CountView& view, const Removal* removal) const {
    std::int64_t n = 0;
    for (Slot s : removal->pods) {
      const PodRecord& p = ctx_.state.pod(s);
      if (p.live() && view.matches(p.ns, p.labels)) ++n;
    }
    return n;
  }

  std::int64_t removed_carrying(Slot group, const Removal* removal) const {
    std::int64_t n = 0;
    for (Slot s : removal->pods) {
      const PodRecord& p = ctx_.state.pod(s);
      if (!p.live() || p.affinity == kNoSlot) continue;
      for (const auto& [g, multiplicity] : ctx_.state.affinity_spec(p.affinity).groups) {
        if (g == group) n += multiplicity;
      }
    }
    return n;
  }

  const PodContext& ctx_;
  std::string error_;
  ViewRef affinity_;
  std::vector<Id> affinity_keys_;                // per required affinity term
  std::vector<std::size_t> affinity_key_index_;  // into affinity_.view->keys
  bool self_match_ = false;
  std::vector<WeightedView> anti_;
  std::vector<WeightedView> preferred_;
  std::vector<RequiredAntiGroup> existing_anti_;
  std::vector<ScoringGroup> scoring_groups_;
  std::vector<ViewKey> missing_;
};

}  // namespace

std::unique_ptr<PolicyRun> InterPodAffinityPolicy::prepare(const PodContext& pod) const {
  return std::make_unique<InterPodAffinityRun>(pod);
}

}  // namespace berth::extender
