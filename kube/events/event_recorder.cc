#include "kube/events/event_recorder.h"

#include <algorithm>
#include <cstdio>

#include "kube/api/resource.h"
#include "kube/core/log.h"

namespace kube {
namespace {

// The apiserver's limit on an Event message (events.k8s.io validation; client-go truncates the
// same way for both APIs).
constexpr std::size_t kMaxMessageBytes = 1024;

std::string truncate_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
    --cut;
  return std::string(s.substr(0, cut));
}

class ClientSink final : public EventSink {
 public:
  explicit ClientSink(Client& client) : client_(client) {}
  Result<Object> create(std::string_view ns, const json::Value& event,
                        const CancelToken& cancel) override {
    KUBE_ASSIGN_OR_RETURN(HttpResponse r,
                          client_.request("POST", resources::kEvents.path(ns), json::dump(event),
                                          "application/json", cancel));
    return Object::parse(r.body);
  }
  Result<Object> patch(std::string_view ns, std::string_view name, std::string_view merge_patch,
                       const CancelToken& cancel) override {
    KUBE_ASSIGN_OR_RETURN(HttpResponse r,
                          client_.request("PATCH", resources::kEvents.path(ns, name), merge_patch,
                                          "application/merge-patch+json", cancel));
    return Object::parse(r.body);
  }

 private:
  Client& client_;
};

}  // namespace

std::unique_ptr<EventSink> EventSink::for_client(Client& client) {
  return std::make_unique<ClientSink>(client);
}

struct EventRecorder::Pending {
  std::string namespace_;   // where the Event lives
  std::string object_name;  // for the Event's name
  std::string series_key;   // object + type + reason + message
  json::Document involved;  // involvedObject
  EventType type = EventType::kNormal;
  std::string reason;
  std::string message;
  SystemTime when;  // of the call to event(), not of the write
};

struct EventRecorder::Series {
  std::string key;
  std::string namespace_;
  std::string name;  // of the Event in the apiserver
  std::int64_t count = 0;
  std::string first_timestamp;
  Clock::time_point last_seen;
};

struct EventRecorder::Metrics {
  explicit Metrics(metrics::Registry& r)
      : family(r.counter_vec("berth_events_total",
                             "Events handed to the event recorder, by what became of them.",
                             {"result"})),
        created(family.with_labels({"created"})),
        aggregated(family.with_labels({"aggregated"})),
        dropped_spam(family.with_labels({"dropped_spam"})),
        dropped_full(family.with_labels({"dropped_queue_full"})),
        failed(family.with_labels({"failed"})) {}
  metrics::CounterVec& family;
  metrics::Counter& created;
  metrics::Counter& aggregated;
  metrics::Counter& dropped_spam;
  metrics::Counter& dropped_full;
  metrics::Counter& failed;
};

EventRecorder::EventRecorder(std::unique_ptr<EventSink> sink, EventRecorderOptions options)
    : sink_(std::move(sink)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::real()) {
  if (options_.metrics != nullptr) metrics_ = std::make_unique<Metrics>(*options_.metrics);
  if (options_.spam_burst < 1) options_.spam_burst = 1;
  thread_ = std::thread([this] { run(); });
}

EventRecorder::~EventRecorder() {
  stop();
}

SystemTime EventRecorder::wall_now() const {
  return options_.wall_clock ? options_.wall_clock() : std::chrono::system_clock::now();
}

bool EventRecorder::allow_locked(const std::string& object_key, Clock::time_point now) {
  const double burst = options_.spam_burst;
  auto refill = [&](Bucket& b) {
    if (options_.spam_refill > Clock::duration::zero()) {
      double earned = std::chrono::duration<double>(now - b.updated).count() /
                      std::chrono::duration<double>(options_.spam_refill).count();
      b.tokens = std::min(burst, b.tokens + earned);
    }
    b.updated = now;
  };
  // Objects whose bucket has filled up again behave like unknown ones: forget them.
  if (buckets_.size() > 2 * options_.cache_size) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      refill(it->second);
      it = it->second.tokens >= burst ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, inserted] = buckets_.try_emplace(object_key, Bucket{burst, now});
  if (!inserted) refill(it->second);
  if (it->second.tokens < 1) return false;
  it->second.tokens -= 1;
  return true;
}

void EventRecorder::event(const Object& regarding, EventType type, std::string_view reason,
                          std::string_view message) {
  Pending e;
  e.when = wall_now();
  e.namespace_ = regarding.namespace_().empty() ? "default" : std::string(regarding.namespace_());
  e.object_name = std::string(regarding.name());
  e.type = type;
  e.reason = std::string(reason);
  e.message = truncate_utf8(message, kMaxMessageBytes);
  e.involved.SetObject();
  auto& a = e.involved.GetAllocator();
  json::set_string(e.involved, "kind", regarding.kind(), a);
  if (!regarding.namespace_().empty()) {
    json::set_string(e.involved, "namespace", regarding.namespace_(), a);
  }
  json::set_string(e.involved, "name", regarding.name(), a);
  if (!regarding.uid().empty()) json::set_string(e.involved, "uid", regarding.uid(), a);
  json::set_string(e.involved, "apiVersion", regarding.api_version(), a);
  if (!regarding.resource_version().empty()) {
    json::set_string(e.involved, "resourceVersion", regarding.resource_version(), a);
  }
  std::string object_key = options_.component + "\x1f" + std::string(regarding.kind()) + "\x1f" +
                           std::string(regarding.namespace_()) + "\x1f" + e.object_name + "\x1f" +
                           std::string(regarding.uid());
  e.series_key = object_key + "\x1f" + (type == EventType::kNormal ? "N" : "W") + "\x1f" +
                 e.reason + "\x1f" + e.message;

  Clock::time_point now = clock_.now();
  std::lock_guard lock(mu_);
  if (stopping_) return;
  if (!allow_locked(object_key, now)) {
    if (metrics_) metrics_->dropped_spam.inc();
    log::v(2, "event dropped by the per-object spam filter",
           {{"object", regarding.key()}, {"reason", e.reason}});
    return;
  }
  if (queue_.size() >= options_.queue_size) {
    if (metrics_) metrics_->dropped_full.inc();
    log::v(1, "event dropped: queue full", {{"object", regarding.key()}, {"reason", e.reason}});
    return;
  }
  queue_.push_back(std::move(e));
  cv_.notify_one();
}

