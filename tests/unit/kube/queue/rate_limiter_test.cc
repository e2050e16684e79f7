#include "kube/queue/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "kube/clock/fake_clock.h"

namespace kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(ItemExponentialFailureRateLimiter, DoublesFrom5msAndCapsAt1000s) {
  ItemExponentialFailureRateLimiter limiter;
  for (int n = 0; n < 100; ++n) {
    // 5 ms * 2^17 = 655.36 s is the last uncapped delay; 5 ms * 2^18 = 1310.72 s > 1000 s.
    Clock::duration expected =
        n <= 17 ? Clock::duration(milliseconds(5) * (1LL << n)) : Clock::duration(seconds(1000));
    ASSERT_EQ(limiter.when("k"), expected) << "failure " << n;
    EXPECT_EQ(limiter.num_requeues("k"), n + 1);
  }
}

TEST(ItemExponentialFailureRateLimiter, TracksKeysIndependentlyAndForgets) {
  ItemExponentialFailureRateLimiter limiter;
  EXPECT_EQ(limiter.when("a"), milliseconds(5));
  EXPECT_EQ(limiter.when("a"), milliseconds(10));
  EXPECT_EQ(limiter.when("b"), milliseconds(5));
  EXPECT_EQ(limiter.when("a"), milliseconds(20));
  EXPECT_EQ(limiter.num_requeues("a"), 3);
  EXPECT_EQ(limiter.num_requeues("b"), 1);
  EXPECT_EQ(limiter.num_requeues("never"), 0);
  limiter.forget("a");
  EXPECT_EQ(limiter.num_requeues("a"), 0);
  EXPECT_EQ(limiter.when("a"), milliseconds(5));
  EXPECT_EQ(limiter.when("b"), milliseconds(10));
  limiter.forget("never");  // no effect, no failure
}

TEST(ItemExponentialFailureRateLimiter, Configurable) {
  ItemExponentialFailureRateLimiter limiter(milliseconds(100), milliseconds(250));
  EXPECT_EQ(limiter.when("k"), milliseconds(100));
  EXPECT_EQ(limiter.when("k"), milliseconds(200));
  EXPECT_EQ(limiter.when("k"), milliseconds(250));
  EXPECT_EQ(limiter.when("k"), milliseconds(250));
  // A cap that is not a power-of-two multiple of the base is met exactly, never exceeded.
  ItemExponentialFailureRateLimiter odd(nanoseconds(3), nanoseconds(10));
  EXPECT_EQ(odd.when("k"), nanoseconds(3));
  EXPECT_EQ(odd.when("k"), nanoseconds(6));
  EXPECT_EQ(odd.when("k"), nanoseconds(10));
  EXPECT_THROW(ItemExponentialFailureRateLimiter(milliseconds(0), seconds(1)),
               std::invalid_argument);
  EXPECT_THROW(ItemExponentialFailureRateLimiter(seconds(2), seconds(1)), std::invalid_argument);
}

TEST(BucketRateLimiter, AllowsBurstThenTenPerSecond) {
  FakeClock clock;
  BucketRateLimiter limiter(10, 100, clock);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(limiter.when("k" + std::to_string(i)), nanoseconds(0));
  // The bucket is empty: each further token takes exactly 100 ms to earn.
  for (int i = 0; i < 50; ++i) {
    clock.advance(milliseconds(100));
    ASSERT_EQ(limiter.when("x"), nanoseconds(0)) << "second token in interval " << i;
  }
  clock.advance(milliseconds(99));
  EXPECT_EQ(limiter.when("x"), milliseconds(1));
  // Keys do not matter to a bucket.
  EXPECT_EQ(limiter.num_requeues("x"), 0);
  limiter.forget("x");
}

TEST(BucketRateLimiter, ReservesSlotsBeyondTheBurst) {
  FakeClock clock;
  BucketRateLimiter limiter(10, 100, clock);
  for (int i = 0; i < 100; ++i)
    limiter.when("k");
  EXPECT_EQ(limiter.when("k"), milliseconds(100));
  EXPECT_EQ(limiter.when("k"), milliseconds(200));
  EXPECT_EQ(limiter.when("k"), milliseconds(300));
  // One second earns ten tokens, but three were already promised: seven calls pass free.
  clock.advance(seconds(1));
  for (int i = 0; i < 7; ++i)
    ASSERT_EQ(limiter.when("k"), nanoseconds(0)) << i;
  EXPECT_EQ(limiter.when("k"), milliseconds(100));
}

TEST(BucketRateLimiter, RefillsUpToBurstOnly) {
  FakeClock clock;
  BucketRateLimiter limiter(2, 3, clock);
  for (int i = 0; i < 3; ++i)
    limiter.when("k");
  clock.advance(seconds(3600));  // far more than enough to refill
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(limiter.when("k"), nanoseconds(0));
  EXPECT_EQ(limiter.when("k"), milliseconds(500));
  EXPECT_THROW(BucketRateLimiter(0, 1, clock), std::invalid_argument);
  EXPECT_THROW(BucketRateLimiter(1, 0, clock), std::invalid_argument);
}

TEST(MaxOfRateLimiter, DefaultControllerLimiterTakesTheLongerDelay) {
  FakeClock clock;
  auto limiter = default_controller_rate_limiter(clock);
  // 100 distinct failing keys: the bucket lets them through, the per-key backoff gives 5 ms.
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(limiter->when("key" + std::to_string(i)), milliseconds(5));
  }
  // The 101st failure within the same instant waits for the bucket instead.
  EXPECT_EQ(limiter->when("key100"), milliseconds(100));
  // A key failing repeatedly is held by its own backoff once that grows past the bucket's wait.
  clock.advance(seconds(60));
  Clock::duration last{};
  for (int n = 0; n < 12; ++n)
    last = limiter->when("hot");
  EXPECT_EQ(last, milliseconds(5) * 2048);
  EXPECT_EQ(limiter->num_requeues("hot"), 12);
  limiter->forget("hot");
  EXPECT_EQ(limiter->num_requeues("hot"), 0);
  EXPECT_EQ(limiter->when("hot"), milliseconds(5));
}

TEST(MaxOfRateLimiter, RejectsEmptyOrNull) {
  EXPECT_THROW(MaxOfRateLimiter({}), std::invalid_argument);
  std::vector<std::unique_ptr<RateLimiter>> with_null;
  with_null.push_back(nullptr);
  EXPECT_THROW(MaxOfRateLimiter(std::move(with_null)), std::invalid_argument);
}

}  // namespace
}  // namespace kube
