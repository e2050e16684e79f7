#include "sim/apiserver/task_queue.h"

#include "kube/core/log.h"

namespace berth::sim {

TaskQueue::TaskQueue() : thread_([this] { run(); }) {}

TaskQueue::~TaskQueue() {
  stop();
}

void TaskQueue::post(std::function<void()> task) {
  post_after(std::chrono::milliseconds(0), std::move(task));
}

void TaskQueue::post_after(std::chrono::milliseconds delay, std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    tasks_.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
  }
  cv_.notify_one();
}

bool TaskQueue::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_task_) return false;
  auto now = std::chrono::steady_clock::now();
  return tasks_.empty() || tasks_.begin()->first > now;
}

void TaskQueue::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    tasks_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void TaskQueue::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto when = tasks_.begin()->first;
    if (when > std::chrono::steady_clock::now()) {
      cv_.wait_until(lock, when);
      continue;
    }
    auto task = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    running_task_ = true;
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {
      kube::log::error("controller task failed", {{"error", e.what()}});
    }
    lock.lock();
    running_task_ = false;
  }
}

}  // namespace berth::sim
