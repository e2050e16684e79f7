// Waiting on conditions with a deadline: tests never sleep and hope.
#pragma once

#include <chrono>
#include <functional>

namespace berth::testing {

// Polls `condition` (every `poll`) until it returns true or `timeout` passes.
// Returns the last value of the condition.
bool wait_for(const std::function<bool()>& condition,
              std::chrono::milliseconds timeout = std::chrono::seconds(10),
              std::chrono::milliseconds poll = std::chrono::milliseconds(5));

}  // namespace berth::testing
