// Label and field selectors with the apiserver's syntax and semantics (labels.Parse,
// fields.ParseSelector, metav1.LabelSelector).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"
#include "kube/core/json.h"
#include "kube/core/result.h"

namespace kube {

struct LabelRequirement {
  enum class Op {
    kEquals,
    kNotEquals,
    kIn,
    kNotIn,
    kExists,
    kDoesNotExist,
    kGreaterThan,
    kLessThan
  };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;  // sorted, for kIn/kNotIn; one value for =, !=, >, <
};

// Requirements ANDed. An empty selector matches everything.
class LabelSelector {
 public:
  // String syntax: "a=b,a==b,a!=b,a in (x,y),a notin (x),a,!a,a>1,a<1" (labels.Parse:
  // whitespace around tokens is ignored, "==" is stored as kEquals, keys and values are
  // validated). Errors are kBadRequest (400) carrying exactly the apiserver's message, e.g.
  // "unable to parse requirement: found '', expected: ',' or ')'" for "a in (b".
  static Result<LabelSelector> parse(std::string_view text);
  // metav1.LabelSelector JSON {matchLabels, matchExpressions[{key, operator, values}]}
  // (operators In, NotIn, Exists, DoesNotExist), as LabelSelectorAsSelector: JSON null selects
  // nothing, {} everything. An invalid one is kInvalid (422) with the apiserver's message.
  static Result<LabelSelector> from_json(const json::Value& selector);
  // Matches no object (a null metav1.LabelSelector in places such as PodAffinityTerm).
  static LabelSelector nothing();

  bool matches(const json::Value* labels) const;  // a labels object, or nullptr for none
  bool matches(const Object& object) const { return matches(object.labels()); }
  bool empty() const { return requirements_.empty() && !nothing_; }
  // Canonical string form (the apiserver's: requirements sorted by key).
  std::string to_string() const;
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

 private:
  std::vector<LabelRequirement> requirements_;
  bool nothing_ = false;
};

struct FieldRequirement {
  std::string field;   // "spec.nodeName"
  bool equals = true;  // '=' / '==' vs '!='
  std::string value;
};

// Requirements ANDed; values are compared as strings. A missing field has the value "", so
// "spec.nodeName=" selects unscheduled pods as on a real apiserver.
class FieldSelector {
 public:
  // Errors are kBadRequest with the apiserver's message (e.g. "invalid selector: ...").
  static Result<FieldSelector> parse(std::string_view text);
  // Resolves each field as a dotted JSON path in the object ("metadata.name", "status.phase").
  // Booleans and numbers compare by their JSON text ("spec.unschedulable=true").
  bool matches(const json::Value& object) const;
  bool matches(const Object& object) const { return matches(object.json()); }
  bool empty() const { return requirements_.empty(); }
  std::string to_string() const;
  const std::vector<FieldRequirement>& requirements() const { return requirements_; }
  // kBadRequest "field label not supported: <field>" for the first requirement (in canonical
  // order) whose field is not in `supported`, as the apiserver answers per resource.
  Status check_supported(std::span<const std::string_view> supported) const;

 private:
  std::vector<FieldRequirement> requirements_;
};

// The apiserver's validation messages for a label key (IsQualifiedName: optional DNS-1123
// subdomain prefix and '/', then a name of at most 63 characters) and a label value; empty when
// valid. Callers join them with "; " as the apiserver does.
std::vector<std::string> qualified_name_errors(std::string_view key);
std::vector<std::string> label_value_errors(std::string_view value);

}  // namespace kube
