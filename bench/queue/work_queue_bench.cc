// kube::WorkQueue against a plain mutex + deque + condition_variable queue (no dedup, no
// in-flight tracking, no delays): what the controller queue's guarantees cost.
// Run: build/bench/queue/berth_bench_queue  (configure with -DBERTH_BENCH=ON)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kube/queue/work_queue.h"

namespace {

// The baseline: FIFO of strings, nothing else.
class PlainQueue {
 public:
  void add(std::string_view key) {
    {
      std::lock_guard<std::mutex> guard(mu_);
      if (shut_down_) return;
      queue_.emplace_back(key);
    }
    cv_.notify_one();
  }
  std::optional<std::string> get() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return shut_down_ || !queue_.empty(); });
    if (shut_down_) return std::nullopt;
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    return key;
  }
  void done(std::string_view /*key*/) {}
  void shut_down() {
    {
      std::lock_guard<std::mutex> guard(mu_);
      shut_down_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool shut_down_ = false;
};

// Controller-style keys ("namespace/name"), long enough to defeat the small-string buffer.
std::vector<std::string> make_keys(const std::string& prefix, int n) {
  std::vector<std::string> keys;
  keys.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    keys.push_back("berth-system/" + prefix + "-" + std::to_string(i));
  return keys;
}

template <typename Queue>
Queue& shared_queue() {
  static Queue queue;
  return queue;
}

// Adds of distinct keys from 1, 2 or 4 producer threads into one queue. Every 1024 adds the
// thread drains as many keys (get + done) with the timer paused, so the queue stays bounded
// and only adds are timed.
template <typename Queue>
void BM_Add(benchmark::State& state) {
  constexpr int kBatch = 1024;
  // Another thread's drain may leave some of this thread's keys waiting, and re-adding a
  // waiting key is a no-op for WorkQueue: cycling through 16 batches' worth of keys means a
  // key comes round again only long after FIFO order has handed it out.
  constexpr int kRing = 16 * kBatch;
  Queue& queue = shared_queue<Queue>();
  const auto keys = make_keys("pod" + std::to_string(state.thread_index()), kRing);
  std::size_t next = 0;
  int i = 0;
  for (auto _ : state) {
    queue.add(keys[next]);
    next = (next + 1) % kRing;
    if (++i == kBatch) {
      state.PauseTiming();
      for (int j = 0; j < kBatch; ++j) {
        auto key = queue.get();
        queue.done(*key);
      }
      i = 0;
      state.ResumeTiming();
    }
  }
  // The timer has stopped once the loop ends: leave the queue empty for the next run.
  for (int j = 0; j < i; ++j) {
    auto key = queue.get();
    queue.done(*key);
  }
  state.SetItemsProcessed(state.iterations());
}

// Re-adding keys that are already waiting: the dedup path a controller hits when a burst of
// watch events names the same objects.
void BM_AddDuplicate(benchmark::State& state) {
  static kube::WorkQueue queue;
  const auto keys = make_keys("dup", 64);
  if (state.thread_index() == 0) {
    for (const auto& key : keys)
      queue.add(key);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    queue.add(keys[i]);
    i = (i + 1) & 63;
  }
  state.SetItemsProcessed(state.iterations());
}

// Latency from add() to the moment a worker's get() returns the key, with `workers` threads
// blocked in get(). Each iteration the producer adds 16 keys and waits until all are done.
template <typename Queue>
void BM_AddToGetLatency(benchmark::State& state) {
  constexpr int kBatch = 16;
  const int workers = static_cast<int>(state.range(0));
  Queue queue;
  const auto keys = make_keys("obj", kBatch);
  std::vector<std::atomic<std::int64_t>> added_at(kBatch);
  std::mutex mu;
  std::condition_variable cv;
  int processed = 0;
  std::vector<std::vector<double>> samples(static_cast<std::size_t>(workers));

  auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      auto& mine = samples[static_cast<std::size_t>(w)];
      while (auto key = queue.get()) {
        const auto got = now_ns();
        const auto index = std::stoi(key->substr(key->rfind('-') + 1));
        mine.push_back(static_cast<double>(got - added_at[static_cast<std::size_t>(index)]));
        queue.done(*key);
        std::lock_guard<std::mutex> guard(mu);
        if (++processed == kBatch) cv.notify_one();
      }
    });
  }
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      added_at[static_cast<std::size_t>(i)] = now_ns();
      queue.add(keys[static_cast<std::size_t>(i)]);
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return processed == kBatch; });
    processed = 0;
  }
  queue.shut_down();
  for (auto& t : threads)
    t.join();

  std::vector<double> all;
  for (auto& s : samples)
    all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  auto percentile = [&](double p) {
    return all.empty() ? 0.0
                       : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))];
  };
  state.counters["p50_us"] = percentile(0.50) / 1000;
  state.counters["p99_us"] = percentile(0.99) / 1000;
  state.SetItemsProcessed(state.iterations() * kBatch);
}

}  // namespace

BENCHMARK(BM_Add<kube::WorkQueue>)->Name("Add/WorkQueue")->ThreadRange(1, 4)->UseRealTime();
BENCHMARK(BM_Add<PlainQueue>)->Name("Add/Plain")->ThreadRange(1, 4)->UseRealTime();
BENCHMARK(BM_AddDuplicate)->Name("AddDuplicate/WorkQueue")->ThreadRange(1, 4)->UseRealTime();
BENCHMARK(BM_AddToGetLatency<kube::WorkQueue>)
    ->Name("AddToGet/WorkQueue")
    ->ArgName("workers")
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->UseRealTime();
BENCHMARK(BM_AddToGetLatency<PlainQueue>)
    ->Name("AddToGet/Plain")
    ->ArgName("workers")
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->UseRealTime();

BENCHMARK_MAIN();
