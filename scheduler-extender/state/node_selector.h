// v1.NodeSelector (node affinity, PersistentVolume nodeAffinity, StorageClass
// allowedTopologies) as decoded strings, and its evaluation against cached nodes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kube/core/json.h"
#include "scheduler-extender/state/labels.h"
#include "scheduler-extender/state/strings.h"

namespace berth::extender {

struct NodeSelectorRequirementSpec {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist, Gt, Lt
  std::vector<std::string> values;
};

// matchExpressions and matchFields are ANDed. A term with neither selects no node.
struct NodeSelectorTermSpec {
  std::vector<NodeSelectorRequirementSpec> expressions;
  std::vector<NodeSelectorRequirementSpec> fields;
  bool empty() const { return expressions.empty() && fields.empty(); }
};

// Terms are ORed; no terms select no node.
struct NodeSelectorSpec {
  std::vector<NodeSelectorTermSpec> terms;
};

struct PreferredSchedulingTermSpec {
  std::int32_t weight = 0;
  NodeSelectorTermSpec preference;
};

// {matchExpressions, matchFields}; malformed members are skipped (the apiserver validated it).
NodeSelectorTermSpec decode_node_selector_term(const kube::json::Value& term);
// {nodeSelectorTerms: [...]}
NodeSelectorSpec decode_node_selector(const kube::json::Value& selector);
// StorageClass allowedTopologies: [{matchLabelExpressions: [{key, values}]}], each an In.
NodeSelectorSpec decode_topology_selector_terms(const kube::json::Value& terms);

// One term, compiled against the table for one evaluation (no references held). An invalid
// term (In without values, Gt with a non-integer, a field other than metadata.name, an
// unknown operator) matches no node, as kube-scheduler's lazy-error selectors do.
class CompiledNodeTerm {
 public:
  static CompiledNodeTerm lookup(const NodeSelectorTermSpec& term, const StringTable& strings);
  // `strings` resolves label values for Gt/Lt.
  bool matches(std::span<const Label> labels, Id node_name, const StringTable& strings) const;

 private:
  struct Requirement {
    Id key = kNoId;
    enum class Op : std::uint8_t { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt } op = Op::kIn;
    std::vector<Id> values;  // sorted
    std::int64_t number = 0;
  };
  std::vector<Requirement> expressions_;
  std::vector<Requirement> fields_;  // key is metadata.name; values are node names
  bool valid_ = false;
};

class CompiledNodeSelector {
 public:
  static CompiledNodeSelector lookup(const NodeSelectorSpec& selector, const StringTable& strings);
  bool matches(std::span<const Label> labels, Id node_name, const StringTable& strings) const;

 private:
  std::vector<CompiledNodeTerm> terms_;
};

}  // namespace berth::extender
