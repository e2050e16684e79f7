// FakeClock: a Clock that only moves when a test says so. Threads blocked in wait_until wake
// when advance() carries time past their deadline, so timing behaviour (backoff, delays,
// deadlines) is asserted exactly and without wall-clock sleeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>

#include "kube/clock/clock.h"

namespace kube {

// Thread-safe. A FakeClock must outlive every thread waiting on it. advance() and set() must not
// be called while holding a mutex that a thread waiting on this clock passed to wait_until.
class FakeClock final : public Clock {
 public:
  // Starts at an arbitrary fixed point, far enough from the epoch that subtracting typical
  // durations never underflows.
  explicit FakeClock(time_point start = time_point(std::chrono::hours(24)));
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  time_point now() const override;
  std::cv_status wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            time_point deadline) override;

  // Moves time forward by `d` (>= 0) and wakes every waiter whose deadline is now due. Returns
  // once each of them has been notified.
  void advance(duration d);
  // Moves time forward to `t`; a `t` in the past leaves the clock unchanged (it is monotonic).
  void set(time_point t);

  // How many threads are blocked in wait_until; tests wait for this before advancing, so the
  // advance is known to race with nothing.
  std::size_t waiters() const;
  // The earliest deadline among blocked threads, if any.
  std::optional<time_point> next_deadline() const;

 private:
  struct Waiter {
    std::condition_variable* cv;
    std::mutex* mutex;
    time_point deadline;
    bool notified = false;
  };

  void wake_due();

  mutable std::mutex mu_;
  time_point now_;
  // A list so a waiter's entry stays put while other waiters come and go.
  std::list<Waiter> waiters_;
};

}  // namespace kube
