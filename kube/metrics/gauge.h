// Gauge: a value that goes up and down (queue depth, open connections). Lock-free.
#pragma once

#include <atomic>

namespace kube::metrics {

// Thread-safe; every operation is a single atomic access, no lock and no allocation.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void sub(double v) { value_.fetch_sub(v, std::memory_order_relaxed); }
  void inc() { add(1); }
  void dec() { sub(1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

}  // namespace kube::metrics
