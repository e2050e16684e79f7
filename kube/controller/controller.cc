#include "kube/controller/controller.h"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "kube/core/log.h"

namespace kube {
namespace {

// Reconciles range from microseconds (nothing to do) to tens of seconds (several API calls
// behind a throttled client).
std::vector<double> reconcile_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

struct Controller::Metrics {
  Metrics(metrics::Registry& r, const std::string& name, int workers)
      : success(total(r).with_labels({name, "success"})),
        error(total(r).with_labels({name, "error"})),
        requeue(total(r).with_labels({name, "requeue"})),
        requeue_after(total(r).with_labels({name, "requeue_after"})),
        errors(r.counter_vec("controller_runtime_reconcile_errors_total",
                             "Reconciles that returned an error or threw, per controller.",
                             {"controller"})
                   .with_labels({name})),
        panics(r.counter_vec("controller_runtime_reconcile_panics_total",
                             "Reconciles that threw an exception, per controller.", {"controller"})
                   .with_labels({name})),
        time(r.histogram_vec("controller_runtime_reconcile_time_seconds",
                             "Time per reconcile, per controller.", {"controller"},
                             reconcile_buckets())
                 .with_labels({name})),
        active(r.gauge_vec("controller_runtime_active_workers",
                           "Workers currently running a reconcile, per controller.", {"controller"})
                   .with_labels({name})) {
    r.gauge_vec("controller_runtime_max_concurrent_reconciles",
                "Configured number of workers, per controller.", {"controller"})
        .with_labels({name})
        .set(workers);
  }
  static metrics::CounterVec& total(metrics::Registry& r) {
    return r.counter_vec("controller_runtime_reconcile_total",
                         "Reconciles per controller and result.", {"controller", "result"});
  }

