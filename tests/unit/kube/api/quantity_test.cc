#include "kube/api/quantity.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace kube {
namespace {

std::int64_t milli(std::string_view text) {
  auto q = Quantity::parse(text);
  EXPECT_TRUE(q.has_value()) << text;
  return q ? q->milli() : INT64_MIN;
}

TEST(Quantity, DecimalSuffixes) {
  EXPECT_EQ(milli("0"), 0);
  EXPECT_EQ(milli("1"), 1000);
  EXPECT_EQ(milli("100m"), 100);
  EXPECT_EQ(milli("2k"), 2'000'000);
  EXPECT_EQ(milli("500M"), 500'000'000'000);
  EXPECT_EQ(milli("3G"), 3'000'000'000'000);
  EXPECT_EQ(milli("1T"), 1'000'000'000'000'000);
  EXPECT_EQ(milli("1P"), 1'000'000'000'000'000'000);
  EXPECT_EQ(milli("1500u"), 2);  // 1.5m rounds up
  EXPECT_EQ(milli("1000000n"), 1);
}

TEST(Quantity, BinarySuffixes) {
  EXPECT_EQ(milli("1Ki"), 1024 * 1000);
  EXPECT_EQ(milli("128Mi"), 128LL * 1024 * 1024 * 1000);
  EXPECT_EQ(milli("2Gi"), 2LL * 1024 * 1024 * 1024 * 1000);
  EXPECT_EQ(milli("1.5Gi"), 1536LL * 1024 * 1024 * 1000);
  EXPECT_EQ(milli("1Ti"), 1024LL * 1024 * 1024 * 1024 * 1000);
  EXPECT_EQ(milli("1Pi"), 1024LL * 1024 * 1024 * 1024 * 1024 * 1000);
}

TEST(Quantity, Exponents) {
  EXPECT_EQ(milli("1e3"), 1'000'000);
  EXPECT_EQ(milli("1E3"), 1'000'000);
  EXPECT_EQ(milli("1e+3"), 1'000'000);
  EXPECT_EQ(milli("1E-3"), 1);
  EXPECT_EQ(milli("25e-4"), 3);  // 2.5m rounds up
  EXPECT_EQ(milli("1.5e2"), 150'000);
  EXPECT_EQ(milli("1e0"), 1000);
}

TEST(Quantity, FractionsSignsAndZeros) {
  EXPECT_EQ(milli("1.5"), 1500);
  EXPECT_EQ(milli("0.1"), 100);
  EXPECT_EQ(milli(".5"), 500);
  EXPECT_EQ(milli("1."), 1000);
  EXPECT_EQ(milli("007"), 7000);
  EXPECT_EQ(milli("+2"), 2000);
  EXPECT_EQ(milli("-2"), -2000);
  EXPECT_EQ(milli("-100m"), -100);
  EXPECT_EQ(milli("0.0000"), 0);
  EXPECT_EQ(milli("0Gi"), 0);
}

TEST(Quantity, BelowMilliRoundsAwayFromZero) {
  EXPECT_EQ(milli("1n"), 1);
  EXPECT_EQ(milli("0.0001"), 1);
  EXPECT_EQ(milli("1001u"), 2);
  EXPECT_EQ(milli("-1n"), -1);
  EXPECT_EQ(milli("1e-500"), 1);
}

TEST(Quantity, ApiserverQuirksAreKept) {
  // The apiserver's scanner reads a missing number as zero, whatever the suffix.
  EXPECT_EQ(milli("-"), 0);
  EXPECT_EQ(milli("."), 0);
  EXPECT_EQ(milli("Gi"), 0);
  EXPECT_EQ(milli("e3"), 0);
}

TEST(Quantity, RejectsGarbage) {
  for (std::string_view bad : {"", "abc", "1.5.5", "1Kb", "1 Gi", " 1", "1 ", "--1", "1e", "1ee3",
                               "1K", "1i", "1Mi5", "1e3.5", "0x10", "1,5", "1m1", "１", "Ki5"}) {
    EXPECT_FALSE(Quantity::parse(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_FALSE(Quantity::parse(std::string(200, '1')).has_value());
}

TEST(Quantity, RejectsOverflow) {
  EXPECT_FALSE(Quantity::parse("1E").has_value());  // 10^18 units = 10^21 milli
  EXPECT_FALSE(Quantity::parse("8Ei").has_value());
  EXPECT_FALSE(Quantity::parse("1e400").has_value());
  EXPECT_FALSE(Quantity::parse("10000000000000000").has_value());
  EXPECT_TRUE(Quantity::parse("9223372036854775").has_value());
  EXPECT_EQ(milli("9223372036854775807m"), INT64_MAX);
  EXPECT_FALSE(Quantity::parse("9223372036854775808m").has_value());
  EXPECT_FALSE(Quantity::parse("9223372036854775807.5m").has_value());
}

TEST(Quantity, ValueRoundsUp) {
  EXPECT_EQ(Quantity::from_milli(100).value(), 1);
  EXPECT_EQ(Quantity::from_milli(1500).value(), 2);
  EXPECT_EQ(Quantity::from_milli(2000).value(), 2);
  EXPECT_EQ(Quantity::from_milli(0).value(), 0);
  EXPECT_EQ(Quantity::from_milli(-1500).value(), -2);
}

TEST(Quantity, ToString) {
  EXPECT_EQ(Quantity::from_milli(100).to_string(), "100m");
  EXPECT_EQ(Quantity::from_milli(1500).to_string(), "1500m");
  EXPECT_EQ(Quantity::from_units(1).to_string(), "1");
  EXPECT_EQ(Quantity::from_units(1500).to_string(), "1500");
  EXPECT_EQ(Quantity::from_units(2000).to_string(), "2k");
  EXPECT_EQ(Quantity::from_units(5'000'000).to_string(), "5M");
  EXPECT_EQ(Quantity::from_units(1LL << 30).to_string(), "1073741824");
  EXPECT_EQ(Quantity().to_string(), "0");
  EXPECT_EQ(Quantity::from_milli(-250).to_string(), "-250m");
  EXPECT_EQ(Quantity::from_units(-3000).to_string(), "-3k");
}

TEST(Quantity, ToStringRoundTrips) {
  for (std::string_view text : {"100m", "1", "1.5", "2Gi", "500M", "1e3", "3n", "-7k", "0.25"}) {
    auto q = Quantity::parse(text);
    ASSERT_TRUE(q) << text;
    auto again = Quantity::parse(q->to_string());
    ASSERT_TRUE(again) << q->to_string();
    EXPECT_EQ(*again, *q) << text;
  }
}

TEST(Quantity, Arithmetic) {
  auto a = *Quantity::parse("250m");
  auto b = *Quantity::parse("1");
  EXPECT_EQ((a + b).milli(), 1250);
  EXPECT_EQ((b - a).milli(), 750);
  EXPECT_LT(a, b);
  a += b;
  EXPECT_EQ(a.milli(), 1250);
}

}  // namespace
}  // namespace kube
