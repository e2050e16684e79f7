// FieldError: one validation failure on one field, rendered as the apiserver renders
// field.Error ("spec.replicas: Invalid value: 0: must be greater than or equal to 1").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"

namespace berth::sim {

struct FieldError {
  enum class Type {
    kRequired,
    kInvalid,
    kNotSupported,
    kForbidden,
    kTypeInvalid,
    kDuplicate,
    kTooLong,
    kTooMany,
    kNotFound,
  };
  Type type = Type::kInvalid;
  std::string field{};
  // The bad value as Go prints it (quoted string, bare number, null); unused for kRequired,
  // kForbidden and kTooLong, whose bodies carry no value.
  std::string value{};
  std::string detail{};

  // "FieldValueInvalid", ...
  std::string_view reason() const;
  // "Invalid value: \"x\": detail", "Required value", "Forbidden: detail", ...
  std::string body() const;
  // field + ": " + body()
  std::string to_string() const;

  static FieldError required(std::string field, std::string detail = {});
  static FieldError invalid(std::string field, std::string value, std::string detail);
  static FieldError forbidden(std::string field, std::string detail);
  static FieldError duplicate(std::string field, std::string value);
  // detail lists the supported values: `supported values: "a", "b"`.
  static FieldError not_supported(std::string field, std::string value,
                                  const std::vector<std::string_view>& supported);
  static FieldError type_invalid(std::string field, std::string value, std::string detail);
};

using FieldErrors = std::vector<FieldError>;

// Go's strconv.Quote for the ASCII/UTF-8 text Kubernetes names and values hold.
std::string go_quote(std::string_view s);
// A JSON value printed as Go prints the decoded value with %v/%q in field errors: strings
// quoted, numbers bare, null as "null", objects/arrays compact JSON.
std::string go_value(const kube::json::Value& v);

}  // namespace berth::sim
