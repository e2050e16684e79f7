// Status condition helpers (apimachinery's meta.SetStatusCondition): the `conditions` list of a
// status, metav1.Condition shaped - type, status True/False/Unknown, reason, message,
// observedGeneration, lastTransitionTime. lastTransitionTime moves only when the status
// changes, so it tells how long a condition has held.
//
//   json::Document obj = cached.copy();
//   json::Value& status = json::ensure_object(obj, "status", obj.GetAllocator());
//   bool changed = kube::set_condition(status, {.type = "Ready", .status = kube::kConditionTrue,
//                                               .reason = "Synced", .message = "all good",
//                                               .observed_generation = cached.generation()},
//                                      obj.GetAllocator());
//   changed |= kube::set_observed_generation(status, cached.generation(), obj.GetAllocator());
//   if (changed) client.update_status(type, obj);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/time.h"

namespace kube {

inline constexpr std::string_view kConditionTrue = "True";
inline constexpr std::string_view kConditionFalse = "False";
inline constexpr std::string_view kConditionUnknown = "Unknown";

struct Condition {
  std::string type{};
  std::string status{};  // kConditionTrue / kConditionFalse / kConditionUnknown
  std::string reason{};  // CamelCase, machine-readable
  std::string message{};
  std::int64_t observed_generation = 0;
  std::optional<SystemTime> last_transition_time{};  // set by set_condition
};

// status.conditions (malformed entries skipped). `status` may be null.
std::vector<Condition> conditions_of(const json::Value* status);
std::optional<Condition> find_condition(const json::Value* status, std::string_view type);
bool is_condition_true(const json::Value* status, std::string_view type);

// Adds or updates the condition of `condition.type` in status["conditions"] (created when
// absent). lastTransitionTime becomes `now` for a new condition or a changed status and is
// kept otherwise (unless the condition supplies one for a change). Returns whether anything
// changed, so callers skip a no-op status write.
bool set_condition(json::Value& status, const Condition& condition, json::Allocator& a,
                   SystemTime now = std::chrono::system_clock::now());
// Removes the condition of `type`; returns whether it was there.
bool remove_condition(json::Value& status, std::string_view type);
// status.observedGeneration = generation; returns whether it changed.
bool set_observed_generation(json::Value& status, std::int64_t generation, json::Allocator& a);

}  // namespace kube
