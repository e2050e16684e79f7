#include "sim/faults/delay_pool.h"

#include <algorithm>

namespace berth::sim {

DelayPool::DelayPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i)
    threads_.emplace_back([this] { run(); });
}

DelayPool::~DelayPool() {
  stop();
}

void DelayPool::post_after(std::chrono::milliseconds delay, std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    tasks_.emplace(std::make_pair(Clock::now() + delay, sequence_++), std::move(task));
  }
  // Every worker may be waiting for a later deadline; the new task may be the earliest.
  cv_.notify_all();
}

void DelayPool::stop() {
  std::lock_guard<std::mutex> join_lock(join_mu_);
  decltype(tasks_) dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(tasks_);
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  // Destroyed outside the lock: a held request's destructor answers it.
  dropped.clear();
}

void DelayPool::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto due = tasks_.begin()->first.first;
    if (Clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    auto task = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    lock.unlock();
    task();
    task = nullptr;
    lock.lock();
  }
}

}  // namespace berth::sim
