#include "kube/client/token_bucket.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "kube/clock/fake_clock.h"
#include "tests/support/wait.h"

namespace kube {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucketTest, BurstPassesThenOneTokenPerInterval) {
  FakeClock clock;
  TokenBucket bucket(5, 10, clock);
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(bucket.try_acquire()) << i;
  EXPECT_FALSE(bucket.try_acquire());
  clock.advance(milliseconds(199));
  EXPECT_FALSE(bucket.try_acquire());
  clock.advance(milliseconds(1));
  EXPECT_TRUE(bucket.try_acquire());
  EXPECT_FALSE(bucket.try_acquire());
  // Idle time refills up to the burst, not beyond.
  clock.advance(std::chrono::hours(1));
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(bucket.try_acquire()) << i;
  EXPECT_FALSE(bucket.try_acquire());
}

TEST(TokenBucketTest, WaitersSleepUntilTheirReservedToken) {
  FakeClock clock;
  TokenBucket bucket(10, 1, clock);
  ASSERT_TRUE(bucket.wait());  // the burst
  std::atomic<int> passed{0};
  std::thread first([&] {
    EXPECT_TRUE(bucket.wait());
    passed.fetch_add(1);
  });
  ASSERT_TRUE(berth::testing::wait_for([&] { return clock.waiters() == 1; }));
  std::thread second([&] {
    EXPECT_TRUE(bucket.wait());
    passed.fetch_add(1);
  });
  ASSERT_TRUE(berth::testing::wait_for([&] { return clock.waiters() == 2; }));
  // Reservations are 100 ms apart: the first is due at +100 ms, the second at +200 ms.
  EXPECT_EQ(clock.next_deadline(), clock.now() + milliseconds(100));
  clock.advance(milliseconds(100));
  ASSERT_TRUE(berth::testing::wait_for([&] { return passed.load() == 1; }));
  EXPECT_EQ(clock.waiters(), 1u);
  clock.advance(milliseconds(100));
  ASSERT_TRUE(berth::testing::wait_for([&] { return passed.load() == 2; }));
  first.join();
  second.join();
}

TEST(TokenBucketTest, CancelledWaitTakesNothing) {
  FakeClock clock;
  TokenBucket bucket(1, 1, clock);
  ASSERT_TRUE(bucket.try_acquire());
  CancelSource source;
  std::atomic<bool> result{true};
  std::thread waiter([&] { result = bucket.wait(source.token()); });
  ASSERT_TRUE(berth::testing::wait_for([&] { return clock.waiters() == 1; }));
  source.cancel();
  waiter.join();
  EXPECT_FALSE(result.load());
  // The reservation was returned: one second later exactly one token is there.
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(bucket.try_acquire());
  EXPECT_FALSE(bucket.try_acquire());
  EXPECT_FALSE(bucket.wait(source.token()));  // already cancelled
}

TEST(TokenBucketTest, ZeroQpsIsUnlimited) {
  FakeClock clock;
  TokenBucket bucket(0, 1, clock);
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(bucket.wait());
}

TEST(CancelTokenTest, CallbacksRunOnceAndRegistrationsUnregister) {
  CancelSource source;
  CancelToken token = source.token();
  int fired = 0;
  int dropped = 0;
  auto keep = token.on_cancel([&] { ++fired; });
  {
    auto gone = token.on_cancel([&] { ++dropped; });
  }
  EXPECT_FALSE(token.cancelled());
  source.cancel();
  source.cancel();
  EXPECT_TRUE(token.cancelled());
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(dropped, 0);
  int late = 0;
  auto after = token.on_cancel([&] { ++late; });
  EXPECT_EQ(late, 1);  // already cancelled: runs at once
  EXPECT_FALSE(CancelToken().cancelled());
}

TEST(CancelTokenTest, CancelWakesASleeper) {
  FakeClock clock;
  CancelSource source;
  std::atomic<int> result{-1};
  std::thread sleeper(
      [&] { result = source.token().sleep_for(clock, std::chrono::hours(1)) ? 1 : 0; });
  ASSERT_TRUE(berth::testing::wait_for([&] { return clock.waiters() == 1; }));
  source.cancel();
  sleeper.join();
  EXPECT_EQ(result.load(), 0);
  // An uncancelled sleep ends when the clock reaches the deadline.
  std::thread second([&] { result = CancelToken().sleep_for(clock, milliseconds(50)) ? 1 : 0; });
  ASSERT_TRUE(berth::testing::wait_for([&] { return clock.waiters() == 1; }));
  clock.advance(milliseconds(50));
  second.join();
  EXPECT_EQ(result.load(), 1);
}

}  // namespace
}  // namespace kube
