#include "kube/queue/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/clock/fake_clock.h"
#include "tests/support/wait.h"

namespace kube {
namespace {

using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

std::unique_ptr<RateLimiter> exponential_only() {
  return std::make_unique<ItemExponentialFailureRateLimiter>();
}

WorkQueueOptions with_clock(FakeClock& clock, std::unique_ptr<RateLimiter> limiter = nullptr) {
  WorkQueueOptions options;
  options.clock = &clock;
  options.rate_limiter = std::move(limiter);
  return options;
}

// get() on another thread, so a test can observe it blocking and then returning.
std::future<std::optional<std::string>> async_get(WorkQueue& queue) {
  return std::async(std::launch::async, [&queue] { return queue.get(); });
}

bool is_ready(const std::future<std::optional<std::string>>& f) {
  return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

TEST(WorkQueue, DeduplicatesWaitingKeysAndKeepsFifoOrder) {
  WorkQueue queue;
  queue.add("a");
  queue.add("b");
  queue.add("a");
  queue.add("c");
  queue.add("b");
  EXPECT_EQ(queue.len(), 3u);
  EXPECT_EQ(queue.get(), "a");
  EXPECT_EQ(queue.get(), "b");
  EXPECT_EQ(queue.get(), "c");
  EXPECT_EQ(queue.len(), 0u);
}

TEST(WorkQueue, KeyAddedWhileProcessingIsRequeuedOnceAtDone) {
  WorkQueue queue;
  queue.add("a");
  ASSERT_EQ(queue.get(), "a");
  queue.add("a");
  queue.add("a");
  // Not handed to another worker while the first still holds it.
  EXPECT_EQ(queue.len(), 0u);
  queue.add("b");
  EXPECT_EQ(queue.get(), "b");
  queue.done("b");
  queue.done("a");
  EXPECT_EQ(queue.len(), 1u);
  ASSERT_EQ(queue.get(), "a");
  queue.done("a");
  EXPECT_EQ(queue.len(), 0u);
  // Done for a key nobody holds changes nothing.
  queue.done("a");
  queue.done("unknown");
  EXPECT_EQ(queue.len(), 0u);
}

TEST(WorkQueue, ProcessedKeyCanBeAddedAgain) {
  WorkQueue queue;
  queue.add("a");
  ASSERT_EQ(queue.get(), "a");
  queue.done("a");
  queue.add("a");
  EXPECT_EQ(queue.len(), 1u);
  EXPECT_EQ(queue.get(), "a");
}

TEST(WorkQueue, GetBlocksUntilAKeyArrives) {
  WorkQueue queue;
  auto got = async_get(queue);
  EXPECT_FALSE(is_ready(got));
  queue.add("x");
  EXPECT_EQ(got.get(), "x");
}

// Many producers and workers on a small key space. A key must never be held by two workers,
// and every key must be processed after its last add.
TEST(WorkQueue, NoKeyOnTwoWorkersAndNoKeyLost) {
  WorkQueue queue;
  constexpr int kKeys = 40;
  constexpr int kProducers = 4;
  constexpr int kWorkers = 8;
  constexpr int kAddsPerProducer = 5000;

  // version[k] counts adds of key k; a worker records the version it saw when it took the key.
  // Any add after that read happens after the get, so the key is re-queued and read again.
  std::vector<std::atomic<int>> version(kKeys);
  std::vector<std::atomic<int>> seen(kKeys);
  std::mutex in_flight_mu;
  std::set<std::string> in_flight;
  std::atomic<int> overlaps{0};
  std::atomic<int> processed{0};

  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        {
          std::lock_guard<std::mutex> guard(in_flight_mu);
          if (!in_flight.insert(*key).second) ++overlaps;
        }
        int k = std::stoi(*key);
        int v = version[k].load();
        int prev = seen[k].load();
        while (prev < v && !seen[k].compare_exchange_weak(prev, v)) {
        }
        std::this_thread::yield();
        {
          std::lock_guard<std::mutex> guard(in_flight_mu);
          in_flight.erase(*key);
        }
        ++processed;
        queue.done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      std::mt19937 rng(static_cast<unsigned>(p) * 7919u + 1u);
      std::uniform_int_distribution<int> pick(0, kKeys - 1);
      for (int i = 0; i < kAddsPerProducer; ++i) {
        int k = pick(rng);
        version[k].fetch_add(1);
        queue.add(std::to_string(k));
      }
    });
  }
  for (auto& t : producers)
    t.join();

