// WorkLoop: N worker threads draining a kube::WorkQueue of object keys for one in-process
// controller - level-triggered like kube-controller-manager's controllers: a key names what to
// look at, the sync reads the cache. A failed sync is retried with the queue's per-key
// exponential backoff (5 ms .. 1000 s); a sync may ask to be called again after a delay.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kube/queue/work_queue.h"

namespace berth::sim {

struct SyncResult {
  bool retry = false;                          // failed: retry with backoff
  std::chrono::milliseconds requeue_after{0};  // succeeded: look again after this long
};

class WorkLoop {
 public:
  using Sync = std::function<SyncResult(const std::string& key)>;
  WorkLoop(std::string name, int workers, Sync sync);
  ~WorkLoop();
  WorkLoop(const WorkLoop&) = delete;
  WorkLoop& operator=(const WorkLoop&) = delete;

  void add(std::string_view key) { queue_.add(key); }
  void add_after(std::string_view key, std::chrono::milliseconds delay) {
    queue_.add_after(key, delay);
  }
  void start();
  // Shuts the queue down and joins the workers (in-flight syncs finish). Idempotent.
  void stop();
  // Keys waiting to be synced (not counting delayed ones).
  std::size_t pending() { return queue_.len(); }

 private:
  void run();
  std::string name_;
  int workers_;
  Sync sync_;
  kube::WorkQueue queue_;
  std::vector<std::thread> threads_;
};

}  // namespace berth::sim
