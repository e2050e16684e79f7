// Rate limiters decide how long a failed key waits before the work queue hands it out again
// (WorkQueue::add_rate_limited). The controller default combines a per-key exponential backoff
// with an overall token bucket, so one broken object backs off on its own while a burst of
// failures across many objects cannot hammer the apiserver.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kube/clock/clock.h"

namespace kube {

// Implementations are thread-safe.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // How long `key` should wait before it is retried. Counts as one more failure of `key`.
  virtual Clock::duration when(std::string_view key) = 0;
  // Forgets `key`'s failures (it was processed successfully): its next delay starts over.
  virtual void forget(std::string_view key) = 0;
  // Failures counted for `key` since it was last forgotten.
  virtual int num_requeues(std::string_view key) const = 0;
};

// Per key: base * 2^n for the key's n-th consecutive failure (n from 0), capped at `max`.
// With the defaults: 5 ms, 10 ms, 20 ms, ... 655.36 s, then 1000 s from the 19th failure on.
class ItemExponentialFailureRateLimiter final : public RateLimiter {
 public:
  static constexpr Clock::duration kDefaultBase = std::chrono::milliseconds(5);
  static constexpr Clock::duration kDefaultMax = std::chrono::seconds(1000);

  // Throws std::invalid_argument unless 0 < base <= max.
  explicit ItemExponentialFailureRateLimiter(Clock::duration base = kDefaultBase,
                                             Clock::duration max = kDefaultMax);

  Clock::duration when(std::string_view key) override;
  void forget(std::string_view key) override;
  int num_requeues(std::string_view key) const override;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const Clock::duration base_;
  const Clock::duration max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> failures_;
};

// One bucket shared by all keys: `burst` retries pass at once, then one every 1/qps seconds.
// Each call reserves a slot, so the n-th call beyond the burst waits n/qps (the 101st call of a
// full default bucket waits 100 ms, the 102nd 200 ms). Keys are not tracked: forget() does
// nothing and num_requeues() is 0.
class BucketRateLimiter final : public RateLimiter {
 public:
  static constexpr double kDefaultQps = 10;
  static constexpr int kDefaultBurst = 100;

  // The bucket starts full. Throws std::invalid_argument unless qps > 0 and burst >= 1.
  // `clock` must outlive the limiter.
  explicit BucketRateLimiter(double qps = kDefaultQps, int burst = kDefaultBurst,
                             Clock& clock = Clock::real());

  Clock::duration when(std::string_view key) override;
  void forget(std::string_view key) override;
  int num_requeues(std::string_view key) const override;

 private:
  Clock& clock_;
  const Clock::duration interval_;  // time to earn one token
  const Clock::duration capacity_;  // burst * interval_
  std::mutex mu_;
  // The instant at which the bucket is full again given every reservation so far. Tracking
  // this instead of a fractional token count keeps the arithmetic exact in nanoseconds.
  Clock::time_point full_at_;
};

// The longest delay of its members (each member records the failure).
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);

  Clock::duration when(std::string_view key) override;
  void forget(std::string_view key) override;
  int num_requeues(std::string_view key) const override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// What controllers use unless configured otherwise: max(per-key exponential 5 ms..1000 s,
// bucket 10 qps / burst 100).
std::unique_ptr<RateLimiter> default_controller_rate_limiter(Clock& clock = Clock::real());

}  // namespace kube
