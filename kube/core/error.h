// Errors as values. An Error carries what a Kubernetes `Status` carries (HTTP code, reason,
// message, details) so API failures, transport failures and local parse failures share one type.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace kube {

// metav1.StatusReason values, plus two local kinds for failures that never reached an apiserver.
enum class Reason {
  kUnknown,
  kBadRequest,
  kUnauthorized,
  kForbidden,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kGone,
  kExpired,
  kInvalid,
  kServerTimeout,
  kTimeout,
  kTooManyRequests,
  kMethodNotAllowed,
  kNotAcceptable,
  kRequestEntityTooLarge,
  kUnsupportedMediaType,
  kInternalError,
  kServiceUnavailable,
  // Local: the request never produced an HTTP response (connect, TLS, reset, deadline).
  kTransport,
  // Local: input could not be parsed or was structurally wrong (JSON, YAML, config).
  kParse,
  // Local: the operation was cancelled (shutdown).
  kCancelled,
};

// "NotFound", "Conflict", ...; the empty string for kUnknown (the apiserver omits the reason then).
std::string_view reason_name(Reason reason);
// The inverse of reason_name; kUnknown for names this table does not know.
Reason reason_from_name(std::string_view name);
// The reason the apiserver pairs with an HTTP status code when a Status has none.
Reason reason_for_code(int http_code);

// One entry of Status.details.causes.
struct Cause {
  std::string reason;   // e.g. "FieldValueRequired"
  std::string message;  // e.g. "Required value"
  std::string field;    // e.g. "spec.containers"
};

struct Error {
  Reason reason = Reason::kUnknown;
  int code = 0;  // HTTP status code; 0 for local errors
  std::string message;
  // Status.details
  std::string name;
  std::string kind;
  std::vector<Cause> causes;
  std::chrono::seconds retry_after{0};

  static Error make(Reason reason, std::string message, int code = 0);
  static Error transport(std::string message) {
    return make(Reason::kTransport, std::move(message));
  }
  static Error parse(std::string message) { return make(Reason::kParse, std::move(message)); }

  bool is(Reason r) const { return reason == r; }
  bool is_not_found() const { return reason == Reason::kNotFound; }
  bool is_already_exists() const { return reason == Reason::kAlreadyExists; }
  bool is_conflict() const { return reason == Reason::kConflict; }
  bool is_invalid() const { return reason == Reason::kInvalid; }
  // A watch or continue token that is too old: HTTP 410, or reason Expired/Gone (the apiserver
  // sends an ERROR watch event with code 410 over an HTTP 200 stream).
  bool is_gone() const {
    return code == 410 || reason == Reason::kGone || reason == Reason::kExpired;
  }
  bool is_too_many_requests() const { return reason == Reason::kTooManyRequests || code == 429; }
  // Worth retrying the same request later: throttling, server timeouts, 5xx, transport.
  bool is_retryable() const;

  // "NotFound: configmaps \"x\" not found" - for logs. Never contains request bodies.
  std::string to_string() const;
};

}  // namespace kube
