// LocalInformer: the in-process counterpart of a shared informer for berth-sim's components.
// It hooks the API server's commits (ObjectApi::on_commit: every successful write, without
// encoding), lists the store once, and then keeps a cache of the chosen resources with
// indexes, calling handlers for each change from one dispatcher thread. Components read the
// cache and do their work on their own threads; handlers only enqueue.
//
// Commit hooks run on the writers' threads, so two racing writers may report their commits
// out of order; the cache applies a change only when its resourceVersion is newer than what it
// holds for that key (deletions leave short-lived tombstones), so each key moves forward only
// and handlers see every object's states in order. Like a real informer the cache lags the
// store a little: a component that has just written an object may not see the write yet
// (expectations in the ReplicaSet controller exist for exactly that).
//
// Objects are the stored form (for the built-in kinds Berth simulates, the served form).
// Reads are thread-safe; handlers and indexes are registered before start().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kube/api/object.h"
#include "sim/apiserver/object_api.h"

namespace berth::sim {

struct LocalEvent {
  EventType type = EventType::kAdded;
  kube::Object object;  // the new state (for kDeleted: the last state)
  // The state the cache held before (what handlers saw last); null for kAdded.
  kube::Object previous;
  bool initial = false;  // from the initial list rather than a change
};

class LocalInformer {
 public:
  using Handler = std::function<void(const LocalEvent& event)>;
  // Index values of an object (none = not indexed).
  using IndexFunc = std::function<std::vector<std::string>(const kube::Object& object)>;

  explicit LocalInformer(ObjectApi& api);
  ~LocalInformer();
  LocalInformer(const LocalInformer&) = delete;
  LocalInformer& operator=(const LocalInformer&) = delete;

  // Before start(). Several handlers per resource run in registration order.
  void add_handler(const ResourcePtr& resource, Handler handler);
  void add_index(const ResourcePtr& resource, std::string name, IndexFunc index);
  // Caches `resource` without handlers.
  void track(const ResourcePtr& resource);

  // Subscribes, lists, delivers every existing object as an initial kAdded (on the calling
  // thread) and starts the dispatcher. Call once.
  void start();
  // Stops delivering; handlers are not called after it returns. Idempotent.
  void stop();

  // "namespace/name" or "name". Null when absent.
  kube::Object get(const ResourcePtr& resource, std::string_view key) const;
  std::vector<kube::Object> list(const ResourcePtr& resource) const;
  std::vector<kube::Object> by_index(const ResourcePtr& resource, std::string_view index,
                                     std::string_view value) const;
  std::size_t size(const ResourcePtr& resource) const;
  // The resourceVersion of the last change delivered (tests wait on it).
  std::int64_t delivered_rv() const;

 private:
  struct Index {
    IndexFunc fn;
    std::unordered_map<std::string, std::unordered_set<std::string>> values;  // value -> keys
    std::unordered_map<std::string, std::vector<std::string>> of_key;         // key -> values
  };
  struct Table {
    std::unordered_map<std::string, kube::Object> objects;
    std::unordered_map<std::string, Index> indexes;
    std::vector<Handler> handlers;
    std::int64_t listed_rv = 0;
    // Deleted keys and the resourceVersion of their deletion, so that a late report of an
    // older change cannot bring them back.
    std::unordered_map<std::string, std::int64_t> tombstones;
  };
  struct Change {
    std::string table;
    EventType type;
    kube::Object object;
    std::int64_t rv;
  };
  // Shared with the commit hook, which outlives this informer.
  struct Feed {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Change> changes;
    std::unordered_set<std::string> tables;
    bool stopped = false;
  };

  Table& table(const ResourcePtr& resource);
  const Table* find_table(const ResourcePtr& resource) const;
  static void apply(Table& t, const std::string& key, const kube::Object* object);
  void run();

  ObjectApi& api_;
  std::shared_ptr<Feed> feed_;
  mutable std::shared_mutex mu_;  // guards tables_ contents
  std::unordered_map<std::string, Table> tables_;
  std::atomic<std::int64_t> delivered_rv_{0};
  bool started_ = false;
  std::thread thread_;
};

}  // namespace berth::sim
