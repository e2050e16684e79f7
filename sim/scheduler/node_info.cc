#include "sim/scheduler/node_info.h"

#include <algorithm>

#include "kube/api/quantity.h"
#include "kube/core/strings.h"

namespace berth::sim::scheduling {

namespace json = kube::json;
using json::Value;

namespace {

constexpr std::int64_t kDefaultMilliCpu = 100;              // non-zero scoring default
constexpr std::int64_t kDefaultMemory = 200 * 1024 * 1024;  // 200Mi
constexpr std::int64_t kMinFeasibleNodesToFind = 100;
constexpr std::int64_t kMinFeasibleNodesPercentage = 5;
constexpr std::int64_t kBasePercentageOfNodesToScore = 50;

std::int64_t quantity(const Value& v, bool milli) {
  auto q = kube::Quantity::parse(json::as_string(v));
  if (!q) return 0;
  return milli ? q->milli() : q->value();
}

// Requests of one resource list ("requests" of a container, or "overhead").
Resources resource_list(const Value* list) {
  Resources r;
  if (list == nullptr || !list->IsObject()) return r;
  for (const auto& m : list->GetObject()) {
    std::string_view name = json::as_string(m.name);
    if (name == "cpu") {
      r.milli_cpu = quantity(m.value, true);
    } else if (name == "memory") {
      r.memory = quantity(m.value, false);
    } else if (name == "ephemeral-storage") {
      r.ephemeral_storage = quantity(m.value, false);
    } else if (name == "pods") {
      r.pods = quantity(m.value, false);
    } else {
      r.scalar.emplace_back(std::string(name), quantity(m.value, false));
    }
  }
  return r;
}

void set_max(Resources& into, const Resources& other) {
  into.milli_cpu = std::max(into.milli_cpu, other.milli_cpu);
  into.memory = std::max(into.memory, other.memory);
  into.ephemeral_storage = std::max(into.ephemeral_storage, other.ephemeral_storage);
  for (const auto& [name, v] : other.scalar) {
    auto it = std::find_if(into.scalar.begin(), into.scalar.end(),
                           [&](const auto& s) { return s.first == name; });
    if (it == into.scalar.end()) {
      into.scalar.emplace_back(name, v);
    } else {
      it->second = std::max(it->second, v);
    }
  }
}

std::vector<SelectorRequirement> requirements(const Value* list) {
  std::vector<SelectorRequirement> out;
  if (list == nullptr || !list->IsArray()) return out;
  for (const auto& r : list->GetArray()) {
    SelectorRequirement req;
    req.key = std::string(json::get_string(r, "key"));
    req.op = std::string(json::get_string(r, "operator"));
    if (const Value* values = json::find(r, "values"); values != nullptr && values->IsArray()) {
      for (const auto& v : values->GetArray())
        req.values.emplace_back(json::as_string(v));
    }
    out.push_back(std::move(req));
  }
  return out;
}

bool requirement_matches(const SelectorRequirement& r, const std::string* value) {
  auto in = [&] {
    return value != nullptr &&
           std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
  };
  if (r.op == "In") return in();
  if (r.op == "NotIn") return !in();
  if (r.op == "Exists") return value != nullptr;
  if (r.op == "DoesNotExist") return value == nullptr;
  if (r.op == "Gt" || r.op == "Lt") {
    if (value == nullptr || r.values.size() != 1) return false;
    auto have = kube::parse_int(*value);
    auto want = kube::parse_int(r.values.front());
    if (!have || !want) return false;
    return r.op == "Gt" ? *have > *want : *have < *want;
  }
  return false;
}

bool term_matches(const NodeSelectorTerm& term, const NodeInfo& node) {
  // An empty term selects nothing.
  if (term.match_expressions.empty() && term.match_fields.empty()) return false;
  for (const auto& r : term.match_expressions) {
    auto it = node.labels.find(r.key);
    if (!requirement_matches(r, it == node.labels.end() ? nullptr : &it->second)) return false;
  }
  for (const auto& r : term.match_fields) {
    if (r.key != "metadata.name" || !requirement_matches(r, &node.name)) return false;
  }
  return true;
}

std::int64_t least_allocated(std::int64_t requested, std::int64_t allocatable) {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return (allocatable - requested) * 100 / allocatable;
}

}  // namespace

void Resources::add(const Resources& o) {
  milli_cpu += o.milli_cpu;
  memory += o.memory;
  ephemeral_storage += o.ephemeral_storage;
  pods += o.pods;
  for (const auto& [name, v] : o.scalar) {
    auto it =
        std::find_if(scalar.begin(), scalar.end(), [&](const auto& s) { return s.first == name; });
    if (it == scalar.end()) {
      scalar.emplace_back(name, v);
    } else {
      it->second += v;
    }
  }
}

void Resources::subtract(const Resources& o) {
  milli_cpu -= o.milli_cpu;
  memory -= o.memory;
  ephemeral_storage -= o.ephemeral_storage;
  pods -= o.pods;
  for (const auto& [name, v] : o.scalar) {
    auto it =
        std::find_if(scalar.begin(), scalar.end(), [&](const auto& s) { return s.first == name; });
    if (it != scalar.end()) it->second -= v;
  }
}

std::int64_t Resources::scalar_value(std::string_view name) const {
  for (const auto& [n, v] : scalar) {
    if (n == name) return v;
  }
  return 0;
}

void NodeInfo::add_pod(const std::string& uid, const PodInfo& pod) {
  if (pods.count(uid) != 0) return;
  Accounted a{pod.requests, pod.non_zero_cpu, pod.non_zero_memory, pod.priority};
  requested.add(a.requests);
  non_zero_cpu += a.non_zero_cpu;
  non_zero_memory += a.non_zero_memory;
  pods.emplace(uid, std::move(a));
}

void NodeInfo::remove_pod(const std::string& uid) {
  auto it = pods.find(uid);
  if (it == pods.end()) return;
  requested.subtract(it->second.requests);
  non_zero_cpu -= it->second.non_zero_cpu;
  non_zero_memory -= it->second.non_zero_memory;
  pods.erase(it);
}

bool NodeInfo::has_pod_below(std::int64_t priority) const {
  return std::any_of(pods.begin(), pods.end(),
                     [&](const auto& entry) { return entry.second.priority < priority; });
}

PodInfo parse_pod(const kube::Object& pod) {
  PodInfo p;
  p.object = pod;
  p.key = pod.key();
  p.uid = std::string(pod.uid());
  const Value* spec = pod.spec();
  if (spec == nullptr) return p;
  p.scheduler_name = std::string(json::get_string(*spec, "schedulerName", "default-scheduler"));
  p.priority = json::get_int(*spec, "priority", 0);
  p.preempt_never = json::get_string(*spec, "preemptionPolicy") == "Never";

  Resources containers;
  std::int64_t nz_cpu = 0, nz_mem = 0;
  if (const Value* list = json::find(*spec, "containers"); list != nullptr && list->IsArray()) {
    for (const auto& c : list->GetArray()) {
      const Value* requests = json::find_path(c, {"resources", "requests"});
      Resources r = resource_list(requests);
      containers.add(r);
      bool has_cpu = requests != nullptr && json::find(*requests, "cpu") != nullptr;
      bool has_mem = requests != nullptr && json::find(*requests, "memory") != nullptr;
      nz_cpu += has_cpu ? r.milli_cpu : kDefaultMilliCpu;
      nz_mem += has_mem ? r.memory : kDefaultMemory;
    }
  }
  if (const Value* list = json::find(*spec, "initContainers"); list != nullptr && list->IsArray()) {
    for (const auto& c : list->GetArray()) {
      const Value* requests = json::find_path(c, {"resources", "requests"});
      Resources r = resource_list(requests);
      set_max(containers, r);
      bool has_cpu = requests != nullptr && json::find(*requests, "cpu") != nullptr;
      bool has_mem = requests != nullptr && json::find(*requests, "memory") != nullptr;
      nz_cpu = std::max(nz_cpu, has_cpu ? r.milli_cpu : kDefaultMilliCpu);
      nz_mem = std::max(nz_mem, has_mem ? r.memory : kDefaultMemory);
    }
  }
  Resources overhead = resource_list(json::find(*spec, "overhead"));
  containers.add(overhead);
  containers.pods = 1;
  p.requests = std::move(containers);
  p.non_zero_cpu = nz_cpu + overhead.milli_cpu;
  p.non_zero_memory = nz_mem + overhead.memory;

  if (const Value* sel = json::find(*spec, "nodeSelector"); sel != nullptr && sel->IsObject()) {
    for (const auto& m : sel->GetObject())
      p.node_selector.emplace_back(json::as_string(m.name), json::as_string(m.value));
  }
  if (const Value* terms = json::find_path(
          *spec, {"affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution",
                  "nodeSelectorTerms"});
      terms != nullptr && terms->IsArray()) {
    for (const auto& t : terms->GetArray()) {
      NodeSelectorTerm term;
      term.match_expressions = requirements(json::find(t, "matchExpressions"));
      term.match_fields = requirements(json::find(t, "matchFields"));
      p.required_terms.push_back(std::move(term));
    }
  }
  if (const Value* list = json::find(*spec, "tolerations"); list != nullptr && list->IsArray()) {
    for (const auto& t : list->GetArray()) {
      Toleration tol;
      tol.key = std::string(json::get_string(t, "key"));
      tol.exists = json::get_string(t, "operator") == "Exists";
      tol.value = std::string(json::get_string(t, "value"));
      tol.effect = std::string(json::get_string(t, "effect"));
      p.tolerations.push_back(std::move(tol));
    }
  }
  return p;
}

NodeInfo parse_node(const kube::Object& node) {
  NodeInfo n;
  n.object = node;
  n.name = std::string(node.name());
  if (const Value* labels = node.labels(); labels != nullptr && labels->IsObject()) {
    for (const auto& m : labels->GetObject())
      n.labels.emplace(json::as_string(m.name), json::as_string(m.value));
  }
  auto label = [&](const char* key) {
    auto it = n.labels.find(key);
    return it == n.labels.end() ? std::string() : it->second;
  };
  n.zone = label("topology.kubernetes.io/region") + ":" + label("topology.kubernetes.io/zone");
  if (const Value* spec = node.spec()) {
    n.unschedulable = json::get_bool(*spec, "unschedulable");
    if (const Value* taints = json::find(*spec, "taints"); taints != nullptr && taints->IsArray()) {
      for (const auto& t : taints->GetArray()) {
        n.taints.push_back({std::string(json::get_string(t, "key")),
                            std::string(json::get_string(t, "value")),
                            std::string(json::get_string(t, "effect"))});
      }
    }
  }
  if (const Value* status = node.status()) {
    const Value* allocatable = json::find(*status, "allocatable");
    if (allocatable == nullptr) allocatable = json::find(*status, "capacity");
    n.allocatable = resource_list(allocatable);
    if (const Value* conditions = json::find(*status, "conditions");
        conditions != nullptr && conditions->IsArray()) {
      for (const auto& c : conditions->GetArray()) {
        if (json::get_string(c, "type") == "Ready") {
          n.ready = json::get_string(c, "status") == "True";
        }
      }
    }
  }
  return n;
}

bool scheduling_relevant_change(const NodeInfo& a, const NodeInfo& b) {
  auto same_resources = [](const Resources& x, const Resources& y) {
    return x.milli_cpu == y.milli_cpu && x.memory == y.memory &&
           x.ephemeral_storage == y.ephemeral_storage && x.pods == y.pods && x.scalar == y.scalar;
  };
  auto same_taints = [](const std::vector<Taint>& x, const std::vector<Taint>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i].key != y[i].key || x[i].value != y[i].value || x[i].effect != y[i].effect) {
        return false;
      }
    }
    return true;
  };
  return a.unschedulable != b.unschedulable || a.ready != b.ready || a.labels != b.labels ||
         !same_taints(a.taints, b.taints) || !same_resources(a.allocatable, b.allocatable);
}

