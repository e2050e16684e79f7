#include "kube/client/token_bucket.h"

#include <algorithm>
#include <chrono>

namespace kube {

TokenBucket::TokenBucket(double qps, int burst, Clock& clock)
    : qps_(qps), burst_(std::max(burst, 1)), clock_(clock), tokens_(burst_), last_(clock.now()) {}

void TokenBucket::refill_locked(Clock::time_point now) {
  if (now <= last_) return;
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
  last_ = now;
}

bool TokenBucket::try_acquire() {
  if (qps_ <= 0) return true;
  std::lock_guard lock(mu_);
  refill_locked(clock_.now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool TokenBucket::wait(const CancelToken& cancel) {
  if (qps_ <= 0) return !cancel.cancelled();
  Clock::time_point due;
  {
    std::lock_guard lock(mu_);
    Clock::time_point now = clock_.now();
    refill_locked(now);
    tokens_ -= 1;
    if (tokens_ >= 0) {
      if (!cancel.cancelled()) return true;
      tokens_ += 1;
      return false;
    }
    auto wait = std::chrono::duration<double>(-tokens_ / qps_);
    due = now + std::chrono::duration_cast<Clock::duration>(wait);
  }
  if (cancel.sleep_until(clock_, due)) return true;
  std::lock_guard lock(mu_);
  tokens_ += 1;  // give the reservation back
  return false;
}

}  // namespace kube
