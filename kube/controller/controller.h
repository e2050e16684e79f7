// Controller: a work queue, N workers calling a Reconciler, and the informer handlers that feed
// the queue (controller-runtime's controller.Controller). Usually built with ControllerBuilder
// (builder.h) and run by the Manager, which starts it once caches are synced and this process
// leads, and stops it on shutdown or when the lease is lost.
//
// Per request: a successful reconcile forgets the key's backoff (and re-adds it after
// requeue_after when set); an error, an exception or `requeue` re-adds it rate-limited
// (per-key exponential 5 ms .. 1000 s, overall 10 qps / burst 100). The queue guarantees one
// worker per key and that a key added while it is being reconciled is reconciled again.
//
// Metrics (labelled controller=<name>): controller_runtime_reconcile_total{result=success|
// error|requeue|requeue_after}, controller_runtime_reconcile_errors_total,
// controller_runtime_reconcile_panics_total (exceptions),
// controller_runtime_reconcile_time_seconds, controller_runtime_max_concurrent_reconciles,
// controller_runtime_active_workers, and the queue's workqueue_* metrics.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/cache/informer.h"
#include "kube/client/cancel.h"
#include "kube/clock/clock.h"
#include "kube/controller/reconciler.h"
#include "kube/metrics/registry.h"
#include "kube/queue/work_queue.h"

namespace kube {

struct ControllerOptions {
  std::string name;  // required: metrics label and queue name
  int workers = 1;   // concurrent reconciles (>= 1)
  // Where the metrics go; a private registry (not served) when null. Must outlive the
  // controller.
  metrics::Registry* metrics = nullptr;
  // Time source of the queue, delays and durations; real time when null.
  Clock* clock = nullptr;
  // Retry delays; default_controller_rate_limiter when null.
  std::unique_ptr<RateLimiter> rate_limiter{};
};

// Turns one informer event into the requests to reconcile. `old_object` is null except for
// updates (where both states are mapped, so a change of owner or label reaches both sides).
using EventMapper =
    std::function<void(const Object* old_object, const Object& object, std::vector<Request>& out)>;

class Controller {
 public:
  // Throws std::invalid_argument for an empty name, workers < 1 or a null reconciler.
  Controller(ControllerOptions options, std::shared_ptr<Reconciler> reconciler);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const std::string& name() const { return name_; }

  // Feeds the queue from `informer` through `mapper` once the controller starts (the informer
  // replays its cache to the handler then, so nothing is missed). Call before start().
  void watch(Informer& informer, EventMapper mapper);
  // The informers the controller watches (the manager waits for them to sync).
  std::vector<Informer*> informers() const;

  // Queues a request directly (a timer, an external trigger).
  void enqueue(const Request& request);
  void enqueue_after(const Request& request, Clock::duration delay);

  // Registers the informer handlers and starts the workers. `stop` (e.g. the manager's
  // leadership token) aborts the controller when it fires. Call once.
  void start(const CancelToken& stop = {});
  // Stops taking work at once: cancels the reconcile context and shuts the queue down without
  // waiting. In-flight reconciles run to their end (their context says cancelled). Safe from
  // any thread, including a reconcile.
  void abort();
  // Graceful stop: the queue stops handing out keys and in-flight reconciles get up to `drain`
  // to finish; then the context is cancelled and the workers are joined. Returns true when
  // every reconcile finished within `drain`. Idempotent; the destructor calls stop(0).
  bool stop(Clock::duration drain);

  // Started and neither stopped nor aborted.
  bool running() const { return running_.load() && !cancel_.cancelled(); }
  WorkQueue& queue() { return *queue_; }

 private:
  struct Metrics;
  struct Source {
    Informer* informer;
    EventMapper mapper;
  };

  void run_worker();
  void process(const std::string& key);
  void add_all(const std::vector<Request>& requests);

  std::string name_;
  int workers_;
  std::shared_ptr<Reconciler> reconciler_;
  Clock& clock_;
  std::unique_ptr<metrics::Registry> own_registry_;  // when no registry was given
  std::unique_ptr<Metrics> metrics_;
  std::shared_ptr<WorkQueue> queue_;  // shared with the stop-token callback
  CancelSource cancel_;

  mutable std::mutex mu_;
  std::vector<Source> sources_;
  std::vector<Informer::Registration> registrations_;
  std::vector<std::thread> threads_;
  CancelToken::Registration stop_registration_;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> running_{false};
};

}  // namespace kube
