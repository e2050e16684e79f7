#include "kube/metrics/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace kube::metrics {
namespace {

using Cumulative = std::vector<std::uint64_t>;

TEST(Histogram, UpperBoundsAreInclusive) {
  std::vector<double> bounds = {1, 2, 5};
  Histogram h(bounds);
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.999, 5.0, 5.0001, 100.0})
    h.observe(v);
  auto s = h.snapshot();
  EXPECT_EQ(s.cumulative, (Cumulative{2, 4, 6, 8}));
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 0.5 + 1 + 1.5 + 2 + 4.999 + 5 + 5.0001 + 100);
}

TEST(Histogram, NaNCountsOnlyInInfBucket) {
  std::vector<double> bounds = {1};
  Histogram h(bounds);
  h.observe(std::nan(""));
  auto s = h.snapshot();
  EXPECT_EQ(s.cumulative, (Cumulative{0, 1}));
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(Histogram, ValidatesBounds) {
  std::vector<double> with_inf = {1, 2, std::numeric_limits<double>::infinity()};
  EXPECT_EQ(Histogram(with_inf).upper_bounds(), (std::vector<double>{1, 2}));
  std::vector<double> unsorted = {2, 1};
  EXPECT_THROW(Histogram{unsorted}, std::invalid_argument);
  std::vector<double> duplicate = {1, 1};
  EXPECT_THROW(Histogram{duplicate}, std::invalid_argument);
  std::vector<double> nan = {std::nan("")};
  EXPECT_THROW(Histogram{nan}, std::invalid_argument);
  std::vector<double> none;
  Histogram only_inf(none);
  only_inf.observe(3);
  EXPECT_EQ(only_inf.snapshot().cumulative, (Cumulative{1}));
}

TEST(Histogram, BucketHelpers) {
  EXPECT_EQ(default_buckets(),
            (std::vector<double>{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}));
  EXPECT_EQ(exponential_buckets(0.005, 2, 4), (std::vector<double>{0.005, 0.01, 0.02, 0.04}));
  EXPECT_EQ(linear_buckets(1, 0.5, 3), (std::vector<double>{1, 1.5, 2}));
  EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 2, 0), std::invalid_argument);
  EXPECT_THROW(linear_buckets(1, 0, 3), std::invalid_argument);
}

}  // namespace
}  // namespace kube::metrics
