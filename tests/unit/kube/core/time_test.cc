#include "kube/core/time.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

TEST(Time, FormatsLikeTheApiserver) {
  SystemTime t = SystemTime(std::chrono::seconds(1795579348)) + std::chrono::microseconds(44080);
  EXPECT_EQ(format_time(t), "2026-11-25T04:02:28Z");
  EXPECT_EQ(format_micro_time(t), "2026-11-25T04:02:28.044080Z");
}

TEST(Time, ParsesBothFormatsAndOffsets) {
  auto a = parse_time("2026-11-25T04:02:28Z");
  auto b = parse_time("2026-11-25T04:02:28.044080Z");
  auto c = parse_time("2026-11-25T05:02:28+01:00");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(*b - *a, std::chrono::microseconds(44080));
  EXPECT_EQ(format_time(*a), "2026-11-25T04:02:28Z");
}

TEST(Time, RejectsGarbage) {
  EXPECT_FALSE(parse_time(""));
  EXPECT_FALSE(parse_time("2026-13-25T04:02:28Z"));
  EXPECT_FALSE(parse_time("2026-11-25 04:02:28Z"));
  EXPECT_FALSE(parse_time("2026-11-25T04:02:28"));
  EXPECT_FALSE(parse_time("2026-11-25T04:02:28Zjunk"));
}

}  // namespace
}  // namespace kube
