// EventRecorder: Events written by berth-sim's components, in the two shapes Kubernetes
// components use (see ../shared/fixtures/k8s-1.26/objects/events-*-list.json):
//  - core/v1, as kube-controller-manager's controllers write them: source.component, count,
//    first/lastTimestamp, no eventTime (ScalingReplicaSet, SuccessfulCreate, ...);
//  - events.k8s.io/v1, as kube-scheduler writes them: eventTime (MicroTime),
//    reportingController/Instance, action (Scheduled, FailedScheduling).
// Writes happen on one background thread with a bounded queue (events are best effort, as in
// client-go's broadcaster: a full queue drops), so recording never slows the caller.
// Events are named "<object>.<unix nanoseconds in hex>" and are not aggregated.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "kube/api/object.h"
#include "sim/cluster/local_client.h"

namespace berth::sim {

class EventSink {
 public:
  explicit EventSink(LocalClient client, std::size_t max_queued = 10000);
  ~EventSink();
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;

  // Queues an Event body for `resource` in `namespace_`; false when the queue is full.
  bool post(ResourcePtr resource, std::string namespace_, kube::json::Document body);
  // Waits until everything queued so far was written (tests), up to `timeout`.
  bool flush(std::chrono::milliseconds timeout);
  // Writes what is queued, then stops. Idempotent.
  void stop();
  const LocalClient& client() const { return client_; }

 private:
  struct Item {
    ResourcePtr resource;
    std::string namespace_;
    kube::json::Document body;
  };
  void run();

  LocalClient client_;
  std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Item> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

class EventRecorder {
 public:
  enum class Api { kCoreV1, kEventsV1 };
  // `component`: source.component (core/v1) or reportingController (events.k8s.io/v1);
  // `instance`: reportingInstance (events.k8s.io/v1).
  EventRecorder(EventSink& sink, Api api, std::string component, std::string instance = {});

  // `type` "Normal" or "Warning"; `action` is used by events.k8s.io/v1 only.
  void record(const kube::Object& regarding, std::string_view type, std::string_view reason,
              std::string_view action, std::string_view note);

 private:
  EventSink& sink_;
  Api api_;
  std::string component_;
  std::string instance_;
  ResourcePtr resource_;
};

}  // namespace berth::sim
