// SchedulingQueue: kube-scheduler's pending-pod queue in miniature.
//  - active: highest spec.priority first, then first come, first served;
//  - backoff: a pod whose attempt failed waits initial·2^(attempts-1), capped at the maximum
//    (kube-scheduler: 1 s .. 10 s);
//  - unschedulable: a pod that fit nowhere waits for a cluster change (a node added or
//    changed, a pod removed) or for the unschedulable timeout (kube-scheduler: 5 min), then
//    goes back through backoff.
// A popped pod is in flight until the scheduler requeues it or forgets it (bound, deleted).
// Thread-safe; pop() blocks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "sim/scheduler/node_info.h"

namespace berth::sim::scheduling {

struct QueueOptions {
  std::chrono::milliseconds initial_backoff{std::chrono::seconds(1)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(10)};
  std::chrono::milliseconds unschedulable_timeout{std::chrono::minutes(5)};
};

class SchedulingQueue {
 public:
  explicit SchedulingQueue(QueueOptions options);

  // A pending pod was seen (added or changed): queued if new, refreshed otherwise.
  void add_or_update(PodInfo pod);
  // The pod no longer needs scheduling (bound elsewhere, deleted).
  void forget(const std::string& uid);
  // The next pod to schedule, or nullopt once closed.
  std::optional<PodInfo> pop();
  // An attempt failed: to unschedulable (nowhere to fit) or to backoff (an error).
  void requeue(const std::string& uid, bool unschedulable);
  // Something changed in the cluster that may let unschedulable pods fit.
  void move_all_unschedulable();
  void close();

  std::size_t active_size() const;
  std::size_t size() const;

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { kActive, kBackoff, kUnschedulable, kInFlight };
  struct Entry {
    PodInfo pod;
    State state = State::kActive;
    int attempts = 0;
    std::uint64_t sequence = 0;
    Clock::time_point backoff_until{};
    Clock::time_point unschedulable_since{};
  };
  using ActiveKey = std::tuple<std::int64_t, std::uint64_t, std::string>;  // -priority, seq, uid

  void activate(const std::string& uid, Entry& e);  // holds mu_
  void flush(Clock::time_point now);                // holds mu_

  QueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Entry> entries_;
  std::set<ActiveKey> active_;
  std::set<std::pair<Clock::time_point, std::string>> backoff_;
  std::unordered_set<std::string> unschedulable_;
  std::uint64_t sequence_ = 0;
  bool closed_ = false;
};

}  // namespace berth::sim::scheduling
