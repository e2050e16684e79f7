#include "scheduler-extender/policies/policy_set.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "scheduler-extender/protocol/responses.h"

namespace berth::extender {

namespace {

void describe_pod(const PodSpec& pod, std::string_view verb, std::size_t candidates, Decision& d) {
  d.verb = std::string(verb);
  d.pod_namespace = pod.namespace_;
  d.pod_name = pod.name;
  d.pod_uid = pod.uid;
  d.candidates = candidates;
}

void append_notes(const PolicyRun& run, Decision& d) {
  for (std::string& note : run.notes()) {
    if (std::find(d.notes.begin(), d.notes.end(), note) == d.notes.end()) {
      d.notes.push_back(std::move(note));
    }
  }
}

}  // namespace

PolicySet::PolicySet(ClusterState& state, std::vector<WeightedPolicy> policies,
                     std::size_t explain_nodes)
    : state_(state), policies_(std::move(policies)), explain_nodes_(explain_nodes) {}

std::string PolicySet::unknown_node_reason(std::string_view node) {
  return "node \"" + std::string(node) + "\" is not in berth-extender's cache yet";
}

void PolicySet::register_views(std::vector<ViewKey> missing) const {
  if (!missing.empty()) state_.ensure_views(missing);
}

FilterOutcome PolicySet::filter(const PodSpec& pod, std::span<const std::string_view> nodes) const {
  FilterOutcome out;
  Decision& d = out.decision;
  describe_pod(pod, "filter", nodes.size(), d);
  std::vector<ViewKey> missing;
  {
    ClusterState::Reader reader = state_.read();
    PodContext ctx(pod, reader);
    struct Run {
      std::string_view policy;
      std::unique_ptr<PolicyRun> run;
    };
    std::vector<Run> runs;
    for (const WeightedPolicy& p : policies_) {
      if (!p.policy->filters()) continue;
      runs.push_back({p.policy->name(), p.policy->prepare(ctx)});
      append_notes(*runs.back().run, d);
    }
    std::vector<const NodeRecord*> feasible;
    feasible.reserve(nodes.size());
    out.passed.reserve(nodes.size());
    // Distinct reasons are few (one per policy outcome), so a linear search by content beats
    // hashing; a rejected node costs no allocation.
    std::vector<std::size_t> counts;
    auto reject = [&](std::uint32_t index, std::string_view policy, std::string_view reason,
                      bool unresolvable) {
      auto it = std::find(out.reasons.begin(), out.reasons.end(), reason);
      auto r = static_cast<std::uint32_t>(it - out.reasons.begin());
      if (it == out.reasons.end()) {
        out.reasons.emplace_back(reason);
        counts.push_back(0);
      }
      ++counts[r];
      out.failed.push_back({index, r, unresolvable, policy});
      if (d.nodes.size() < explain_nodes_) {
        d.nodes.push_back({std::string(nodes[index]), std::string(policy), out.reasons[r]});
      } else {
        ++d.nodes_omitted;
      }
    };
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
      Slot slot = reader.find_node(nodes[i]);
      if (slot == kNoSlot) {
        reject(i, "cache", unknown_node_reason(nodes[i]), false);
        continue;
      }
      const NodeRecord& node = reader.node(slot);
      bool ok = true;
      for (const Run& r : runs) {
        Verdict v = r.run->filter(node, nullptr);
        if (!v.ok()) {
          reject(i, r.policy, v.reason, v.unresolvable);
          ok = false;
          break;
        }
      }
      if (ok) {
        out.passed.push_back(i);
        feasible.push_back(&node);
      }
    }
    for (const Run& r : runs) {
      if (feasible.empty()) break;
      Verdict v = r.run->filter_all(feasible);
      if (v.ok()) continue;
      for (std::uint32_t i : out.passed)
        reject(i, r.policy, v.reason, v.unresolvable);
      out.passed.clear();
      feasible.clear();
    }
    d.feasible = out.passed.size();
    for (std::size_t r = 0; r < counts.size(); ++r)
      d.reasons[out.reasons[r]] += counts[r];
    for (const Run& r : runs) {
      for (ViewKey& k : r.run->missing_views())
        missing.push_back(std::move(k));
    }
  }
  register_views(std::move(missing));
  return out;
}

