#include "scheduler-extender/testing/naive_affinity.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "scheduler-extender/policies/inter_pod_affinity.h"

namespace berth::extender::testing {

namespace {

// framework.AffinityTerm after namespace processing.
struct Term {
  std::set<std::string> namespaces;
  kube::LabelSelector selector = kube::LabelSelector::nothing();
  // nullopt = labels.Nothing(); an empty selector = labels.Everything().
  std::optional<kube::LabelSelector> namespace_selector;
  std::string topology_key;
  std::int64_t weight = 0;

  bool matches(const PodSpec& pod, const StringLabels& ns_labels) const {
    bool ns_ok = namespaces.count(pod.namespace_) > 0 ||
                 (namespace_selector && selector_matches(*namespace_selector, ns_labels));
    return ns_ok && selector_matches(selector, pod.labels);
  }
};

using Pair = std::pair<std::string, std::string>;

const StringLabels* labels_of_namespace(const World& w, const std::string& ns) {
  for (const auto& [name, labels] : w.namespaces) {
    if (name == ns) return &labels;
  }
  return nullptr;
}

// newAffinityTerm: the pod's own namespace when the term names none and has no selector.
Term make_term(const PodSpec& owner, const PodAffinityTermSpec& spec) {
  Term t;
  if (spec.namespaces.empty() && !spec.namespace_selector) {
    t.namespaces.insert(owner.namespace_);
  } else {
    t.namespaces.insert(spec.namespaces.begin(), spec.namespaces.end());
  }
  t.selector = spec.selector;
  t.namespace_selector = spec.namespace_selector;
  t.topology_key = spec.topology_key;
  t.weight = spec.weight;
  return t;
}

// mergeAffinityTermNamespacesIfNotEmpty (incoming pod terms only).
void merge_namespaces(const World& w, Term& t) {
  if (!t.namespace_selector || t.namespace_selector->empty()) return;
  for (const auto& [name, labels] : w.namespaces) {
    if (selector_matches(*t.namespace_selector, labels)) t.namespaces.insert(name);
  }
  t.namespace_selector.reset();
}

}  // namespace

NaiveResult naive_inter_pod_affinity(const World& w, const PodSpec& pod,
                                     std::span<const std::string> candidates) {
  static const StringLabels kNoLabels;
  // kube-scheduler's snapshot maps node names to NodeInfos; so does this walk.
  std::unordered_map<std::string_view, const NodeSpec*> nodes;
  nodes.reserve(w.nodes.size());
  for (const NodeSpec& n : w.nodes)
    nodes.emplace(n.name, &n);
  auto node_of = [&](const World&, const std::string& name) -> const NodeSpec* {
    auto it = nodes.find(name);
    return it == nodes.end() ? nullptr : it->second;
  };
  const StringLabels* ns_labels_ptr = labels_of_namespace(w, pod.namespace_);
  const StringLabels& ns_labels = ns_labels_ptr ? *ns_labels_ptr : kNoLabels;

  std::vector<Term> req_aff, req_anti, pref_aff, pref_anti;
  for (const auto& s : pod.required_affinity)
    req_aff.push_back(make_term(pod, s));
  for (const auto& s : pod.required_anti_affinity)
    req_anti.push_back(make_term(pod, s));
  for (const auto& s : pod.preferred_affinity)
    pref_aff.push_back(make_term(pod, s));
  for (const auto& s : pod.preferred_anti_affinity)
    pref_anti.push_back(make_term(pod, s));
  for (auto* list : {&req_aff, &req_anti, &pref_aff, &pref_anti}) {
    for (Term& t : *list)
      merge_namespaces(w, t);
  }

  auto all_match = [&](const PodSpec& p) {
    if (req_aff.empty()) return false;
    return std::all_of(req_aff.begin(), req_aff.end(),
                       [&](const Term& t) { return t.matches(p, kNoLabels); });
  };

  // PreFilter.
  std::map<Pair, std::int64_t> existing_anti, affinity, anti;
  for (const PodSpec& existing : w.pods) {
    const NodeSpec* node = node_of(w, existing.node_name);
    if (node == nullptr) continue;
    auto label = [&](const std::string& key) { return find_label(node->labels, key); };
    for (const auto& spec : existing.required_anti_affinity) {
      Term t = make_term(existing, spec);
      if (!t.matches(pod, ns_labels)) continue;
      if (const std::string* v = label(t.topology_key)) ++existing_anti[{t.topology_key, *v}];
    }
    if (all_match(existing)) {
      for (const Term& t : req_aff) {
        if (const std::string* v = label(t.topology_key)) ++affinity[{t.topology_key, *v}];
      }
    }
    for (const Term& t : req_anti) {
      if (!t.matches(existing, kNoLabels)) continue;
      if (const std::string* v = label(t.topology_key)) ++anti[{t.topology_key, *v}];
    }
  }

  NaiveResult out;
  for (const std::string& name : candidates) {
    const NodeSpec* node = node_of(w, name);
    std::string reason;
    if (node == nullptr) {
      out.reasons.push_back("node not found");
      continue;
    }
    // satisfyPodAffinity
    bool pods_exist = true;
    bool labels_missing = false;
    for (const Term& t : req_aff) {
      const std::string* v = find_label(node->labels, t.topology_key);
      if (v == nullptr) {
        labels_missing = true;
        break;
      }
      auto it = affinity.find({t.topology_key, *v});
      if (it == affinity.end() || it->second <= 0) pods_exist = false;
    }
    if (labels_missing || (!pods_exist && !(affinity.empty() && all_match(pod)))) {
      reason = std::string(InterPodAffinityPolicy::kAffinityRulesNotMatch);
    }
    if (reason.empty()) {
      for (const Term& t : req_anti) {
        const std::string* v = find_label(node->labels, t.topology_key);
        if (v == nullptr) continue;
        auto it = anti.find({t.topology_key, *v});
        if (it != anti.end() && it->second > 0) {
          reason = std::string(InterPodAffinityPolicy::kAntiAffinityRulesNotMatch);
          break;
        }
      }
    }
    if (reason.empty()) {
      for (const auto& [k, v] : node->labels) {
        auto it = existing_anti.find({k, v});
        if (it != existing_anti.end() && it->second > 0) {
          reason = std::string(InterPodAffinityPolicy::kExistingAntiAffinityRulesNotMatch);
          break;
        }
      }
    }
    out.reasons.push_back(reason);
  }

  // PreScore.
  std::map<std::string, std::map<std::string, std::int64_t>> topology_score;
  auto process = [&](const Term& t, std::int64_t weight, const PodSpec& p,
                     const StringLabels& labels_for_ns, const NodeSpec& node) {
    if (!t.matches(p, labels_for_ns)) return;
    if (const std::string* v = find_label(node.labels, t.topology_key)) {
      topology_score[t.topology_key][*v] += weight;
    }
  };
  for (const PodSpec& existing : w.pods) {
    const NodeSpec* node = node_of(w, existing.node_name);
    if (node == nullptr || node->labels.empty()) continue;
    for (const Term& t : pref_aff)
      process(t, t.weight, existing, kNoLabels, *node);
    for (const Term& t : pref_anti)
      process(t, -t.weight, existing, kNoLabels, *node);
    if (w.hard_pod_affinity_weight > 0) {
      for (const auto& spec : existing.required_affinity) {
        process(make_term(existing, spec), w.hard_pod_affinity_weight, pod, ns_labels, *node);
      }
    }
    for (const auto& spec : existing.preferred_affinity) {
      Term t = make_term(existing, spec);
      process(t, t.weight, pod, ns_labels, *node);
    }
    for (const auto& spec : existing.preferred_anti_affinity) {
      Term t = make_term(existing, spec);
      process(t, -t.weight, pod, ns_labels, *node);
    }
  }
  // Score + NormalizeScore over the candidates.
  for (const std::string& name : candidates) {
    const NodeSpec* node = node_of(w, name);
    std::int64_t s = 0;
    if (node != nullptr) {
      for (const auto& [key, values] : topology_score) {
        if (const std::string* v = find_label(node->labels, key)) {
          auto it = values.find(*v);
          if (it != values.end()) s += it->second;
        }
      }
    }
    out.raw.push_back(s);
  }
  out.normalized = out.raw;
  if (!topology_score.empty() && !out.raw.empty()) {
    auto [lo, hi] = std::minmax_element(out.raw.begin(), out.raw.end());
    std::int64_t min = *lo, diff = *hi - *lo;
    for (std::int64_t& s : out.normalized) {
      double f = diff > 0 ? 100.0 * (static_cast<double>(s - min) / static_cast<double>(diff)) : 0;
      s = static_cast<std::int64_t>(f);
    }
  }
  return out;
}

}  // namespace berth::extender::testing
