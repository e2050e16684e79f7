// DelayPool: runs tasks after a delay on a few worker threads - how injected latency holds a
// request without holding the io thread that read it. Tasks due at the same time run in the
// order they were posted; slow tasks occupy one worker each, so up to `threads` run at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace berth::sim {

class DelayPool {
 public:
  explicit DelayPool(int threads);
  ~DelayPool();
  DelayPool(const DelayPool&) = delete;
  DelayPool& operator=(const DelayPool&) = delete;

  // Runs `task` once `delay` has passed. Tasks posted after stop() are dropped.
  void post_after(std::chrono::milliseconds delay, std::function<void()> task);
  // Stops the workers; tasks not yet started are dropped (destroyed, which for a held
  // request answers it with the server's 500). Idempotent.
  void stop();

 private:
  using Clock = std::chrono::steady_clock;
  void run();

  std::mutex join_mu_;  // stop() may run on two threads (an owner's stop and its destructor)
  std::mutex mu_;
  std::condition_variable cv_;
  // (due, sequence) keeps equal due times in posting order.
  std::map<std::pair<Clock::time_point, std::uint64_t>, std::function<void()>> tasks_;
  std::uint64_t sequence_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace berth::sim