bool tolerates(const std::vector<Toleration>& tolerations, const Taint& taint) {
  for (const auto& t : tolerations) {
    if (!t.effect.empty() && t.effect != taint.effect) continue;
    if (t.key.empty() && t.exists) return true;  // tolerates everything
    if (t.key != taint.key) continue;
    if (t.exists || t.value == taint.value) return true;
  }
  return false;
}

bool matches_node_affinity(const PodInfo& pod, const NodeInfo& node) {
  for (const auto& [k, v] : pod.node_selector) {
    auto it = node.labels.find(k);
    if (it == node.labels.end() || it->second != v) return false;
  }
  if (pod.required_terms.empty()) return true;
  return std::any_of(pod.required_terms.begin(), pod.required_terms.end(),
                     [&](const NodeSelectorTerm& t) { return term_matches(t, node); });
}

FilterStatus filter(const PodInfo& pod, const NodeInfo& node) {
  if (node.unschedulable &&
      !tolerates(pod.tolerations, {"node.kubernetes.io/unschedulable", "", "NoSchedule"})) {
    return {{"node(s) were unschedulable"}, true};
  }
  auto untolerated = [&](const Taint& t) {
    if (t.effect != "NoSchedule" && t.effect != "NoExecute") return false;
    return !tolerates(pod.tolerations, t);
  };
  if (!node.ready) {
    Taint not_ready{"node.kubernetes.io/not-ready", "", "NoSchedule"};
    if (untolerated(not_ready)) {
      return {{"node(s) had untolerated taint {" + not_ready.key + ": }"}, true};
    }
  }
  for (const auto& t : node.taints) {
    if (untolerated(t))
      return {{"node(s) had untolerated taint {" + t.key + ": " + t.value + "}"}, true};
  }
  if (!matches_node_affinity(pod, node))
    return {{"node(s) didn't match Pod's node affinity/selector"}, true};

  std::vector<std::string> reasons;
  if (node.requested.pods + 1 > node.allocatable.pods) reasons.emplace_back("Too many pods");
  const Resources& r = pod.requests;
  const Resources& free_cap = node.allocatable;
  if (r.milli_cpu > 0 && r.milli_cpu > free_cap.milli_cpu - node.requested.milli_cpu) {
    reasons.emplace_back("Insufficient cpu");
  }
  if (r.memory > 0 && r.memory > free_cap.memory - node.requested.memory) {
    reasons.emplace_back("Insufficient memory");
  }
  if (r.ephemeral_storage > 0 &&
      r.ephemeral_storage > free_cap.ephemeral_storage - node.requested.ephemeral_storage) {
    reasons.emplace_back("Insufficient ephemeral-storage");
  }
  for (const auto& [name, v] : r.scalar) {
    if (v <= 0) continue;
    if (v > free_cap.scalar_value(name) - node.requested.scalar_value(name)) {
      reasons.push_back("Insufficient " + name);
    }
  }
  return {std::move(reasons), false};
}