  bool caught_up = wait_for([&] {
    for (int k = 0; k < kKeys; ++k) {
      if (seen[k].load() != version[k].load()) return false;
    }
    return true;
  });
  queue.shut_down();
  for (auto& t : workers)
    t.join();

  EXPECT_TRUE(caught_up) << "a key added after its last processing was never processed";
  EXPECT_EQ(overlaps.load(), 0);
  // Dedup did its job: far fewer reconciles than adds (all adds would be 20000).
  EXPECT_GT(processed.load(), 0);
  EXPECT_LE(processed.load(), kProducers * kAddsPerProducer);
}

// Real clock, several idle workers, delays of a few milliseconds mixed with plain adds: the
// timer watch must pass between workers without a delayed key ever being stranded.
TEST(WorkQueue, DelayedKeysReachIdleWorkersOnTheRealClock) {
  WorkQueue queue;
  constexpr int kKeys = 2000;
  constexpr int kWorkers = 4;
  std::vector<std::atomic<int>> processed(kKeys);
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        ++processed[static_cast<std::size_t>(std::stoi(*key))];
        queue.done(*key);
      }
    });
  }
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> micros(0, 3000);
  for (int i = 0; i < kKeys; ++i) {
    if (i % 5 == 0) {
      queue.add(std::to_string(i));
    } else {
      queue.add_after(std::to_string(i), std::chrono::microseconds(micros(rng)));
    }
  }
  bool all = wait_for([&] {
    for (auto& p : processed) {
      if (p.load() == 0) return false;
    }
    return true;
  });
  queue.shut_down();
  for (auto& t : workers)
    t.join();
  EXPECT_TRUE(all) << "a delayed key was never handed to an idle worker";
  for (auto& p : processed)
    EXPECT_EQ(p.load(), 1);
}

TEST(WorkQueue, AddAfterReleasesKeysInTimeOrder) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add_after("a", seconds(3));
  queue.add_after("b", seconds(1));
  queue.add_after("c", seconds(2));
  queue.add_after("d", seconds(2));  // same time as c: FIFO among equals
  queue.add_after("now", nanoseconds(0));
  EXPECT_EQ(queue.len(), 1u);
  EXPECT_EQ(queue.get(), "now");
  clock.advance(milliseconds(999));
  EXPECT_EQ(queue.len(), 0u);
  clock.advance(milliseconds(1));
  EXPECT_EQ(queue.len(), 1u);
  EXPECT_EQ(queue.get(), "b");
  clock.advance(seconds(1));
  EXPECT_EQ(queue.len(), 2u);
  EXPECT_EQ(queue.get(), "c");
  EXPECT_EQ(queue.get(), "d");
  clock.advance(seconds(5));
  EXPECT_EQ(queue.get(), "a");
  EXPECT_EQ(queue.len(), 0u);
}

TEST(WorkQueue, AddAfterEarlierTimeWinsAndLaterIsIgnored) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add_after("a", seconds(10));
  queue.add_after("a", seconds(5));  // moves earlier
  queue.add_after("a", seconds(7));  // later than pending: ignored
  clock.advance(seconds(5));
  ASSERT_EQ(queue.len(), 1u);
  ASSERT_EQ(queue.get(), "a");
  queue.done("a");
  // The superseded 7 s and 10 s requests do not bring the key back.
  clock.advance(seconds(10));
  EXPECT_EQ(queue.len(), 0u);
}

