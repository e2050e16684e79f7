// TokenBucket: the client-side request limiter (client-go's QPS/burst). Up to `burst` requests
// pass at once; after that one token is added every 1/qps seconds. Callers that find the bucket
// empty reserve the next token and sleep until it is due, so they are served in arrival order
// and never fail for lack of a token.
#pragma once

#include <mutex>

#include "kube/client/cancel.h"
#include "kube/clock/clock.h"

namespace kube {

// Thread-safe. `clock` must outlive the bucket.
class TokenBucket {
 public:
  // qps <= 0 disables limiting. burst < 1 is treated as 1.
  TokenBucket(double qps, int burst, Clock& clock = Clock::real());

  // Takes a token, waiting as long as needed. Returns false (and takes nothing) when `cancel`
  // fires first.
  bool wait(const CancelToken& cancel = {});
  // Takes a token only if one is available now.
  bool try_acquire();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  void refill_locked(Clock::time_point now);

  const double qps_;
  const int burst_;
  Clock& clock_;
  std::mutex mu_;
  // May go negative: each waiter holds a reservation for a token not yet added.
  double tokens_;
  Clock::time_point last_;
};

}  // namespace kube
