// Watcher: list + watch of one resource type that never loses or reorders an event, as kube-rs's
// watcher and client-go's reflector do. It lists (in pages), then watches from the list's
// resourceVersion with bookmarks and a randomised server timeout, and resumes from the last
// resourceVersion it saw whenever a watch ends or breaks. When that version is too old for the
// server (410 Gone / Expired) it lists again.
//
// Events reach one handler, serially, on the watcher's thread:
//   InitStart, InitObject per listed object, InitDone   (every (re)list)
//   Added / Modified / Deleted, Bookmark                 (the watch)
// A relist is announced by a new InitStart; consumers rebuild their state from the InitObjects
// and swap it in at InitDone (kube-rs's semantics), which makes a relist after 410 invisible to
// them. A list that fails midway is followed by another InitStart without an InitDone.
//
//   kube::Watcher watcher(client, {.type = kube::resources::kPods, .namespace_ = "prod"},
//                         [&](const kube::WatcherEvent& e) { cache.apply(e); });
//   watcher.start();
//   ...
//   watcher.stop();  // prompt: aborts the in-flight request
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "kube/api/object.h"
#include "kube/api/resource.h"
#include "kube/client/cancel.h"
#include "kube/client/client.h"
#include "kube/clock/clock.h"

namespace kube {

struct WatcherEvent {
  enum class Type { kInitStart, kInitObject, kInitDone, kAdded, kModified, kDeleted, kBookmark };
  Type type = Type::kInitStart;
  Object object;                      // kInitObject, kAdded, kModified, kDeleted
  std::string resource_version = {};  // kInitDone (the list's), kBookmark
};

std::string_view watcher_event_type_name(WatcherEvent::Type type);

struct WatcherOptions {
  ResourceType type{};
  std::string namespace_{};  // "" = all namespaces (or a cluster-scoped type)
  std::string label_selector{};
  std::string field_selector{};
  std::int64_t page_size = 500;
  // The server ends each watch after a random time in this range (client-go: 5-10 min), so
  // many watchers never reconnect in step.
  std::chrono::seconds min_watch_timeout{300};
  std::chrono::seconds max_watch_timeout{600};
  // Jittered exponential backoff between failed attempts; it starts over once no failure has
  // happened for backoff_reset.
  std::chrono::milliseconds initial_backoff{800};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds backoff_reset{120'000};
  // Time source of backoff waits and health periods; nullptr = real time.
  Clock* clock = nullptr;
  // For logs; defaults to the resource's plural.
  std::string name{};
};

struct WatcherStats {
  std::uint64_t events = 0;    // delivered: init objects, watch events and bookmarks
  std::uint64_t lists = 0;     // completed lists (the first one included)
  std::uint64_t relists = 0;   // lists after the first, started because the RV expired
  std::uint64_t restarts = 0;  // watches started again from the last RV
  std::uint64_t errors = 0;    // failed lists and watches, ERROR events, garbage
};

class Watcher {
 public:
  using Handler = std::function<void(const WatcherEvent& event)>;

  // `client` must outlive the watcher. The handler must not throw (an exception is logged and
  // the event counts as delivered) and must not call stop() and then wait for it.
  Watcher(Client& client, WatcherOptions options, Handler handler);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Starts the watcher's thread. Call once.
  void start();
  // Cancels the in-flight list or watch, wakes a backoff wait and joins the thread. Idempotent.
  // From inside the handler it only requests the stop (the thread ends after the handler).
  void stop();

  // The last resourceVersion seen (list, event or bookmark); where a resumed watch starts.
  std::string resource_version() const;
  // True once a list has completed (InitDone delivered).
  bool synced() const { return synced_.load(); }
  WatcherStats stats() const;

 private:
  enum class Outcome { kEnded, kGone, kFailed, kStopped };
  struct WatchResult {
    Outcome outcome = Outcome::kEnded;
    // Ended within a second without delivering anything: not a server timeout.
    bool quick = false;
    std::chrono::milliseconds retry_after{0};
  };

  void run();
  Status list_once();
  WatchResult watch_once();
  void deliver(const WatcherEvent& event);
  std::chrono::milliseconds next_backoff();
  void set_resource_version(std::string_view rv);

  Client& client_;
  WatcherOptions options_;
  Handler handler_;
  Clock& clock_;
  std::string name_;

  CancelSource cancel_;
  std::mutex join_mu_;  // stop() may race with itself (a shutdown hook and a destructor)
  std::thread thread_;
  std::atomic<bool> started_{false};
  std::atomic<bool> synced_{false};

  mutable std::mutex mu_;
  std::string resource_version_;

  // Backoff state, used by the watcher's thread only.
  int backoff_steps_ = 0;
  Clock::time_point last_backoff_{};
  std::uint64_t random_state_;

  std::atomic<std::uint64_t> events_{0};
  std::atomic<std::uint64_t> lists_{0};
  std::atomic<std::uint64_t> relists_{0};
  std::atomic<std::uint64_t> restarts_{0};
  std::atomic<std::uint64_t> errors_{0};
};

}  // namespace kube