TEST(WorkQueue, DueKeysComeBeforeLaterPlainAdds) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add_after("delayed", seconds(1));
  clock.advance(seconds(1));
  queue.add("plain");
  EXPECT_EQ(queue.get(), "delayed");
  EXPECT_EQ(queue.get(), "plain");
}

TEST(WorkQueue, DelayedKeyBeingProcessedIsRequeuedAtDone) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add("a");
  ASSERT_EQ(queue.get(), "a");
  queue.add_after("a", seconds(1));
  clock.advance(seconds(1));
  EXPECT_EQ(queue.len(), 0u);  // due, but held by a worker
  queue.done("a");
  EXPECT_EQ(queue.len(), 1u);
}

TEST(WorkQueue, BlockedGetWakesWhenDelayIsDueAndRearmsForEarlierKeys) {
  FakeClock clock;
  const auto t0 = clock.now();
  WorkQueue queue(with_clock(clock));
  queue.add_after("late", seconds(10));
  auto got = async_get(queue);
  ASSERT_TRUE(wait_for([&] { return clock.next_deadline() == t0 + seconds(10); }));
  // An earlier key must re-arm the waiting getter, or it would sleep past it.
  queue.add_after("early", seconds(2));
  ASSERT_TRUE(wait_for([&] { return clock.next_deadline() == t0 + seconds(2); }));
  EXPECT_FALSE(is_ready(got));
  clock.advance(seconds(2));
  EXPECT_EQ(got.get(), "early");
  auto second = async_get(queue);
  ASSERT_TRUE(wait_for([&] { return clock.next_deadline() == t0 + seconds(10); }));
  clock.advance(seconds(8));
  EXPECT_EQ(second.get(), "late");
}

TEST(WorkQueue, OnlyOneIdleWorkerWatchesTheTimer) {
  FakeClock clock;
  const auto t0 = clock.now();
  WorkQueue queue(with_clock(clock));
  queue.add_after("x", seconds(5));
  queue.add_after("y", seconds(6));
  std::vector<std::future<std::optional<std::string>>> getters;
  for (int i = 0; i < 3; ++i)
    getters.push_back(async_get(queue));
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 1; }));
  clock.advance(seconds(5));
  // One getter takes x and hands the timer to another, which then waits for y.
  ASSERT_TRUE(wait_for([&] { return clock.next_deadline() == t0 + seconds(6); }));
  EXPECT_EQ(clock.waiters(), 1u);
  clock.advance(seconds(1));
  std::multiset<std::string> received;
  ASSERT_TRUE(wait_for([&] {
    int ready = 0;
    for (auto& g : getters)
      ready += is_ready(g) ? 1 : 0;
    return ready == 2;
  }));
  queue.shut_down();
  for (auto& g : getters) {
    auto key = g.get();
    if (key) received.insert(*key);
  }
  EXPECT_EQ(received, (std::multiset<std::string>{"x", "y"}));
}

TEST(WorkQueue, RateLimitedBackoffIsExactlyExponential) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock, exponential_only()));
  for (int n = 0; n < 22; ++n) {
    Clock::duration expected =
        n <= 17 ? Clock::duration(milliseconds(5) * (1LL << n)) : Clock::duration(seconds(1000));
    queue.add_rate_limited("k");
    EXPECT_EQ(queue.num_requeues("k"), n + 1);
    clock.advance(expected - nanoseconds(1));
    ASSERT_EQ(queue.len(), 0u) << "released early at failure " << n;
    clock.advance(nanoseconds(1));
    ASSERT_EQ(queue.len(), 1u) << "not released on time at failure " << n;
    ASSERT_EQ(queue.get(), "k");
    queue.done("k");
  }
  queue.forget("k");
  EXPECT_EQ(queue.num_requeues("k"), 0);
  queue.add_rate_limited("k");
  clock.advance(milliseconds(5));
  EXPECT_EQ(queue.len(), 1u);
}

