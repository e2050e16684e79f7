// Clock: the one source of "now" and of timed waits for the controller runtime (work queue,
// rate limiters, leader election, informers), so tests drive time with FakeClock instead of
// sleeping.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace kube {

// A monotonic clock. Implementations are thread-safe.
class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  virtual time_point now() const = 0;

  // Blocks on `cv` until it is notified or until `deadline`, as measured by this clock, has
  // passed; `lock` must hold the mutex that guards the caller's condition, as with
  // std::condition_variable::wait_until. Wakeups may be spurious: callers re-check their
  // condition in a loop. Returns cv_status::timeout when the deadline has passed.
  virtual std::cv_status wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                                    time_point deadline) = 0;

  // The process's steady clock; lives for the whole process.
  static Clock& real();
};

// std::chrono::steady_clock behind the Clock interface.
class RealClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::cv_status wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            time_point deadline) override {
    return cv.wait_until(lock, deadline);
  }
};

}  // namespace kube
