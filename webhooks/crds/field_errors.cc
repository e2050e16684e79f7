#include "webhooks/crds/field_errors.h"

namespace berth::webhooks {

void FieldErrors::required(std::string field, std::string detail) {
  errors_.push_back({FieldError::Type::kRequired, std::move(field), {}, std::move(detail)});
}

void FieldErrors::invalid(std::string field, const kube::json::Value& value, std::string detail) {
  std::string text = kube::json::dump(value);
  if (text.size() > 64) text = text.substr(0, 61) + "...";
  errors_.push_back(
      {FieldError::Type::kInvalid, std::move(field), std::move(text), std::move(detail)});
}

void FieldErrors::forbidden(std::string field, std::string detail) {
  errors_.push_back({FieldError::Type::kForbidden, std::move(field), {}, std::move(detail)});
}

std::string FieldErrors::message(std::string_view kind, std::string_view group,
                                 std::string_view name) const {
  std::string out =
      std::string(kind) + "." + std::string(group) + " \"" + std::string(name) + "\" is invalid: ";
  if (errors_.size() == 1) return out + errors_.front().to_string();
  out += "[";
  for (std::size_t i = 0; i < errors_.size(); ++i) {
    out += (i == 0 ? "" : ", ") + errors_[i].to_string();
  }
  return out + "]";
}

}  // namespace berth::webhooks
