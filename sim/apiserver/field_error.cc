#include "sim/apiserver/field_error.h"

#include <cstdio>

namespace berth::sim {

std::string_view FieldError::reason() const {
  switch (type) {
    case Type::kRequired:
      return "FieldValueRequired";
    case Type::kInvalid:
      return "FieldValueInvalid";
    case Type::kNotSupported:
      return "FieldValueNotSupported";
    case Type::kForbidden:
      return "FieldValueForbidden";
    case Type::kTypeInvalid:
      return "FieldValueTypeInvalid";
    case Type::kDuplicate:
      return "FieldValueDuplicate";
    case Type::kTooLong:
      return "FieldValueTooLong";
    case Type::kTooMany:
      return "FieldValueTooMany";
    case Type::kNotFound:
      return "FieldValueNotFound";
  }
  return "FieldValueInvalid";
}

std::string FieldError::body() const {
  std::string s;
  switch (type) {
    case Type::kRequired:
      s = "Required value";
      break;
    case Type::kForbidden:
      s = "Forbidden";
      break;
    case Type::kTooLong:
      s = "Too long";
      break;
    case Type::kNotSupported:
      s = "Unsupported value: " + value;
      break;
    case Type::kDuplicate:
      s = "Duplicate value: " + value;
      break;
    case Type::kNotFound:
      s = "Not found: " + value;
      break;
    case Type::kTooMany:
      s = "Too many: " + value;
      break;
    case Type::kInvalid:
    case Type::kTypeInvalid:
      s = "Invalid value: " + value;
      break;
  }
  if (!detail.empty()) s.append(": ").append(detail);
  return s;
}

std::string FieldError::to_string() const {
  return field + ": " + body();
}

FieldError FieldError::required(std::string field, std::string detail) {
  return {Type::kRequired, std::move(field), {}, std::move(detail)};
}

FieldError FieldError::invalid(std::string field, std::string value, std::string detail) {
  return {Type::kInvalid, std::move(field), std::move(value), std::move(detail)};
}

FieldError FieldError::forbidden(std::string field, std::string detail) {
  return {Type::kForbidden, std::move(field), {}, std::move(detail)};
}

FieldError FieldError::duplicate(std::string field, std::string value) {
  return {Type::kDuplicate, std::move(field), std::move(value), {}};
}

FieldError FieldError::not_supported(std::string field, std::string value,
                                     const std::vector<std::string_view>& supported) {
  std::string detail;
  if (!supported.empty()) {
    detail = "supported values: ";
    for (std::size_t i = 0; i < supported.size(); ++i) {
      if (i > 0) detail.append(", ");
      detail.append(go_quote(supported[i]));
    }
  }
  return {Type::kNotSupported, std::move(field), std::move(value), std::move(detail)};
}

FieldError FieldError::type_invalid(std::string field, std::string value, std::string detail) {
  return {Type::kTypeInvalid, std::move(field), std::move(value), std::move(detail)};
}

std::string go_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out.append("\\\"");
        continue;
      case '\\':
        out.append("\\\\");
        continue;
      case '\a':
        out.append("\\a");
        continue;
      case '\b':
        out.append("\\b");
        continue;
      case '\f':
        out.append("\\f");
        continue;
      case '\n':
        out.append("\\n");
        continue;
      case '\r':
        out.append("\\r");
        continue;
      case '\t':
        out.append("\\t");
        continue;
      case '\v':
        out.append("\\v");
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out.append(buf);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

std::string go_value(const kube::json::Value& v) {
  if (v.IsString()) return go_quote(kube::json::as_string(v));
  if (v.IsNull()) return "null";
  return kube::json::dump(v);
}

}  // namespace berth::sim
