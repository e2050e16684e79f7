// FaultConfig: what berth-sim's fault injection does, as set by flags, by PUT /admin/faults or
// by FaultInjector::set_config. The JSON form (camelCase) is what the admin endpoint reads and
// writes:
//
//   {"seed": 7,
//    "rules": [{"verbs": ["create"], "resources": ["pods"], "errorRate": 0.2, "code": 429,
//               "retryAfterSeconds": 1, "latencyMs": 50, "jitterMs": 20, "internal": false}],
//    "dropWatchesEverySeconds": 30, "expireHistoryEverySeconds": 0}
//
// Each request is matched against every rule: latencies of matching rules add up, and the
// first matching rule whose error draw fires answers the request with its error.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"

namespace berth::sim {

struct FaultRule {
  // Kubernetes verbs: get, list, watch, create, update, patch, delete, deletecollection.
  // Empty = every verb.
  std::vector<std::string> verbs{};
  // Plurals ("pods" matches pods and its subresources) or "plural/subresource"
  // ("pods/binding"). Empty = every resource.
  std::vector<std::string> resources{};
  double error_rate = 0;  // 0..1
  // 429 (TooManyRequests with Retry-After), 500, 503 or 504.
  int code = 500;
  int retry_after_seconds = 1;  // 429: Retry-After header and details.retryAfterSeconds
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds jitter{0};  // uniform in [0, jitter], added to latency
  // Also applies to berth-sim's in-process components (kubelet, controllers, scheduler),
  // which otherwise bypass the HTTP layer and see no faults.
  bool internal = false;

  bool matches(std::string_view verb, std::string_view resource,
               std::string_view subresource) const;
  friend bool operator==(const FaultRule&, const FaultRule&) = default;
};

struct FaultConfig {
  // Seed of the fault decisions; equal seeds and request orders give equal faults. 0 = random.
  std::uint64_t seed = 0;
  std::vector<FaultRule> rules{};
  // Every period, cut the TCP connection of every open watch (0 = never).
  std::chrono::milliseconds drop_watches_every{0};
  // Every period, expire the watch history as a compaction does (0 = never).
  std::chrono::milliseconds expire_history_every{0};

  bool empty() const {
    return rules.empty() && drop_watches_every.count() == 0 && expire_history_every.count() == 0;
  }
  friend bool operator==(const FaultConfig&, const FaultConfig&) = default;
};

// Strict: unknown keys, wrong types and out-of-range values are kInvalid errors naming the field.
kube::Result<FaultConfig> parse_fault_config(const kube::json::Value& json);
kube::Result<FaultConfig> parse_fault_config(std::string_view text);
// Writes the fields of `config` into the JSON object `out`.
void fault_config_to_json(const FaultConfig& config, kube::json::Value& out,
                          kube::json::Allocator& a);
std::string fault_config_to_json(const FaultConfig& config);

// The verbs a rule may name.
bool is_fault_verb(std::string_view verb);

}  // namespace berth::sim
