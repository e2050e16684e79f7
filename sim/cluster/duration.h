// Durations as Kubernetes components and annotations spell them: Go's time.ParseDuration
// ("500ms", "10s", "1m30s", "1.5h"; units ns, us, µs, ms, s, m, h). A bare "0" is zero.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth::sim {

// Millisecond resolution (smaller parts are truncated); negative durations are rejected.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "1m30s", "500ms", "0s" (shortest Go-style form, millisecond resolution).
std::string format_duration(std::chrono::milliseconds d);

}  // namespace berth::sim
