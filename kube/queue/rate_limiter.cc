#include "kube/queue/rate_limiter.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace kube {

ItemExponentialFailureRateLimiter::ItemExponentialFailureRateLimiter(Clock::duration base,
                                                                     Clock::duration max)
    : base_(base), max_(max) {
  if (base <= Clock::duration::zero() || max < base) {
    throw std::invalid_argument("exponential rate limiter needs 0 < base <= max");
  }
}

Clock::duration ItemExponentialFailureRateLimiter::when(std::string_view key) {
  int exponent = 0;
  {
    std::lock_guard<std::mutex> guard(mu_);
    auto it = failures_.find(key);
    if (it == failures_.end()) it = failures_.emplace(std::string(key), 0).first;
    exponent = it->second;
    if (it->second < std::numeric_limits<int>::max()) ++it->second;
  }
  // base * 2^exponent > max  <=>  base > max / 2^exponent (integer division rounds down, and
  // base is an integer, so the comparison is exact and never overflows).
  const auto base = base_.count();
  const auto max = max_.count();
  if (exponent >= 62 || base > (max >> exponent)) return max_;
  return Clock::duration(base << exponent);
}

void ItemExponentialFailureRateLimiter::forget(std::string_view key) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = failures_.find(key);
  if (it != failures_.end()) failures_.erase(it);
}

int ItemExponentialFailureRateLimiter::num_requeues(std::string_view key) const {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

namespace {

Clock::duration token_interval(double qps, int burst) {
  if (!(qps > 0) || burst < 1) {
    throw std::invalid_argument("bucket rate limiter needs qps > 0 and burst >= 1");
  }
  auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1 / qps));
  // A rate too high to express in clock ticks is as good as unlimited: one tick per token.
  return std::max(interval, Clock::duration(1));
}

}  // namespace

BucketRateLimiter::BucketRateLimiter(double qps, int burst, Clock& clock)
    : clock_(clock),
      interval_(token_interval(qps, burst)),
      capacity_(interval_ * burst),
      full_at_(clock.now()) {}

Clock::duration BucketRateLimiter::when(std::string_view /*key*/) {
  std::lock_guard<std::mutex> guard(mu_);
  const auto now = clock_.now();
  full_at_ = std::max(full_at_, now) + interval_;
  // Tokens left = (capacity - (full_at - now)) / interval; a negative count is a wait.
  return std::max(Clock::duration::zero(), full_at_ - now - capacity_);
}

void BucketRateLimiter::forget(std::string_view /*key*/) {}

int BucketRateLimiter::num_requeues(std::string_view /*key*/) const {
  return 0;
}

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {
  if (limiters_.empty() ||
      std::any_of(limiters_.begin(), limiters_.end(), [](const auto& l) { return !l; })) {
    throw std::invalid_argument("max-of rate limiter needs at least one limiter, none null");
  }
}

Clock::duration MaxOfRateLimiter::when(std::string_view key) {
  auto delay = Clock::duration::zero();
  for (auto& limiter : limiters_)
    delay = std::max(delay, limiter->when(key));
  return delay;
}

void MaxOfRateLimiter::forget(std::string_view key) {
  for (auto& limiter : limiters_)
    limiter->forget(key);
}

int MaxOfRateLimiter::num_requeues(std::string_view key) const {
  int n = 0;
  for (const auto& limiter : limiters_)
    n = std::max(n, limiter->num_requeues(key));
  return n;
}

std::unique_ptr<RateLimiter> default_controller_rate_limiter(Clock& clock) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialFailureRateLimiter>());
  limiters.push_back(std::make_unique<BucketRateLimiter>(BucketRateLimiter::kDefaultQps,
                                                         BucketRateLimiter::kDefaultBurst, clock));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

}  // namespace kube
