// Kubernetes time formats: metav1.Time (RFC 3339, seconds, UTC "Z") and metav1.MicroTime
// (6 fractional digits), as the apiserver writes them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kube {

using SystemTime = std::chrono::system_clock::time_point;

std::string format_time(SystemTime t);        // 2026-11-25T04:02:28Z
std::string format_micro_time(SystemTime t);  // 2026-11-25T04:03:04.044080Z
// Accepts both forms and numeric offsets (+01:00); nullopt on anything else.
std::optional<SystemTime> parse_time(std::string_view text);

}  // namespace kube
