// Field errors in the apiserver's wording ("spec.selector: Required value",
// "spec.x: Invalid value: 120: must be between 0 and 100"), so a denial of a Berth resource
// reads like any other validation failure kubectl shows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controllers/rollout/spec.h"
#include "kube/core/json.h"

namespace berth::webhooks {

// The same field errors the rollout controller reports, so both speak one language.
using FieldError = rollout::FieldError;

class FieldErrors {
 public:
  void required(std::string field, std::string detail = {});
  void invalid(std::string field, const kube::json::Value& value, std::string detail);
  void forbidden(std::string field, std::string detail);
  void add(FieldError error) { errors_.push_back(std::move(error)); }

  bool empty() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  // `<Kind>.<group> "<name>" is invalid: <e1>` or `... is invalid: [<e1>, <e2>]`.
  std::string message(std::string_view kind, std::string_view group, std::string_view name) const;

 private:
  std::vector<FieldError> errors_;
};

}  // namespace berth::webhooks
