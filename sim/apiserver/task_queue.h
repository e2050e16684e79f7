// TaskQueue: one worker thread running posted and delayed tasks in order - where berth-sim's
// built-in controllers (garbage collector, namespace and CRD controllers) do their work, off
// the request threads. Tasks posted after stop() are dropped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace berth::sim {

class TaskQueue {
 public:
  TaskQueue();
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  void post(std::function<void()> task);
  void post_after(std::chrono::milliseconds delay, std::function<void()> task);
  // True when no task is queued or running (tests wait on it).
  bool idle() const;
  // Stops the worker; queued tasks are dropped. Idempotent.
  void stop();

 private:
  void run();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> tasks_;
  bool running_task_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::sim
