// Terse builders for pods, nodes and affinity terms in extender tests, and a Cluster that keeps
// a ClusterState and the naive reference World in step.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "kube/api/selector.h"
#include "scheduler-extender/policies/policy.h"
#include "scheduler-extender/state/cluster_state.h"
#include "scheduler-extender/testing/naive_affinity.h"

namespace berth::extender::test {

inline StringLabels labels(std::vector<std::pair<std::string, std::string>> l) {
  std::sort(l.begin(), l.end());
  return l;
}

inline kube::LabelSelector selector(std::string_view text) {
  auto s = kube::LabelSelector::parse(text);
  EXPECT_TRUE(s.ok()) << text;
  return s.ok() ? *s : kube::LabelSelector::nothing();
}

// A PodAffinityTerm: `sel` in label-selector syntax ("app=web", "tier in (a,b)", "" = all).
inline PodAffinityTermSpec term(std::string_view sel, std::string key,
                                std::vector<std::string> namespaces = {},
                                std::optional<std::string_view> ns_selector = std::nullopt,
                                std::int32_t weight = 0) {
  PodAffinityTermSpec t;
  t.selector = selector(sel);
  std::sort(namespaces.begin(), namespaces.end());
  t.namespaces = std::move(namespaces);
  if (ns_selector) t.namespace_selector = selector(*ns_selector);
  t.topology_key = std::move(key);
  t.weight = weight;
  return t;
}

inline PodAffinityTermSpec weighted(std::int32_t weight, PodAffinityTermSpec t) {
  t.weight = weight;
  return t;
}

inline PodSpec pod(std::string ns, std::string name, StringLabels l, std::string node = "") {
  PodSpec p;
  p.namespace_ = std::move(ns);
  p.name = std::move(name);
  p.uid = p.namespace_ + "/" + p.name;
  p.labels = std::move(l);
  p.node_name = std::move(node);
  p.phase = p.node_name.empty() ? "Pending" : "Running";
  if (const std::string* c = find_label(p.labels, "berth.dev/workload-class")) {
    p.workload_class = *c;
  }
  if (const std::string* g = find_label(p.labels, "berth.dev/pod-group")) p.pod_group = *g;
  return p;
}

inline PodSpec with_requests(PodSpec p, std::int64_t milli_cpu, std::int64_t memory) {
  p.requests.requests.milli_cpu = milli_cpu;
  p.requests.requests.memory = memory;
  p.requests.nonzero_milli_cpu = milli_cpu == 0 ? kDefaultMilliCpuRequest : milli_cpu;
  p.requests.nonzero_memory = memory == 0 ? kDefaultMemoryRequest : memory;
  return p;
}

inline NodeSpec node(std::string name, StringLabels l, std::int64_t milli_cpu = 4000,
                     std::int64_t memory = 8LL << 30, std::int64_t pods = 110) {
  NodeSpec n;
  n.name = std::move(name);
  n.labels = std::move(l);
  n.allocatable.milli_cpu = milli_cpu;
  n.allocatable.memory = memory;
  n.allocatable.pods = pods;
  return n;
}

// Applies every change to both the ClusterState under test and the reference World.
class Cluster {
 public:
  explicit Cluster(ClusterStateOptions options = {}) : state(options) {
    world.hard_pod_affinity_weight = options.hard_pod_affinity_weight;
  }

  void add(const NodeSpec& n) {
    state.write().upsert_node(n);
    std::erase_if(world.nodes, [&](const NodeSpec& x) { return x.name == n.name; });
    world.nodes.push_back(n);
  }
  void remove_node(const std::string& name) {
    state.write().remove_node(name);
    std::erase_if(world.nodes, [&](const NodeSpec& x) { return x.name == name; });
  }
  void add(const PodSpec& p) {
    state.write().upsert_pod(p);
    std::erase_if(world.pods, [&](const PodSpec& x) { return x.uid == p.uid; });
    if (!p.node_name.empty() && !p.terminal) world.pods.push_back(p);
  }
  void remove_pod(const std::string& uid) {
    state.write().remove_pod(uid);
    std::erase_if(world.pods, [&](const PodSpec& x) { return x.uid == uid; });
  }
  void add_namespace(const std::string& name, StringLabels l) {
    state.write().upsert_namespace(name, l);
    std::erase_if(world.namespaces, [&](const auto& x) { return x.first == name; });
    world.namespaces.emplace_back(name, std::move(l));
  }

  ClusterState state;
  testing::World world;
};

struct PolicyAnswer {
  std::vector<std::string> reasons;  // "" = feasible
  std::vector<bool> unresolvable;
  bool scored = false;
  std::vector<std::int64_t> raw;
  std::vector<std::int64_t> normalized;
};

// One policy's filter for every candidate and its normalized scores over all of them.
inline PolicyAnswer evaluate(const Policy& policy, ClusterState& state, const PodSpec& pod,
                             const std::vector<std::string>& candidates, bool register_views) {
  PolicyAnswer a;
  std::vector<ViewKey> missing;
  {
    auto reader = state.read();
    PodContext ctx(pod, reader);
    auto run = policy.prepare(ctx);
    std::vector<const NodeRecord*> nodes;
    for (const std::string& c : candidates) {
      Slot s = reader.find_node(c);
      EXPECT_NE(s, kNoSlot) << c;
      if (s == kNoSlot) return a;
      nodes.push_back(&reader.node(s));
      if (policy.filters()) {
        Verdict v = run->filter(reader.node(s), nullptr);
        a.reasons.emplace_back(v.reason);
        a.unresolvable.push_back(v.unresolvable);
      }
    }
    a.raw.assign(nodes.size(), 0);
    a.scored = run->score(nodes, a.raw);
    a.normalized = a.raw;
    if (a.scored) run->normalize(a.normalized);
    missing = run->missing_views();
  }
  if (register_views && !missing.empty()) state.ensure_views(missing);
  return a;
}

}  // namespace berth::extender::test
