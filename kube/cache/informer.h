// Informer: a Watcher feeding a Store, plus event handlers - client-go's SharedIndexInformer,
// kube-rs's reflector + watcher. Controllers read the cache (get, list, by_index) instead of
// the apiserver and register handlers that turn changes into work-queue keys.
//
// Data flow: Watcher thread -> apply() (transform, update the Store, queue notifications) ->
// dispatch thread -> handlers. The watch thread never waits for a handler: notifications queue
// up (pending_notifications()) while a handler is slow. One dispatch thread per informer calls
// the handlers in event order, so each object's adds, updates and deletes arrive in the order
// the apiserver made them.
//
// Relists are diffs: after a 410 Gone the Watcher lists again; every listed object that is new
// or changed becomes an add or update, and every cached object missing from the new list
// becomes a delete carrying its last cached state (final_state_unknown = true). A delete that
// happened while the watch was gone is therefore never lost.
//
//   kube::Informer pods(&client, {.type = kube::resources::kPods});
//   pods.add_index(kube::indexers::kPodNodeName, kube::indexers::pod_node_name);
//   auto reg = pods.add_event_handler({.on_add = [&](const kube::Object& p, bool) {
//     queue.add(p.key());
//   }});
//   pods.start();
//   ... once pods.has_synced(): pods.store().by_index(kube::indexers::kPodNodeName, "node-1")
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "kube/api/object.h"
#include "kube/api/resource.h"
#include "kube/cache/store.h"
#include "kube/cache/transform.h"
#include "kube/client/cancel.h"
#include "kube/client/client.h"
#include "kube/clock/clock.h"
#include "kube/watch/watcher.h"

namespace kube {

// Callbacks of one consumer; unset members are skipped. They run on the informer's dispatch
// thread, one at a time, and should only do quick work (queue a key). An exception is caught
// and logged.
struct ResourceEventHandler {
  // `in_initial_list`: the object came from a list (the first one, a relist, or the replay of
  // the cache to a handler added late), not from a watch event.
  std::function<void(const Object& object, bool in_initial_list)> on_add{};
  std::function<void(const Object& old_object, const Object& new_object)> on_update{};
  // `last_known`: the object's final state from the DELETED event or, when the delete was
  // inferred from a relist (final_state_unknown), the last state the cache held.
  std::function<void(const Object& last_known, bool final_state_unknown)> on_delete{};
};

struct InformerOptions {
  ResourceType type{};
  std::string namespace_{};  // "" = all namespaces
  std::string label_selector{};
  std::string field_selector{};
  // Applied to each object before caching; null = cache objects as received.
  Transform transform = strip_bulk;
  std::size_t shards = Store::kDefaultShards;
  // Passed to the Watcher (page size, watch timeouts, backoff, clock); its type, namespace and
  // selectors are taken from the fields above.
  WatcherOptions watcher{};
  // For logs and metrics; defaults to "<plural>[.<group>][/<namespace>][?<selectors>]".
  std::string name{};
};

class Informer {
 private:
  struct HandlerEntry;

 public:
  // Keeps a handler registered; destroying or reset()ting it removes the handler and waits
  // until a call to it that is running on the dispatch thread has returned (unless that is the
  // calling thread). Must not outlive the Informer.
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& other) noexcept;
    Registration& operator=(Registration&& other) noexcept;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration() { reset(); }
    void reset();

   private:
    friend class Informer;
    Registration(Informer* informer, std::shared_ptr<HandlerEntry> entry)
        : informer_(informer), entry_(std::move(entry)) {}
    Informer* informer_ = nullptr;
    std::shared_ptr<HandlerEntry> entry_;
  };

  // With a client, start() runs a Watcher through it (`client` must outlive the informer).
  // Without one (nullptr), events come only from apply() - for tests and other sources.
  Informer(Client* client, InformerOptions options);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  const std::string& name() const { return name_; }
  const ResourceType& type() const { return options_.type; }
  const InformerOptions& options() const { return options_; }

  // The cache. Readers use it from any thread; writes belong to the informer.
  const Store& store() const { return store_; }
  // Store::add_index; safe at any time (existing objects are indexed at once).
  bool add_index(std::string name, IndexFunc fn) { return store_.add_index(std::move(name), fn); }

  // Registers a handler. Objects already cached are replayed to it as adds (in_initial_list)
  // before any later event, so a handler added after start misses nothing.
  [[nodiscard]] Registration add_event_handler(ResourceEventHandler handler);

  // Starts the dispatch thread and, with a client, the Watcher. Idempotent.
  void start();
  // Stops the Watcher (its in-flight request is aborted) and the dispatch thread; queued
  // notifications are dropped. Idempotent; the destructor calls it. From inside a handler it
  // only asks the dispatch thread to end (the informer must then outlive that handler call).
  void stop();

  // True once the first list has been applied to the store (and its notifications queued).
  bool has_synced() const { return synced_.load(); }
  // Blocks until has_synced(), `cancel` fires or `timeout` passes on the informer's clock.
  bool wait_for_sync(Clock::duration timeout, const CancelToken& cancel = {});

  // Applies one Watcher event (what the Watcher's handler calls). Thread-safe, but events
  // must come from one source in order.
  void apply(const WatcherEvent& event);

  // Notifications queued for the dispatch thread and not yet handled.
  std::size_t pending_notifications() const;
  // Zeros without a Watcher.
  WatcherStats watch_stats() const;

 private:
  enum class Kind { kAdd, kUpdate, kDelete, kReplay };
  struct Notification {
    Kind kind;
    Object object;      // add: the object; update: new; delete: last known
    Object old_object;  // update only
    bool flag = false;  // add: in_initial_list; delete: final_state_unknown
    std::uint64_t seq = 0;
    std::shared_ptr<HandlerEntry> target;  // replay only
    std::vector<Object> replay;
  };

  void notify_locked(Kind kind, Object object, Object old_object, bool flag);
  void run_dispatch();
  void deliver(HandlerEntry& entry, const Notification& n);
  void remove_handler(const std::shared_ptr<HandlerEntry>& entry);
  void set_synced();

  InformerOptions options_;
  Client* client_;
  Clock& clock_;
  std::string name_;
  Store store_;
  std::unique_ptr<Watcher> watcher_;

  // Serializes apply() with handler registration, so a new handler's replay is exactly the
  // cache state before the first notification it receives.
  std::mutex apply_mu_;
  std::unordered_set<std::string> listed_;  // keys seen since the last InitStart
  std::uint64_t next_seq_ = 1;

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Notification> queue_;
  std::size_t pending_ = 0;  // queued plus the dispatcher's batch not yet delivered
  bool stopping_ = false;

  std::mutex handlers_mu_;
  std::vector<std::shared_ptr<HandlerEntry>> handlers_;
  std::uint64_t handlers_version_ = 0;

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::atomic<bool> synced_{false};

  mutable std::mutex lifecycle_mu_;
  bool started_ = false;
  bool stopped_ = false;
  std::thread dispatcher_;
};

}  // namespace kube
