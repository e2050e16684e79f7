// WatchHub: the event history window and the fan-out of events to watch streams.
//
// Writers (the Store, under its lock) publish() each committed change; that only appends to a
// bounded ring and wakes the dispatcher thread, so writers never wait for sockets. The
// dispatcher encodes each event once per encoder and queues it on every matching stream, sends
// bookmarks and ends streams at their deadline. A stream whose unsent backlog exceeds
// max_pending_bytes is ended (the client re-watches from its last resourceVersion), so one
// slow watcher cannot grow memory without bound or hold back the others.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kube/api/object.h"
#include "kube/http/server.h"
#include "sim/apiserver/api_error.h"

namespace berth::sim {

enum class EventType { kAdded, kModified, kDeleted };
std::string_view event_type_name(EventType type);  // "ADDED", "MODIFIED", "DELETED"

// One committed change. For kDeleted, `object` is the last state stamped with the
// resourceVersion of the deletion.
struct WatchEvent {
  EventType type = EventType::kAdded;
  std::int64_t rv = 0;
  std::string table;  // storage table (ResourceInfo::storage_table)
  std::string key;    // "namespace/name" or "name"
  kube::Object object;
  kube::Object previous;  // state before the change; null for kAdded
};
using EventPtr = std::shared_ptr<const WatchEvent>;

// Renders events for one kind of watch response (JSON lines here; Table rows elsewhere).
class EventEncoder {
 public:
  virtual ~EventEncoder() = default;
  // One chunk, newline-terminated.
  virtual std::string encode(EventType type, const kube::Object& object) const = 0;
  virtual std::string bookmark(std::int64_t rv) const = 0;
};

// `{"type":"ERROR","object":<Status>}\n` - how a watch reports 410 over an HTTP 200 stream.
std::string watch_error_event(const ApiError& error);

struct WatchSpec {
  std::string table;
  std::string namespace_;  // empty = every namespace
  // Label/field selectors; empty = everything matches.
  std::function<bool(const kube::Object&)> matches{};
  std::shared_ptr<const EventEncoder> encoder;
  std::shared_ptr<kube::http::ChunkedStream> stream;
  // Events with a resourceVersion above this are delivered.
  std::int64_t start_rv = 0;
  // Sent as ADDED before anything else (watch from resourceVersion unset or "0").
  std::vector<kube::Object> initial{};
  bool bookmarks = false;
  std::chrono::steady_clock::time_point deadline{};
};

struct WatchHubOptions {
  std::size_t history = 10000;  // events kept for watches that resume from a resourceVersion
  std::size_t max_pending_bytes = 32 * 1024 * 1024;
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(60)};
  std::chrono::milliseconds bookmark_before_deadline{std::chrono::seconds(2)};
};

class WatchHub {
 public:
  explicit WatchHub(WatchHubOptions options = {});
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Appends a committed event (resourceVersions strictly increasing) and wakes the
  // dispatcher. Cheap: called with the store's lock held.
  void publish(EventPtr event);

  // Registers a watch. Fails with 410 Expired ("too old resource version: R (C)") when events
  // after start_rv have already left the history window.
  ApiStatus add(WatchSpec spec);

  // Events of `table` with resourceVersion > since, oldest first; nullopt when some of them
  // have left the window.
  std::optional<std::vector<EventPtr>> events_since(const std::string& table,
                                                    std::int64_t since) const;
  // Highest resourceVersion that has left the window (0 while nothing has).
  std::int64_t compacted_rv() const;
  // The last resourceVersion written to `table` (0 if none since start).
  std::int64_t table_rv(const std::string& table) const;
  std::size_t watcher_count() const;

  // Drops the history up to and including `rv` (which may be past the last published event):
  // watches from older versions get 410, and open watches behind it are ended. Store::compact
  // calls this under its lock.
  void compact(std::int64_t rv);

  // Ends every stream and stops the dispatcher. Idempotent.
  void stop();

 private:
  struct Watcher;
  void run();
  void deliver(Watcher& w, const WatchEvent& event);
  bool send(Watcher& w, std::string chunk);
  void close(Watcher& w);

  WatchHubOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<EventPtr> ring_;
  std::int64_t compacted_rv_ = 0;
  std::int64_t published_rv_ = 0;
  std::unordered_map<std::string, std::int64_t> table_rv_;
  std::vector<std::shared_ptr<Watcher>> pending_;
  std::atomic<std::size_t> watcher_count_{0};
  bool stopping_ = false;

  // Dispatcher-thread state.
  std::int64_t dispatched_rv_ = 0;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Watcher>>> active_;
  std::thread thread_;
};

// The JSON-lines encoder for a resource: {"type":"ADDED","object":{...}}; bookmarks are an
// empty object of the kind carrying only the resourceVersion (built-in kinds add
// "creationTimestamp":null, pods also "spec":{"containers":null},"status":{}).
class JsonEventEncoder : public EventEncoder {
 public:
  // `transform` turns a stored object into its served form (conversion); may be null.
  JsonEventEncoder(std::string api_version, std::string kind, bool custom,
                   std::function<std::string(const kube::Object&)> render);
  std::string encode(EventType type, const kube::Object& object) const override;
  std::string bookmark(std::int64_t rv) const override;

 private:
  std::string api_version_;
  std::string kind_;
  bool custom_;
  std::function<std::string(const kube::Object&)> render_;
};

}  // namespace berth::sim
