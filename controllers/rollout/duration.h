// Durations as Rollout specs write them: Go's time.Duration syntax ("30s", "1m30s", "250ms",
// "2h") or a bare number of seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth::rollout {

// Accepts a sequence of <decimal number><unit> with units ms, s, m, h (fractions allowed:
// "1.5h"), or digits alone as seconds. nullopt on anything else, on negative values and on
// values above 1,000,000 hours.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest Go-style spelling: "0s", "250ms", "45s", "1m30s", "2h0m5s".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace berth::rollout
