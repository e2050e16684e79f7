#include "scheduler-extender/state/node_selector.h"

#include <algorithm>

#include "kube/core/strings.h"

namespace berth::extender {

namespace json = kube::json;

namespace {

std::vector<NodeSelectorRequirementSpec> decode_requirements(const json::Value* list) {
  std::vector<NodeSelectorRequirementSpec> out;
  if (list == nullptr || !list->IsArray()) return out;
  for (const auto& r : list->GetArray()) {
    if (!r.IsObject()) continue;
    NodeSelectorRequirementSpec req;
    req.key = std::string(json::get_string(r, "key"));
    req.op = std::string(json::get_string(r, "operator"));
    if (const json::Value* values = json::find(r, "values"); values && values->IsArray()) {
      for (const auto& v : values->GetArray()) {
        if (v.IsString()) req.values.emplace_back(json::as_string(v));
      }
    }
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace

NodeSelectorTermSpec decode_node_selector_term(const json::Value& term) {
  NodeSelectorTermSpec out;
  if (!term.IsObject()) return out;
  out.expressions = decode_requirements(json::find(term, "matchExpressions"));
  out.fields = decode_requirements(json::find(term, "matchFields"));
  return out;
}

NodeSelectorSpec decode_node_selector(const json::Value& selector) {
  NodeSelectorSpec out;
  if (!selector.IsObject()) return out;
  const json::Value* terms = json::find(selector, "nodeSelectorTerms");
  if (terms == nullptr || !terms->IsArray()) return out;
  for (const auto& t : terms->GetArray())
    out.terms.push_back(decode_node_selector_term(t));
  return out;
}

NodeSelectorSpec decode_topology_selector_terms(const json::Value& terms) {
  NodeSelectorSpec out;
  if (!terms.IsArray()) return out;
  for (const auto& t : terms.GetArray()) {
    NodeSelectorTermSpec term;
    for (auto& req : decode_requirements(json::find(t, "matchLabelExpressions"))) {
      req.op = "In";
      term.expressions.push_back(std::move(req));
    }
    out.terms.push_back(std::move(term));
  }
  return out;
}

CompiledNodeTerm CompiledNodeTerm::lookup(const NodeSelectorTermSpec& term,
                                          const StringTable& strings) {
  using Op = Requirement::Op;
  CompiledNodeTerm out;
  if (term.empty()) return out;
  auto compile = [&](const NodeSelectorRequirementSpec& spec, bool field,
                     std::vector<Requirement>& into) {
    Requirement r;
    if (field && spec.key != "metadata.name") return false;
    r.key = field ? kNoId : strings.find(spec.key);
    const std::string& op = spec.op;
    std::size_t n = spec.values.size();
    if (op == "In" || op == "NotIn") {
      if (field ? n != 1 : n == 0) return false;
      r.op = op == "In" ? Op::kIn : Op::kNotIn;
    } else if (!field && (op == "Exists" || op == "DoesNotExist")) {
      if (n != 0) return false;
      r.op = op == "Exists" ? Op::kExists : Op::kDoesNotExist;
    } else if (!field && (op == "Gt" || op == "Lt")) {
      auto number = n == 1 ? kube::parse_int(spec.values[0]) : std::nullopt;
      if (!number) return false;
      r.op = op == "Gt" ? Op::kGt : Op::kLt;
      r.number = *number;
    } else {
      return false;
    }
    if (r.op == Op::kIn || r.op == Op::kNotIn) {
      for (const std::string& v : spec.values)
        r.values.push_back(strings.find(v));
      std::sort(r.values.begin(), r.values.end());
    }
    into.push_back(std::move(r));
    return true;
  };
  for (const auto& e : term.expressions) {
    if (!compile(e, false, out.expressions_)) return CompiledNodeTerm{};
  }
  for (const auto& f : term.fields) {
    if (!compile(f, true, out.fields_)) return CompiledNodeTerm{};
  }
  out.valid_ = true;
  return out;
}

bool CompiledNodeTerm::matches(std::span<const Label> labels, Id node_name,
                               const StringTable& strings) const {
  using Op = Requirement::Op;
  if (!valid_) return false;
  auto in = [](const Requirement& r, Id v) {
    return v != kNoId && std::binary_search(r.values.begin(), r.values.end(), v);
  };
  for (const Requirement& r : expressions_) {
    Id value = r.key == kNoId ? kNoId : label_value(labels, r.key);
    bool ok = false;
    switch (r.op) {
      case Op::kIn:
        ok = in(r, value);
        break;
      case Op::kNotIn:
        ok = !in(r, value);
        break;
      case Op::kExists:
        ok = value != kNoId;
        break;
      case Op::kDoesNotExist:
        ok = value == kNoId;
        break;
      case Op::kGt:
      case Op::kLt: {
        if (value == kNoId) break;
        auto n = kube::parse_int(strings.str(value));
        ok = n && (r.op == Op::kGt ? *n > r.number : *n < r.number);
        break;
      }
    }
    if (!ok) return false;
  }
  for (const Requirement& f : fields_) {
    bool hit = in(f, node_name);
    if (f.op == Op::kIn ? !hit : hit) return false;
  }
  return true;
}

CompiledNodeSelector CompiledNodeSelector::lookup(const NodeSelectorSpec& selector,
                                                  const StringTable& strings) {
  CompiledNodeSelector out;
  out.terms_.reserve(selector.terms.size());
  for (const auto& t : selector.terms)
    out.terms_.push_back(CompiledNodeTerm::lookup(t, strings));
  return out;
}

bool CompiledNodeSelector::matches(std::span<const Label> labels, Id node_name,
                                   const StringTable& strings) const {
  return std::any_of(terms_.begin(), terms_.end(), [&](const CompiledNodeTerm& t) {
    return t.matches(labels, node_name, strings);
  });
}

}  // namespace berth::extender