Result<Object> EventRecorder::create(Pending& e, std::int64_t count,
                                     const std::string& first_timestamp) {
  SystemTime wall = e.when;
  std::string last_timestamp = format_time(wall);
  // "<object>.<hex unix nanos>" as Kubernetes names Events; strictly increasing per recorder so
  // two events in one clock tick never collide.
  auto nanos = static_cast<unsigned long long>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count());
  nanos = std::max(nanos, last_name_nanos_ + 1);
  last_name_nanos_ = nanos;
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%llx", nanos);

  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "apiVersion", "v1", a);
  json::set_string(doc, "kind", "Event", a);
  json::Value& metadata = json::ensure_object(doc, "metadata", a);
  json::set_string(metadata, "name", e.object_name + suffix, a);
  json::set_string(metadata, "namespace", e.namespace_, a);
  json::set(doc, "involvedObject", json::Value(e.involved, a), a);
  json::set_string(doc, "reason", e.reason, a);
  json::set_string(doc, "message", e.message, a);
  json::set_string(doc, "type", e.type == EventType::kNormal ? "Normal" : "Warning", a);
  json::Value& source = json::ensure_object(doc, "source", a);
  json::set_string(source, "component", options_.component, a);
  if (!options_.host.empty()) json::set_string(source, "host", options_.host, a);
  json::set_string(doc, "firstTimestamp",
                   first_timestamp.empty() ? last_timestamp : first_timestamp, a);
  json::set_string(doc, "lastTimestamp", last_timestamp, a);
  json::set(doc, "count", json::Value(count), a);
  return sink_->create(e.namespace_, doc, cancel_.token());
}

void EventRecorder::write(Pending& e) {
  Clock::time_point now = clock_.now();
  auto it = series_.find(e.series_key);
  bool recent = it != series_.end() && now - it->second->last_seen <= options_.aggregation_window;
  std::int64_t count = 1;
  std::string first_timestamp;
  if (recent) {
    Series& s = *it->second;
    count = s.count + 1;
    first_timestamp = s.first_timestamp;
    std::string patch = R"({"count":)" + std::to_string(count) + R"(,"lastTimestamp":")" +
                        format_time(e.when) + "\"}";
    auto patched = sink_->patch(s.namespace_, s.name, patch, cancel_.token());
    if (patched.ok()) {
      s.count = count;
      s.last_seen = now;
      series_lru_.splice(series_lru_.end(), series_lru_, it->second);
      if (metrics_) metrics_->aggregated.inc();
      return;
    }
    if (!patched.error().is_not_found()) {
      if (metrics_) metrics_->failed.inc();
      log::v(1, "event update failed", {{"event", s.name}, {"error", patched.error().to_string()}});
      return;
    }
    // The Event expired (the apiserver keeps them an hour): write it again, count included.
  }
  auto created = create(e, count, first_timestamp);
  if (!created.ok()) {
    if (metrics_) metrics_->failed.inc();
    log::v(1, "event write failed", {{"reason", e.reason}, {"error", created.error().to_string()}});
    return;
  }
  if (metrics_) metrics_->created.inc();
  Series s{e.series_key,
           e.namespace_,
           std::string(created->name()),
           count,
           first_timestamp.empty()
               ? std::string(json::get_string(created->json(), "firstTimestamp"))
               : first_timestamp,
           now};
  if (it != series_.end()) {
    *it->second = std::move(s);
    series_lru_.splice(series_lru_.end(), series_lru_, it->second);
    return;
  }
  series_lru_.push_back(std::move(s));
  series_.emplace(series_lru_.back().key, std::prev(series_lru_.end()));
  if (series_.size() > options_.cache_size) {
    series_.erase(series_lru_.front().key);
    series_lru_.pop_front();
  }
}

void EventRecorder::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() || cancel_.cancelled()) break;
    Pending e = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    write(e);
    lock.lock();
    writing_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  if (!queue_.empty() && metrics_) metrics_->failed.inc(static_cast<double>(queue_.size()));
  queue_.clear();
  writing_ = false;
  idle_cv_.notify_all();
}

bool EventRecorder::flush(Clock::duration timeout) {
  Clock::time_point deadline = clock_.now() + timeout;
  std::unique_lock lock(mu_);
  while (!queue_.empty() || writing_) {
    if (clock_.now() >= deadline) return false;
    clock_.wait_until(idle_cv_, lock, deadline);
  }
  return true;
}

void EventRecorder::stop(Clock::duration drain) {
  std::call_once(stop_once_, [&] {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    flush(drain);
    cancel_.cancel();
    {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    }
    thread_.join();
  });
}

}  // namespace kube
