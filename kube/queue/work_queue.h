// WorkQueue: the queue between a controller's event handlers and its workers. Event handlers
// add keys ("namespace/name"); workers get() a key, reconcile it, and call done(). Because
// reconciliation is level-triggered, the queue only has to guarantee that every key added is
// processed at least once after its last add, never by two workers at once:
//
// - Dedup: adding a key that is already waiting is a no-op.
// - One worker per key: adding a key that is being processed marks it dirty; done() puts it
//   back exactly once. Otherwise keys come out in FIFO order.
// - Delays: add_after(key, d) adds the key once d has passed on the queue's Clock; adding a
//   waiting key with an earlier time moves it earlier. add_rate_limited(key) delays by the
//   configured RateLimiter (default: per-key exponential 5 ms..1000 s, max'ed with an overall
//   10 qps / burst 100 bucket); forget(key) resets the key's backoff after a success.
// - Shutdown: shut_down() refuses new keys, drops waiting ones and wakes blocked workers;
//   shut_down_with_drain() additionally waits (up to a deadline) for in-flight keys to be done.
//
//   kube::WorkQueueOptions options;
//   options.name = "rollout";
//   options.metrics = &registry;
//   kube::WorkQueue queue(std::move(options));
//   // event handler:   queue.add(key);
//   // each worker:
//   while (auto key = queue.get()) {
//     kube::Status s = reconcile(*key);
//     if (s.ok()) queue.forget(*key); else queue.add_rate_limited(*key);
//     queue.done(*key);
//   }
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kube/clock/clock.h"
#include "kube/queue/rate_limiter.h"

namespace kube {

namespace metrics {
class Registry;
}
struct WorkQueueMetrics;

struct WorkQueueOptions {
  // The `name` label of the workqueue_* metrics: the controller's name. Required with metrics.
  std::string name;
  // Where workqueue_* metrics go (depth, adds, retries, queue and work duration, unfinished
  // work, longest running processor); none when null. Must outlive the queue.
  metrics::Registry* metrics = nullptr;
  // Time source for delays, deadlines and metrics; Clock::real() when null. Must outlive the
  // queue.
  Clock* clock = nullptr;
  // Delays for add_rate_limited; default_controller_rate_limiter(*clock) when null.
  std::unique_ptr<RateLimiter> rate_limiter;
};

// Thread-safe: any number of producers and workers. No operation busy-waits; get() and
// shut_down_with_drain() block on a condition variable. Every operation is O(1) expected
// except add_after (O(log waiting)).
class WorkQueue {
 public:
  // Throws std::invalid_argument when metrics are requested without a name.
  explicit WorkQueue(WorkQueueOptions options = {});
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  // Shuts down. Workers must have returned from get() (join them first).
  ~WorkQueue();

  // Queues `key` unless it is already waiting; if it is being processed it is queued again
  // when done() is called. Ignored after shutdown.
  void add(std::string_view key);
  // Adds `key` once `delay` has passed (at once when delay <= 0). If `key` is already waiting
  // for a later time, it moves to the earlier one; a later time than the pending one is
  // ignored. Waiting keys are dropped at shutdown.
  void add_after(std::string_view key, Clock::duration delay);
  // add_after(key, rate_limiter.when(key)): the retry path after a failed reconcile.
  void add_rate_limited(std::string_view key);
  // Resets `key`'s failure count in the rate limiter (call after a successful reconcile).
  // Does not remove the key from the queue.
  void forget(std::string_view key);
  // Failures the rate limiter has counted for `key` since it was last forgotten.
  int num_requeues(std::string_view key) const;

  // Blocks until a key is available and hands it to the caller, who must call done(key) when
  // finished with it. Returns nullopt once the queue is shut down (keys still waiting are not
  // handed out then: a level-triggered controller finds them again on its next start).
  std::optional<std::string> get();
  // Marks `key` finished; if it was added while being processed it is queued again. Ignored
  // for a key that is not being processed.
  void done(std::string_view key);

  // Keys waiting to be handed out (not counting delayed ones that are not yet due, nor keys
  // being processed). Not const: delayed keys that have come due are moved into line first,
  // which is what makes the count exact without a timer thread.
  std::size_t len();

  void shut_down();
  // shut_down(), then waits until every key handed out has been marked done, or until `timeout`
  // has passed on the queue's Clock. Returns true when no key is still being processed.
  bool shut_down_with_drain(Clock::duration timeout);
  bool shutting_down() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    bool dirty = false;       // must be processed (waiting in queue_, or re-queued at done())
    bool processing = false;  // handed out by get(), done() not yet called
    Clock::time_point added;  // when it became dirty; metrics only
    Clock::time_point started;
    std::multiset<Clock::time_point>::iterator in_flight;  // metrics only
  };
  using Entries = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;
  // Entries are stable in memory (node-based map), so the FIFO holds pointers, not copies.
  using Node = Entries::value_type;

  struct Delayed {
    Clock::time_point ready;
    std::uint64_t seq;  // FIFO among equal times; also tells stale heap entries apart
    std::string key;
  };
  struct Later {
    bool operator()(const Delayed& a, const Delayed& b) const {
      return a.ready != b.ready ? a.ready > b.ready : a.seq > b.seq;
    }
  };

  // The clock reading, taken only when something needs it (delays pending or metrics on).
  std::optional<Clock::time_point> now_if_needed_locked() const;
  void add_locked(std::string_view key, std::optional<Clock::time_point> now);
  // Adds every delayed key whose time has come.
  void promote_due_locked(std::optional<Clock::time_point> now);
  // Appends to the FIFO and owes an idle getter a wakeup.
  void enqueue_locked(Node& node);
  // Sends the wakeups owed, after releasing `lock`.
  void wake_getters(std::unique_lock<std::mutex>& lock);
  void shut_down_locked();
  void update_depth_locked();
  double unfinished_work_seconds() const;
  double longest_running_seconds() const;

  Clock& clock_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  const bool with_metrics_;

  mutable std::mutex mu_;
  std::condition_variable cv_;     // getters: a key is available, shutdown, or timer handover
  std::condition_variable drain_;  // shut_down_with_drain: the last in-flight key is done
  Entries entries_;                // every key that is dirty or processing
  std::deque<Node*> queue_;        // dirty and not processing, FIFO
  std::size_t in_flight_count_ = 0;
  std::multiset<Clock::time_point> in_flight_;  // start times, for the age metrics
  std::vector<Delayed> delayed_;                // a min-heap under Later
  // The pending (earliest) time of each delayed key; heap entries that disagree are stale.
  std::unordered_map<std::string, std::pair<Clock::time_point, std::uint64_t>, Hash,
                     std::equal_to<>>
      delayed_keys_;
  std::uint64_t next_seq_ = 0;
  // Whether a getter is blocked with a deadline for delayed_.top(); only one waits on the
  // timer, the others wait for a notification, so a due key wakes one worker, not all.
  bool timer_waiter_ = false;
  // Getter notifications owed for changes made under mu_ (see wake_getters).
  std::size_t wakeups_ = 0;
  bool wake_all_ = false;
  bool shutting_down_ = false;

  // Last: its scrape callbacks read the members above and are unregistered first.
  std::unique_ptr<WorkQueueMetrics> metrics_;
};

}  // namespace kube
