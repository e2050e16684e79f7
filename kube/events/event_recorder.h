// EventRecorder: core/v1 Events as controllers write them (client-go's record.EventRecorder,
// kube-rs's Recorder): `kubectl describe` shows them under the object.
//
//   recorder.event(deployment, kube::EventType::kNormal, "ConfigHashUpdated",
//                  "rolled the pod template to config hash 3f2a...");
//
// - Asynchronous: event() copies what it needs into a bounded queue and returns; one thread
//   writes. A full queue drops the event (counted) - reconciles never wait on events.
// - Aggregated: the same (object, type, reason, message) again within the aggregation window
//   increments `count` and moves `lastTimestamp` with a merge PATCH of the existing Event
//   instead of creating another (a recreated Event keeps the count if the old one is gone).
// - Spam-filtered: each object has a token bucket (burst 25, one more every 5 minutes); events
//   beyond it are dropped (counted), so a hot loop cannot flood etcd.
// Metrics: berth_events_total{result=created|aggregated|dropped_spam|dropped_queue_full|failed}.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "kube/api/object.h"
#include "kube/client/client.h"
#include "kube/clock/clock.h"
#include "kube/core/result.h"
#include "kube/core/time.h"
#include "kube/metrics/registry.h"

namespace kube {

enum class EventType { kNormal, kWarning };

// Where Events go: the apiserver (for_client) or a test double.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // POST /api/v1/namespaces/<ns>/events.
  virtual Result<Object> create(std::string_view namespace_, const json::Value& event,
                                const CancelToken& cancel) = 0;
  // Merge PATCH of an existing Event.
  virtual Result<Object> patch(std::string_view namespace_, std::string_view name,
                               std::string_view merge_patch, const CancelToken& cancel) = 0;
  // `client` must outlive the sink.
  static std::unique_ptr<EventSink> for_client(Client& client);
};

struct EventRecorderOptions {
  // source.component: who reports ("berth-controller").
  std::string component{};
  // source.host, optional (a node name for node-local agents).
  std::string host{};
  Clock::duration aggregation_window = std::chrono::minutes(10);
  // Per-object token bucket.
  int spam_burst = 25;
  Clock::duration spam_refill = std::chrono::minutes(5);
  std::size_t queue_size = 1000;
  // Distinct (object, type, reason, message) series remembered for aggregation.
  std::size_t cache_size = 4096;
  Clock* clock = nullptr;                    // real time when null
  std::function<SystemTime()> wall_clock{};  // timestamps; system_clock when unset
  metrics::Registry* metrics = nullptr;      // none when null; must outlive the recorder
};

class EventRecorder {
 public:
  EventRecorder(std::unique_ptr<EventSink> sink, EventRecorderOptions options);
  // Writes what is queued for up to a second, then stops.
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Records an event about `regarding` (its kind, apiVersion, namespace, name, uid and
  // resourceVersion become involvedObject). Never blocks on I/O; thread-safe. Events about
  // cluster-scoped objects go to namespace "default", as Kubernetes does.
  void event(const Object& regarding, EventType type, std::string_view reason,
             std::string_view message);

  // Waits until every event queued so far has been written or dropped, up to `timeout`.
  bool flush(Clock::duration timeout);
  // Stops the writer after at most `drain` of writing what is queued. Idempotent.
  void stop(Clock::duration drain = std::chrono::seconds(1));

 private:
  struct Pending;
  struct Series;
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  struct Metrics;

  bool allow_locked(const std::string& object_key, Clock::time_point now);
  void run();
  void write(Pending& e);
  Result<Object> create(Pending& e, std::int64_t count, const std::string& first_timestamp);
  SystemTime wall_now() const;

  std::unique_ptr<EventSink> sink_;
  EventRecorderOptions options_;
  Clock& clock_;
  std::unique_ptr<Metrics> metrics_;

  std::mutex mu_;
  std::condition_variable cv_;       // writer: work or stop
  std::condition_variable idle_cv_;  // flush: queue drained
  std::deque<Pending> queue_;
  bool writing_ = false;
  bool stopping_ = false;
  Clock::time_point drain_deadline_{};
  std::unordered_map<std::string, Bucket> buckets_;  // per object

  // Writer thread only: the aggregation cache, least recently used first.
  std::list<Series> series_lru_;
  std::unordered_map<std::string, std::list<Series>::iterator> series_;
  unsigned long long last_name_nanos_ = 0;

  std::once_flag stop_once_;
  CancelSource cancel_;  // aborts the write in flight once the drain time is up
  std::thread thread_;
};

}  // namespace kube
