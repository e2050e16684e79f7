#include "sim/cluster/event_recorder.h"

#include <cstdio>

#include "kube/core/log.h"
#include "kube/core/time.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

EventSink::EventSink(LocalClient client, std::size_t max_queued)
    : client_(std::move(client)), max_queued_(max_queued) {
  thread_ = std::thread([this] { run(); });
}

EventSink::~EventSink() {
  stop();
}

bool EventSink::post(ResourcePtr resource, std::string namespace_, json::Document body) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(Item{std::move(resource), std::move(namespace_), std::move(body)});
  }
  cv_.notify_one();
  return true;
}

bool EventSink::flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return queue_.empty() && !busy_; });
}

void EventSink::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventSink::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping with nothing left
    Item item = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    auto r = client_.create(item.resource, item.namespace_, std::move(item.body));
    // A namespace being deleted refuses new events; that is expected and not worth a warning.
    if (!r.ok() && r.error().code != 403 && r.error().code != 404) {
      kube::log::v(2, "could not write an event", {{"error", r.error().message}});
    }
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

EventRecorder::EventRecorder(EventSink& sink, Api api, std::string component, std::string instance)
    : sink_(sink), api_(api), component_(std::move(component)), instance_(std::move(instance)) {
  resource_ = api == Api::kCoreV1 ? sink.client().resource("", "v1", "events")
                                  : sink.client().resource("events.k8s.io", "v1", "events");
}

void EventRecorder::record(const kube::Object& regarding, std::string_view type,
                           std::string_view reason, std::string_view action,
                           std::string_view note) {
  auto now = std::chrono::system_clock::now();
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  char suffix[24];
  std::snprintf(suffix, sizeof(suffix), ".%llx", static_cast<unsigned long long>(nanos.count()));
  std::string ns(regarding.namespace_());
  if (ns.empty()) ns = "default";

  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  Value& meta = json::ensure_object(doc, "metadata", a);
  json::set_string(meta, "name", std::string(regarding.name()) + suffix, a);
  json::set_string(meta, "namespace", ns, a);
  Value ref(rapidjson::kObjectType);
  json::set_string(ref, "kind", regarding.kind(), a);
  if (!regarding.namespace_().empty())
    json::set_string(ref, "namespace", regarding.namespace_(), a);
  json::set_string(ref, "name", regarding.name(), a);
  json::set_string(ref, "uid", regarding.uid(), a);
  json::set_string(ref, "apiVersion", regarding.api_version(), a);
  json::set_string(ref, "resourceVersion", regarding.resource_version(), a);
  if (api_ == Api::kCoreV1) {
    std::string ts = kube::format_time(now);
    json::set(doc, "involvedObject", std::move(ref), a);
    json::set_string(doc, "reason", reason, a);
    json::set_string(doc, "message", note, a);
    json::set_string(json::ensure_object(doc, "source", a), "component", component_, a);
    json::set_string(doc, "firstTimestamp", ts, a);
    json::set_string(doc, "lastTimestamp", ts, a);
    json::set(doc, "count", Value(1), a);
    json::set_string(doc, "type", type, a);
  } else {
    json::set_string(doc, "eventTime", kube::format_micro_time(now), a);
    json::set_string(doc, "reportingController", component_, a);
    json::set_string(doc, "reportingInstance", instance_, a);
    json::set_string(doc, "action", action, a);
    json::set_string(doc, "reason", reason, a);
    json::set(doc, "regarding", std::move(ref), a);
    json::set_string(doc, "note", note, a);
    json::set_string(doc, "type", type, a);
  }
  if (!sink_.post(resource_, std::move(ns), std::move(doc))) {
    kube::log::v(2, "event queue full; dropping an event", {{"reason", reason}});
  }
}

}  // namespace berth::sim