PrioritizeOutcome PolicySet::prioritize(const PodSpec& pod,
                                        std::span<const std::string_view> nodes) const {
  PrioritizeOutcome out;
  Decision& d = out.decision;
  describe_pod(pod, "prioritize", nodes.size(), d);
  out.scores.assign(nodes.size(), 0);
  std::vector<ViewKey> missing;
  std::vector<double> totals(nodes.size(), 0.0);
  // Per taking-part policy p and known node k: scores[p * known + k].
  std::vector<PolicyScore> scores;
  std::vector<std::uint32_t> known_index;
  {
    ClusterState::Reader reader = state_.read();
    PodContext ctx(pod, reader);
    std::vector<const NodeRecord*> known;
    known.reserve(nodes.size());
    known_index.reserve(nodes.size());
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
      Slot slot = reader.find_node(nodes[i]);
      if (slot == kNoSlot) continue;
      known.push_back(&reader.node(slot));
      known_index.push_back(i);
    }
    std::vector<std::int64_t> raw(known.size());
    std::vector<std::int64_t> normalized(known.size());
    std::int64_t weight_sum = 0;
    for (const WeightedPolicy& p : policies_) {
      if (!p.policy->scores() || p.weight <= 0) continue;
      std::unique_ptr<PolicyRun> run = p.policy->prepare(ctx);
      append_notes(*run, d);
      for (ViewKey& k : run->missing_views())
        missing.push_back(std::move(k));
      if (known.empty() || !run->score(known, raw)) continue;
      normalized = raw;
      run->normalize(normalized);
      auto [lo, hi] = std::minmax_element(normalized.begin(), normalized.end());
      if (*lo == *hi) continue;  // no preference among these candidates
      d.policies.emplace_back(p.policy->name());
      d.weights.push_back(p.weight);
      weight_sum += p.weight;
      for (std::size_t k = 0; k < known.size(); ++k) {
        scores.push_back({true, raw[k], normalized[k]});
        totals[known_index[k]] += static_cast<double>(
            p.weight * std::clamp<std::int64_t>(normalized[k], 0, kMaxNodeScore));
      }
    }
    if (weight_sum > 0) {
      for (std::uint32_t i : known_index) {
        double score = totals[i] / static_cast<double>(weight_sum) *
                       static_cast<double>(protocol::kMaxExtenderPriority) /
                       static_cast<double>(kMaxNodeScore);
        out.scores[i] =
            std::clamp<std::int64_t>(std::lround(score), 0, protocol::kMaxExtenderPriority);
      }
    }
    d.feasible = known.size();
  }
  register_views(std::move(missing));

  // Explain the best nodes; `position` maps a request index to its column among known nodes.
  std::vector<std::uint32_t> position(nodes.size(), UINT32_MAX);
  for (std::uint32_t k = 0; k < known_index.size(); ++k)
    position[known_index[k]] = k;
  std::vector<std::uint32_t> order(nodes.size());
  std::iota(order.begin(), order.end(), 0);
  std::size_t shown = std::min(order.size(), explain_nodes_);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                    [&](std::uint32_t a, std::uint32_t b) {
                      if (out.scores[a] != out.scores[b]) return out.scores[a] > out.scores[b];
                      if (totals[a] != totals[b]) return totals[a] > totals[b];
                      return a < b;
                    });
  std::size_t known = known_index.size();
  for (std::size_t n = 0; n < shown; ++n) {
    std::uint32_t i = order[n];
    NodeDecision nd;
    nd.node = std::string(nodes[i]);
    nd.score = out.scores[i];
    if (position[i] != UINT32_MAX) {
      for (std::size_t p = 0; p < d.policies.size(); ++p) {
        nd.scores.push_back(scores[p * known + position[i]]);
      }
    }
    d.nodes.push_back(std::move(nd));
  }
  d.nodes_omitted = nodes.size() - shown;
  return out;
}

PreemptOutcome PolicySet::preempt(const PodSpec& pod,
                                  std::span<const PreemptionCandidate> candidates) const {
  PreemptOutcome out;
  Decision& d = out.decision;
  describe_pod(pod, "preempt", candidates.size(), d);
  std::vector<ViewKey> missing;
  {
    ClusterState::Reader reader = state_.read();
    PodContext ctx(pod, reader);
    struct Run {
      std::string_view policy;
      std::unique_ptr<PolicyRun> run;
    };
    std::vector<Run> runs;
    for (const WeightedPolicy& p : policies_) {
      if (p.policy->filters()) runs.push_back({p.policy->name(), p.policy->prepare(ctx)});
    }
    std::vector<Slot> victims;
    for (std::uint32_t i = 0; i < candidates.size(); ++i) {
      const PreemptionCandidate& c = candidates[i];
      Slot slot = reader.find_node(c.node);
      if (slot == kNoSlot) {
        out.kept.push_back(i);
        continue;
      }
      victims.clear();
      for (std::string_view uid : c.victim_uids) {
        Slot p = reader.find_pod(uid);
        if (p != kNoSlot && reader.pod(p).node == slot) victims.push_back(p);
      }
      Removal removal{victims};
      bool ok = true;
      for (const Run& r : runs) {
        Verdict v = r.run->filter(reader.node(slot), &removal);
        if (v.ok()) continue;
        ok = false;
        ++d.reasons[std::string(v.reason)];
        if (d.nodes.size() < explain_nodes_) {
          d.nodes.push_back({std::string(c.node), std::string(r.policy), std::string(v.reason)});
        } else {
          ++d.nodes_omitted;
        }
        break;
      }
      if (ok) out.kept.push_back(i);
    }
    d.feasible = out.kept.size();
    for (const Run& r : runs) {
      for (ViewKey& k : r.run->missing_views())
        missing.push_back(std::move(k));
    }
  }
  register_views(std::move(missing));
  return out;
}

}  // namespace berth::extender
