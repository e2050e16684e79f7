// Counter: a value that only goes up (requests served, retries). Lock-free.
#pragma once

#include <atomic>
#include <cassert>

namespace kube::metrics {

// Thread-safe; inc() is a single atomic read-modify-write, no lock and no allocation.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // `v` must be >= 0: a counter that went down would read as a process restart to Prometheus'
  // rate(). Negative increments are dropped.
  void inc(double v = 1) {
    assert(v >= 0 && "Counter::inc with a negative value");
    if (v >= 0) value_.fetch_add(v, std::memory_order_relaxed);
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

}  // namespace kube::metrics
