// Options of kube::Client and of its calls, named after the Kubernetes query parameters they
// become (metav1.ListOptions, CreateOptions, PatchOptions, DeleteOptions).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "kube/client/cancel.h"
#include "kube/clock/clock.h"

namespace kube {

struct ClientOptions {
  // Client-side rate limit, as client-go's defaults; controllers raise it (e.g. 20/30).
  // qps <= 0 disables it.
  double qps = 5;
  int burst = 10;
  // Sent on every request. Empty: "berth/<version> (<component>)". The apiserver uses the part
  // before the first '/' as the field manager of writes that name none.
  std::string user_agent{};
  std::string component = "client";
  // Idle timeout of ordinary requests (reset whenever data arrives).
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Retries of idempotent requests (GET, PUT with a resourceVersion) answered 429 or 5xx with
  // a Retry-After delay, which is honoured up to max_retry_delay. Other requests are never
  // retried, except once after a 401 when a rotated token file has a new token.
  int max_retries = 3;
  std::chrono::seconds max_retry_delay{30};
  // fieldManager for writes whose options name none ("" = let the apiserver derive it).
  std::string field_manager{};
  // Time source of the rate limiter, retry delays and token refresh; nullptr = real time.
  Clock* clock = nullptr;
};

// "berth/<version> (<component>)"
std::string default_user_agent(std::string_view component);

struct GetOptions {
  std::string resource_version{};  // "" = most recent (quorum read)
};

struct ListOptions {
  std::string label_selector{};
  std::string field_selector{};
  std::int64_t limit = 0;  // page size; 0 = everything in one response
  std::string continue_{};
  std::string resource_version{};
  std::string resource_version_match{};  // "NotOlderThan" or "Exact"
  std::optional<int> timeout_seconds{};
  CancelToken cancel{};
};

struct WriteOptions {
  std::string field_manager{};     // overrides ClientOptions::field_manager
  bool dry_run = false;            // dryRun=All
  std::string field_validation{};  // "Strict", "Warn" or "Ignore"
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kJson,            // application/json-patch+json (RFC 6902)
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in kinds only)
  kApply,           // application/apply-patch+yaml: server-side apply; needs a field manager
};

struct PatchOptions {
  std::string field_manager{};
  bool dry_run = false;
  std::string field_validation{};
  bool force = false;         // apply only: take ownership of conflicting fields
  std::string subresource{};  // "status", "scale", ...
};

enum class PropagationPolicy { kDefault, kOrphan, kBackground, kForeground };

struct DeleteOptions {
  PropagationPolicy propagation_policy = PropagationPolicy::kDefault;
  std::optional<std::int64_t> grace_period_seconds{};
  // Preconditions: the delete fails with 409 Conflict unless the object still has these.
  std::string precondition_uid{};
  std::string precondition_resource_version{};
  bool dry_run = false;
};

struct WatchOptions {
  std::string label_selector{};
  std::string field_selector{};
  // Events after this version; "" or "0" start with a synthetic ADDED per existing object.
  std::string resource_version{};
  bool allow_bookmarks = true;
  // The server ends the watch after this long (cleanly). The request's idle timeout is set
  // above it.
  std::optional<int> timeout_seconds{};
  CancelToken cancel{};
};

}  // namespace kube
