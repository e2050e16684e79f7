#include "kube/clock/fake_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "tests/support/wait.h"

namespace kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// One thread blocked on the fake clock until `deadline` or a notification.
class Sleeper {
 public:
  Sleeper(FakeClock& clock, Clock::time_point deadline) {
    thread_ = std::thread([this, &clock, deadline] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!notified_) {
        if (clock.wait_until(cv_, lock, deadline) == std::cv_status::timeout) {
          result_ = std::cv_status::timeout;
          break;
        }
      }
      if (notified_) result_ = std::cv_status::no_timeout;
      done_ = true;
    });
  }
  ~Sleeper() { join(); }
  void notify() {
    std::lock_guard<std::mutex> guard(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_; }
  std::cv_status result() const { return result_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
  std::atomic<bool> done_{false};
  std::cv_status result_ = std::cv_status::no_timeout;
  std::thread thread_;
};

TEST(FakeClock, NowMovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto t0 = clock.now();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(milliseconds(250));
  EXPECT_EQ(clock.now() - t0, milliseconds(250));
  clock.set(t0);  // Backwards is ignored: the clock is monotonic.
  EXPECT_EQ(clock.now() - t0, milliseconds(250));
  clock.set(t0 + seconds(3));
  EXPECT_EQ(clock.now() - t0, seconds(3));
}

TEST(FakeClock, PastDeadlineTimesOutWithoutBlocking) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_EQ(clock.wait_until(cv, lock, clock.now()), std::cv_status::timeout);
  EXPECT_EQ(clock.waiters(), 0u);
}

TEST(FakeClock, AdvanceWakesOnlyDueWaiters) {
  FakeClock clock;
  auto t0 = clock.now();
  Sleeper early(clock, t0 + seconds(1));
  Sleeper late(clock, t0 + seconds(5));
  ASSERT_TRUE(berth::testing::wait_for([&] { return clock.waiters() == 2; }));
  EXPECT_EQ(clock.next_deadline(), t0 + seconds(1));

  clock.advance(milliseconds(999));
  EXPECT_EQ(clock.waiters(), 2u);
  EXPECT_FALSE(early.done());

  clock.advance(milliseconds(1));
  early.join();
  EXPECT_EQ(early.result(), std::cv_status::timeout);
  ASSERT_TRUE(berth::testing::wait_for([&] { return clock.waiters() == 1; }));
  EXPECT_FALSE(late.done());
  EXPECT_EQ(clock.next_deadline(), t0 + seconds(5));

  clock.advance(seconds(10));
  late.join();
  EXPECT_EQ(late.result(), std::cv_status::timeout);
  EXPECT_EQ(clock.waiters(), 0u);
  EXPECT_FALSE(clock.next_deadline().has_value());
}

TEST(FakeClock, NotificationBeforeDeadlineIsNotATimeout) {
  FakeClock clock;
  Sleeper s(clock, clock.now() + seconds(60));
  ASSERT_TRUE(berth::testing::wait_for([&] { return clock.waiters() == 1; }));
  s.notify();
  s.join();
  EXPECT_EQ(s.result(), std::cv_status::no_timeout);
  EXPECT_EQ(clock.waiters(), 0u);
}

// Advancing from many threads while waiters come and go must neither deadlock nor lose a
// wakeup: every sleeper eventually sees its deadline.
TEST(FakeClock, ConcurrentAdvanceAndWaitLoseNoWakeup) {
  FakeClock clock;
  constexpr int kSleepers = 16;
  std::vector<std::unique_ptr<Sleeper>> sleepers;
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop)
      clock.advance(milliseconds(1));
  });
  for (int i = 0; i < kSleepers; ++i) {
    sleepers.push_back(std::make_unique<Sleeper>(clock, clock.now() + milliseconds(i * 7)));
  }
  for (auto& s : sleepers)
    s->join();
  stop = true;
  ticker.join();
  for (auto& s : sleepers)
    EXPECT_EQ(s->result(), std::cv_status::timeout);
}

TEST(RealClock, WaitUntilPastDeadlineTimesOut) {
  Clock& clock = Clock::real();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  auto before = clock.now();
  EXPECT_EQ(clock.wait_until(cv, lock, before - milliseconds(1)), std::cv_status::timeout);
  EXPECT_GE(clock.now(), before);
}

}  // namespace
}  // namespace kube
