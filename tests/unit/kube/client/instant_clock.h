// InstantClock: time that jumps to each deadline instead of waiting, so retry delays and
// backoffs in tests cost nothing while their lengths are still recorded.
#pragma once

#include <mutex>

#include "kube/clock/clock.h"

namespace berth::testing {

class InstantClock final : public kube::Clock {
 public:
  time_point now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  std::cv_status wait_until(std::condition_variable&, std::unique_lock<std::mutex>&,
                            time_point deadline) override {
    std::lock_guard lock(mu_);
    if (deadline > now_) {
      slept_ += deadline - now_;
      now_ = deadline;
    }
    return std::cv_status::timeout;
  }
  // Total time callers have "slept".
  duration slept() const {
    std::lock_guard lock(mu_);
    return slept_;
  }

 private:
  mutable std::mutex mu_;
  time_point now_{std::chrono::hours(1)};
  duration slept_{0};
};

}  // namespace berth::testing
