// StructuralSchema: what the apiserver does with a CRD's openAPIV3Schema on every write of a
// custom resource - apply `default`s, prune fields the schema does not declare, and validate
// types, enums, bounds, lengths, patterns and required fields. Messages follow the apiserver's
// ("spec.replicas in body should be greater than or equal to 1").
#pragma once

#include <string>
#include <vector>

#include "kube/core/json.h"
#include "sim/apiserver/field_error.h"

namespace berth::sim {

class StructuralSchema {
 public:
  // `schema` is the version's openAPIV3Schema; an absent schema accepts everything.
  explicit StructuralSchema(const kube::json::Value* schema);

  // Fills absent fields that have a `default`, top-down.
  void apply_defaults(kube::json::Value& object, kube::json::Allocator& a) const;
  // Removes undeclared fields (apiVersion, kind and metadata at the root are kept) and returns
  // their paths ("spec.unknownField"), in document order.
  std::vector<std::string> prune(kube::json::Value& object) const;
  FieldErrors validate(const kube::json::Value& object) const;

 private:
  kube::json::Document schema_;
  bool empty_ = true;
};

}  // namespace berth::sim