std::int64_t least_allocated_score(const PodInfo& pod, const NodeInfo& node) {
  std::int64_t cpu =
      least_allocated(node.non_zero_cpu + pod.non_zero_cpu, node.allocatable.milli_cpu);
  std::int64_t memory =
      least_allocated(node.non_zero_memory + pod.non_zero_memory, node.allocatable.memory);
  return (cpu + memory) / 2;
}

std::int64_t num_feasible_nodes_to_find(std::int64_t all_nodes, std::int64_t percentage) {
  if (all_nodes < kMinFeasibleNodesToFind || percentage >= 100) return all_nodes;
  std::int64_t adaptive = percentage;
  if (adaptive <= 0) {
    adaptive = kBasePercentageOfNodesToScore - all_nodes / 125;
    if (adaptive < kMinFeasibleNodesPercentage) adaptive = kMinFeasibleNodesPercentage;
  }
  std::int64_t n = all_nodes * adaptive / 100;
  return n < kMinFeasibleNodesToFind ? kMinFeasibleNodesToFind : n;
}

std::string fit_error_message(std::int64_t all_nodes,
                              const std::unordered_map<std::string, std::int64_t>& reasons) {
  std::vector<std::string> parts;
  parts.reserve(reasons.size());
  for (const auto& [reason, count] : reasons)
    parts.push_back(std::to_string(count) + " " + reason);
  std::sort(parts.begin(), parts.end());
  return "0/" + std::to_string(all_nodes) + " nodes are available: " + kube::join(parts, ", ") +
         ".";
}

std::string preemption_suffix(bool preempt_never, std::int64_t victimless,
                              std::int64_t unresolvable) {
  if (preempt_never) return " preemption: not eligible due to preemptionPolicy=Never..";
  std::unordered_map<std::string, std::int64_t> outcome;
  if (victimless > 0) outcome.emplace("No preemption victims found for incoming pod", victimless);
  if (unresolvable > 0) outcome.emplace("Preemption is not helpful for scheduling", unresolvable);
  return " preemption: " + fit_error_message(victimless + unresolvable, outcome) + ".";
}

}  // namespace berth::sim::scheduling
