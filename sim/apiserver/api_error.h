// ApiError: a failed API request as the apiserver reports it - a metav1.Status with Failure,
// reason, message and details - and ApiResult<T>, the value-or-ApiError every sim operation
// returns. kube::Error converts implicitly, so kube/ helpers can be used with KUBE_RETURN_IF_ERROR.
//
// The constructors below produce the exact messages of kube-apiserver v1.26 (see
// ../shared/fixtures/k8s-1.26/errors); handlers never format Status messages themselves.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "kube/core/error.h"
#include "kube/core/result.h"
#include "sim/apiserver/field_error.h"

namespace berth::sim {

struct StatusCause {
  std::string reason{};
  std::string message{};
  std::string field{};
};

// metav1.StatusDetails. An engaged but empty Details renders as "details":{} (the apiserver
// does that for unknown resources and 405s); a disengaged one omits the key.
struct StatusDetails {
  std::string name{};
  std::string group{};
  std::string kind{};
  std::string uid{};
  std::vector<StatusCause> causes{};
  int retry_after_seconds = 0;
};

struct ApiError {
  int code = 500;
  std::string reason{};  // "NotFound", ...; empty omits the key (webhook denials do that)
  std::string message{};
  std::optional<StatusDetails> details{};
  // Status.metadata.continue (410 for an expired continue token carries a replacement).
  std::string continue_token{};
  // Sent as the Retry-After header when > 0.
  int retry_after_header = 0;
  // Sent as Warning headers: what admission webhooks said before one of them rejected.
  std::vector<std::string> warnings{};

  ApiError() = default;
  ApiError(int c, std::string r, std::string m)
      : code(c), reason(std::move(r)), message(std::move(m)) {}
  ApiError(const kube::Error& e);  // NOLINT: implicit by design, see header comment

  // Compact metav1.Status JSON with a trailing newline, as the apiserver writes it.
  std::string to_json() const;
};

// Grammar of the messages: `resource` is the plural with its group ("deployments.apps"), as in
// `deployments.apps "web" not found`; `details_kind` is what details.kind holds.
struct GroupResource {
  std::string group{};
  std::string resource{};  // plural
  std::string to_string() const { return group.empty() ? resource : resource + "." + group; }
};

namespace errors {

ApiError not_found(const GroupResource& gr, std::string_view name);
ApiError already_exists(const GroupResource& gr, std::string_view name);
// Stale resourceVersion on update/patch.
ApiError conflict_modified(const GroupResource& gr, std::string_view name);
// Generic 409 with "Operation cannot be fulfilled on <qualified> \"<name>\": <why>".
ApiError conflict(const GroupResource& gr, std::string_view name, std::string_view why);
// DELETE preconditions; these name the Kind, not the resource (fixture wording).
ApiError precondition_uid(std::string_view kind, std::string_view name, std::string_view want,
                          std::string_view have);
ApiError precondition_resource_version(std::string_view kind, std::string_view name,
                                       std::string_view want, std::string_view have);
// 422 with one cause per field error; `kind` is the Kind ("Pod"), `group` its API group.
ApiError invalid(std::string_view kind, std::string_view group, std::string_view name,
                 const std::vector<FieldError>& field_errors);
ApiError bad_request(std::string message);
ApiError forbidden(const GroupResource& gr, std::string_view name, std::string_view why,
                   std::vector<StatusCause> causes = {});
ApiError method_not_allowed();
// Unknown resource or subresource under a served group/version.
ApiError resource_not_found();
ApiError unsupported_media_type(std::string message);
// The fixed "415: Unsupported Media Type" of PATCH with a non-patch content type.
ApiError unsupported_patch_type();
// All JSON-patch application failures share this 422.
ApiError json_patch_failed();
ApiError expired(std::string message);
ApiError gone_resource_version();
ApiError too_large_resource_version(std::int64_t requested, std::int64_t current);
ApiError internal(std::string message);
ApiError request_entity_too_large(std::size_t limit);
ApiError not_acceptable(std::string message);
ApiError too_many_requests(std::string message, std::vector<StatusCause> causes);

}  // namespace errors

// Value-or-ApiError; same surface as kube::Result so KUBE_* macros work with it.
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}                  // NOLINT
  ApiResult(ApiError error) : v_(std::in_place_index<1>, std::move(error)) {}           // NOLINT
  ApiResult(const kube::Error& error) : v_(std::in_place_index<1>, ApiError(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const ApiError& error() const& { return std::get<1>(v_); }
  ApiError&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, ApiError> v_;
};

template <>
class [[nodiscard]] ApiResult<void> {
 public:
  ApiResult() = default;
  ApiResult(ApiError error) : error_(std::move(error)) {}           // NOLINT
  ApiResult(const kube::Error& error) : error_(ApiError(error)) {}  // NOLINT
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const ApiError& error() const& { return *error_; }
  ApiError&& error() && { return std::move(*error_); }

 private:
  std::optional<ApiError> error_;
};

using ApiStatus = ApiResult<void>;

}  // namespace berth::sim
