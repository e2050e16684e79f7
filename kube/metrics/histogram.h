// Histogram: observations counted into fixed buckets (latencies, sizes), plus their sum.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace kube::metrics {

// Prometheus' default buckets, in seconds: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
std::vector<double> default_buckets();
// `count` bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1, count >= 1).
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);
// `count` bounds: start, start+width, ... (width > 0, count >= 1).
std::vector<double> linear_buckets(double start, double width, std::size_t count);

// Thread-safe; observe() is lock-free (two atomic read-modify-writes, no allocation).
class Histogram {
 public:
  // `upper_bounds` must be finite and strictly increasing; a trailing +Inf is accepted and
  // dropped, since the +Inf bucket is always present. Throws std::invalid_argument otherwise.
  explicit Histogram(std::span<const double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `v` in the first bucket whose upper bound is >= v (NaN counts only in +Inf).
  void observe(double v);

  struct Snapshot {
    // cumulative[i] counts observations <= upper_bounds()[i]; the last element is +Inf.
    std::vector<std::uint64_t> cumulative;
    double sum = 0;
    // Always equal to cumulative.back(), so a scrape never shows _count != +Inf bucket.
    std::uint64_t count = 0;
  };
  // A point-in-time read. Concurrent observations may be partly included (a bucket counted
  // but its value not yet in the sum); each bucket count itself is exact.
  Snapshot snapshot() const;

  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1, non-cumulative
  std::atomic<double> sum_{0};
};

// Validates and normalizes bucket bounds as Histogram's constructor does.
std::vector<double> checked_buckets(std::span<const double> upper_bounds);

}  // namespace kube::metrics