TEST(WorkQueue, RateLimitedKeysComeOutInBackoffOrder) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock, exponential_only()));
  // "slow" has failed three times before (next wait 40 ms); "fresh" fails for the first time.
  for (int i = 0; i < 3; ++i) {
    queue.add_rate_limited("slow");
    clock.advance(seconds(1000));
    ASSERT_EQ(queue.get(), "slow");
    queue.done("slow");
  }
  queue.add_rate_limited("slow");
  queue.add_rate_limited("fresh");
  clock.advance(milliseconds(5));
  EXPECT_EQ(queue.get(), "fresh");
  EXPECT_EQ(queue.len(), 0u);
  clock.advance(milliseconds(35));
  EXPECT_EQ(queue.get(), "slow");
}

TEST(WorkQueue, DefaultRateLimiterAppliesTheBucketAcrossKeys) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));  // default: max(exponential, 10 qps / burst 100)
  for (int i = 0; i < 103; ++i)
    queue.add_rate_limited("key" + std::to_string(i));
  clock.advance(milliseconds(5));
  EXPECT_EQ(queue.len(), 100u);
  clock.advance(milliseconds(95));
  EXPECT_EQ(queue.len(), 101u);
  clock.advance(milliseconds(100));
  EXPECT_EQ(queue.len(), 102u);
  clock.advance(milliseconds(100));
  EXPECT_EQ(queue.len(), 103u);
}

TEST(WorkQueue, ShutDownWakesEveryBlockedGetter) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add_after("never", seconds(60));  // one getter waits on the clock, the rest plainly
  std::vector<std::future<std::optional<std::string>>> getters;
  for (int i = 0; i < 4; ++i)
    getters.push_back(async_get(queue));
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 1; }));
  queue.shut_down();
  for (auto& g : getters)
    EXPECT_EQ(g.get(), std::nullopt);
  EXPECT_TRUE(queue.shutting_down());
}

TEST(WorkQueue, ShutDownRefusesNewKeysAndDropsWaitingOnes) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add("waiting");
  queue.add_after("delayed", seconds(1));
  queue.shut_down();
  queue.add("new");
  queue.add_after("new-delayed", seconds(1));
  queue.add_rate_limited("new-limited");
  clock.advance(seconds(10));
  EXPECT_EQ(queue.len(), 0u);
  EXPECT_EQ(queue.get(), std::nullopt);
  EXPECT_EQ(queue.num_requeues("new-limited"), 0);
  queue.shut_down();  // idempotent
}

TEST(WorkQueue, DrainWaitsForInFlightKeys) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add("a");
  queue.add("b");
  queue.add("queued");
  ASSERT_EQ(queue.get(), "a");
  ASSERT_EQ(queue.get(), "b");
  auto drained =
      std::async(std::launch::async, [&] { return queue.shut_down_with_drain(seconds(30)); });
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 1; }));
  // Shut down already: nothing more is handed out, and a re-add of a held key is dropped.
  EXPECT_EQ(queue.get(), std::nullopt);
  queue.add("a");
  queue.done("a");
  EXPECT_NE(drained.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  queue.done("b");
  EXPECT_TRUE(drained.get());
  EXPECT_EQ(queue.len(), 0u);
}

TEST(WorkQueue, DrainHonoursItsDeadline) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add("stuck");
  ASSERT_EQ(queue.get(), "stuck");
  auto drained =
      std::async(std::launch::async, [&] { return queue.shut_down_with_drain(seconds(30)); });
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 1; }));
  clock.advance(seconds(29));
  EXPECT_NE(drained.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  clock.advance(seconds(1));
  EXPECT_FALSE(drained.get());
  queue.done("stuck");  // late done after a timed-out drain is harmless
}

TEST(WorkQueue, DrainWithNothingInFlightReturnsAtOnce) {
  FakeClock clock;
  WorkQueue queue(with_clock(clock));
  queue.add("waiting");
  EXPECT_TRUE(queue.shut_down_with_drain(seconds(0)));
  EXPECT_TRUE(queue.shut_down_with_drain(Clock::duration::max()));
}

}  // namespace
}  // namespace kube
