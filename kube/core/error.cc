#include "kube/core/error.h"

#include <array>
#include <utility>

namespace kube {
namespace {

constexpr std::array<std::pair<Reason, std::string_view>, 22> kNames{{
    {Reason::kUnknown, ""},
    {Reason::kBadRequest, "BadRequest"},
    {Reason::kUnauthorized, "Unauthorized"},
    {Reason::kForbidden, "Forbidden"},
    {Reason::kNotFound, "NotFound"},
    {Reason::kAlreadyExists, "AlreadyExists"},
    {Reason::kConflict, "Conflict"},
    {Reason::kGone, "Gone"},
    {Reason::kExpired, "Expired"},
    {Reason::kInvalid, "Invalid"},
    {Reason::kServerTimeout, "ServerTimeout"},
    {Reason::kTimeout, "Timeout"},
    {Reason::kTooManyRequests, "TooManyRequests"},
    {Reason::kMethodNotAllowed, "MethodNotAllowed"},
    {Reason::kNotAcceptable, "NotAcceptable"},
    {Reason::kRequestEntityTooLarge, "RequestEntityTooLarge"},
    {Reason::kUnsupportedMediaType, "UnsupportedMediaType"},
    {Reason::kInternalError, "InternalError"},
    {Reason::kServiceUnavailable, "ServiceUnavailable"},
    {Reason::kTransport, "Transport"},
    {Reason::kParse, "Parse"},
    {Reason::kCancelled, "Cancelled"},
}};

}  // namespace

std::string_view reason_name(Reason reason) {
  for (const auto& [r, name] : kNames) {
    if (r == reason) return name;
  }
  return "";
}

Reason reason_from_name(std::string_view name) {
  if (name.empty()) return Reason::kUnknown;
  for (const auto& [r, n] : kNames) {
    if (n == name) return r;
  }
  return Reason::kUnknown;
}

Reason reason_for_code(int http_code) {
  switch (http_code) {
    case 400:
      return Reason::kBadRequest;
    case 401:
      return Reason::kUnauthorized;
    case 403:
      return Reason::kForbidden;
    case 404:
      return Reason::kNotFound;
    case 405:
      return Reason::kMethodNotAllowed;
    case 406:
      return Reason::kNotAcceptable;
    case 409:
      return Reason::kConflict;
    case 410:
      return Reason::kGone;
    case 413:
      return Reason::kRequestEntityTooLarge;
    case 415:
      return Reason::kUnsupportedMediaType;
    case 422:
      return Reason::kInvalid;
    case 429:
      return Reason::kTooManyRequests;
    case 500:
      return Reason::kInternalError;
    case 503:
      return Reason::kServiceUnavailable;
    case 504:
      return Reason::kTimeout;
    default:
      return Reason::kUnknown;
  }
}

Error Error::make(Reason reason, std::string message, int code) {
  Error e;
  e.reason = reason;
  e.message = std::move(message);
  e.code = code;
  return e;
}

bool Error::is_retryable() const {
  switch (reason) {
    case Reason::kTooManyRequests:
    case Reason::kServerTimeout:
    case Reason::kTimeout:
    case Reason::kServiceUnavailable:
    case Reason::kInternalError:
    case Reason::kTransport:
      return true;
    default:
      return code == 429 || code >= 500;
  }
}

std::string Error::to_string() const {
  std::string out;
  std::string_view name = reason_name(reason);
  if (!name.empty()) {
    out.append(name);
  } else if (code != 0) {
    out.append("HTTP ").append(std::to_string(code));
  } else {
    out.append("Error");
  }
  if (!message.empty()) out.append(": ").append(message);
  return out;
}

}  // namespace kube