  metrics::Counter& success;
  metrics::Counter& error;
  metrics::Counter& requeue;
  metrics::Counter& requeue_after;
  metrics::Counter& errors;
  metrics::Counter& panics;
  metrics::Histogram& time;
  metrics::Gauge& active;
};

Controller::Controller(ControllerOptions options, std::shared_ptr<Reconciler> reconciler)
    : name_(std::move(options.name)),
      workers_(options.workers),
      reconciler_(std::move(reconciler)),
      clock_(options.clock != nullptr ? *options.clock : Clock::real()) {
  if (name_.empty()) throw std::invalid_argument("kube::Controller: a name is required");
  if (workers_ < 1) throw std::invalid_argument("kube::Controller: workers must be >= 1");
  if (!reconciler_) throw std::invalid_argument("kube::Controller: reconciler is null");
  metrics::Registry* registry = options.metrics;
  if (registry == nullptr) {
    own_registry_ = std::make_unique<metrics::Registry>();
    registry = own_registry_.get();
  }
  metrics_ = std::make_unique<Metrics>(*registry, name_, workers_);
  WorkQueueOptions q;
  q.name = name_;
  q.metrics = registry;
  q.clock = &clock_;
  q.rate_limiter = std::move(options.rate_limiter);
  queue_ = std::make_shared<WorkQueue>(std::move(q));
}

Controller::~Controller() {
  stop(Clock::duration::zero());
}

void Controller::watch(Informer& informer, EventMapper mapper) {
  std::lock_guard lock(mu_);
  if (started_) throw std::logic_error("kube::Controller::watch after start");
  sources_.push_back(Source{&informer, std::move(mapper)});
}

std::vector<Informer*> Controller::informers() const {
  std::lock_guard lock(mu_);
  std::vector<Informer*> out;
  for (const Source& s : sources_) {
    if (std::find(out.begin(), out.end(), s.informer) == out.end()) out.push_back(s.informer);
  }
  return out;
}

void Controller::enqueue(const Request& request) {
  queue_->add(request.key());
}

void Controller::enqueue_after(const Request& request, Clock::duration delay) {
  queue_->add_after(request.key(), delay);
}

void Controller::add_all(const std::vector<Request>& requests) {
  for (const Request& r : requests)
    queue_->add(r.key());
}

void Controller::start(const CancelToken& stop) {
  std::lock_guard lock(mu_);
  if (started_ || stopped_) return;
  started_ = true;
  running_.store(true);
  for (const Source& s : sources_) {
    const EventMapper* mapper = &s.mapper;
    registrations_.push_back(s.informer->add_event_handler({
        .on_add =
            [this, mapper](const Object& o, bool) {
              std::vector<Request> out;
              (*mapper)(nullptr, o, out);
              add_all(out);
            },
        .on_update =
            [this, mapper](const Object& old_o, const Object& new_o) {
              std::vector<Request> out;
              (*mapper)(&old_o, new_o, out);
              add_all(out);
            },
        .on_delete =
            [this, mapper](const Object& o, bool) {
              std::vector<Request> out;
              (*mapper)(nullptr, o, out);
              add_all(out);
            },
    }));
  }
  threads_.reserve(static_cast<std::size_t>(workers_));
  for (int i = 0; i < workers_; ++i)
    threads_.emplace_back([this] { run_worker(); });
  // The callback may outlive this object by a moment (see CancelToken::Registration), so it
  // holds what it touches.
  stop_registration_ = stop.on_cancel([cancel = cancel_, queue = queue_]() mutable {
    cancel.cancel();
    queue->shut_down();
  });
  log::info("controller started", {{"controller", name_}, {"workers", workers_}});
}

void Controller::abort() {
  running_.store(false);
  cancel_.cancel();
  queue_->shut_down();
}

bool Controller::stop(Clock::duration drain) {
  std::vector<std::thread> threads;
  std::vector<Informer::Registration> registrations;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return true;
    stopped_ = true;
    threads = std::move(threads_);
    registrations = std::move(registrations_);
  }
  running_.store(false);
  registrations.clear();  // no more keys from informers
  bool drained = queue_->shut_down_with_drain(drain);
  cancel_.cancel();
  for (std::thread& t : threads)
    t.join();
  stop_registration_ = {};
  if (!threads.empty()) {
    log::info("controller stopped", {{"controller", name_}, {"drained", drained}});
  }
  return drained;
}

void Controller::run_worker() {
  while (auto key = queue_->get()) {
    process(*key);
    queue_->done(*key);
  }
}

void Controller::process(const std::string& key) {
  Request request = Request::from_key(key);
  ReconcileContext context(cancel_.token(), queue_->num_requeues(key));
  Clock::time_point started = clock_.now();
  std::optional<Result<ReconcileResult>> result;
  std::string thrown;
  metrics_->active.inc();
  try {
    result.emplace(reconciler_->reconcile(request, context));
  } catch (const std::exception& e) {
    thrown = e.what();
    if (thrown.empty()) thrown = "exception";
  } catch (...) {
    thrown = "unknown exception";
  }
  metrics_->active.dec();
  metrics_->time.observe(seconds(clock_.now() - started));

  if (!result) {
    metrics_->panics.inc();
    metrics_->errors.inc();
    metrics_->error.inc();
    log::error("reconcile threw; retrying with backoff",
               {{"controller", name_}, {"key", key}, {"what", thrown}});
    queue_->add_rate_limited(key);
    return;
  }
  if (!result->ok()) {
    metrics_->errors.inc();
    metrics_->error.inc();
    const Error& e = result->error();
    if (context.cancelled()) {
      log::v(1, "reconcile failed after the controller stopped",
             {{"controller", name_}, {"key", key}, {"error", e.to_string()}});
      return;
    }
    // A conflict only means the cache was behind the apiserver: routine, and retried.
    if (e.is_conflict()) {
      log::v(1, "reconcile conflict; retrying",
             {{"controller", name_}, {"key", key}, {"error", e.to_string()}});
    } else {
      log::error("reconcile failed; retrying with backoff",
                 {{"controller", name_}, {"key", key}, {"error", e.to_string()}});
    }
    queue_->add_rate_limited(key);
    return;
  }
  const ReconcileResult& r = result->value();
  if (r.requeue_after > Clock::duration::zero()) {
    metrics_->requeue_after.inc();
    queue_->forget(key);
    queue_->add_after(key, r.requeue_after);
  } else if (r.requeue) {
    metrics_->requeue.inc();
    queue_->add_rate_limited(key);
  } else {
    metrics_->success.inc();
    queue_->forget(key);
  }
}

}  // namespace kube
