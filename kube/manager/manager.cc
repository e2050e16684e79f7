#include "kube/manager/manager.h"

#include <stdexcept>

#include "kube/client/cpprest_transport.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"

namespace kube {
namespace {

std::string duration_text(Clock::duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + "s";
}

}  // namespace

Manager::Manager(ManagerOptions options)
    : options_(std::move(options)),
      registry_(options_.metrics != nullptr ? *options_.metrics : metrics::default_registry()),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::real()) {}

Manager::~Manager() {
  shut_down(false);
  metric_registrations_.clear();
}

Result<std::unique_ptr<Manager>> Manager::create(ManagerOptions options) {
  std::unique_ptr<Manager> m(new Manager(std::move(options)));
  ManagerOptions& o = m->options_;
  if (o.client.component.empty() || o.client.component == "client") o.client.component = o.name;
  if (o.client.clock == nullptr) o.client.clock = o.clock;
  if (o.leader_election.enabled && o.leader_election.name.empty()) {
    o.leader_election.name = o.name;
  }

  KUBE_ASSIGN_OR_RETURN(m->transport_, make_cpprest_transport(o.config));
  Manager* self = m.get();
  std::string why = "write refused: " + o.name + " is not the leader";
  m->guard_ = std::make_shared<WriteGuardTransport>(
      m->transport_, [self] { return self->is_leader(); }, std::move(why));
  m->client_ = std::make_unique<Client>(m->guard_, o.config, o.client);
  m->election_client_ = std::make_unique<Client>(m->transport_, o.config, o.client);
  if (o.leader_election.enabled && o.leader_election.namespace_.empty()) {
    o.leader_election.namespace_ = m->client_->default_namespace();
    if (o.leader_election.namespace_.empty()) o.leader_election.namespace_ = "default";
  }

  SharedInformerFactoryOptions factory;
  factory.watcher = o.watcher;
  if (factory.watcher.clock == nullptr) factory.watcher.clock = o.clock;
  factory.metrics = &m->registry_;
  m->informers_ = std::make_unique<SharedInformerFactory>(*m->client_, std::move(factory));

  if (!o.health_bind_address.empty()) {
    KUBE_ASSIGN_OR_RETURN(m->health_, HealthServer::start({.bind_address = o.health_bind_address,
                                                           .tls = o.health_tls,
                                                           .metrics = &m->registry_,
                                                           .name = "health"}));
  }
  m->add_health_checks();
  return m;
}

void Manager::add_health_checks() {
  if (options_.leader_election.enabled) {
    metric_registrations_.push_back(
        registry_
            .gauge_vec("leader_election_master_status",
                       "1 while this process holds the named lease, else 0.", {"name"})
            .add_function(std::vector<std::string>{options_.leader_election.name},
                          [this] { return is_leader() ? 1.0 : 0.0; }));
  }
  if (!health_) return;
  health_->add_readyz_check("informer-sync", [this]() -> Result<std::string> {
    std::vector<std::string> unsynced;
    for (Informer* i : informers_->informers()) {
      if (!i->has_synced()) unsynced.push_back(i->name());
    }
    if (unsynced.empty()) return std::string();
    return Error::make(Reason::kServiceUnavailable, "not synced: " + join(unsynced, ", "));
  });
  if (!options_.leader_election.enabled) return;
  // Reports the state; a standby is ready (it serves probes and warm caches), only an elector
  // that has ended its term or cannot reach the apiserver is not.
  health_->add_readyz_check("leader-election", [this]() -> Result<std::string> {
    LeaderElector* e = elector_ptr_.load();
    if (e == nullptr) return std::string("not started");
    if (e->done()) return Error::make(Reason::kServiceUnavailable, "leadership ended");
    if (e->is_leader()) return "leading as " + e->identity();
    auto since = clock_.now() - e->last_contact();
    if (e->last_contact() != Clock::time_point{} &&
        since > Clock::duration(options_.leader_election.lease_duration)) {
      return Error::make(Reason::kServiceUnavailable, "lease not read for " + duration_text(since));
    }
    std::string leader = e->leader();
    return "standby; leader is " + (leader.empty() ? std::string("nobody") : leader);
  });
}

EventRecorder& Manager::event_recorder() {
  std::call_once(recorder_once_, [this] {
    EventRecorderOptions o;
    o.component = options_.name;
    o.clock = options_.clock;
    o.metrics = &registry_;
    recorder_ = std::make_unique<EventRecorder>(EventSink::for_client(*client_), std::move(o));
  });
  return *recorder_;
}

ControllerBuilder Manager::controller(std::string name) {
  ControllerBuilder builder(
      *informers_, std::move(name),
      [this](std::unique_ptr<Controller> c) -> Controller& { return add(std::move(c)); });
  builder.metrics(registry_);
  if (options_.clock != nullptr) builder.clock(*options_.clock);
  return builder;
}

Controller& Manager::add(std::unique_ptr<Controller> controller) {
  std::lock_guard lock(mu_);
  if (running_) throw std::logic_error("kube::Manager::add after run()");
  controllers_.push_back(std::move(controller));
  return *controllers_.back();
}

bool Manager::is_leader() const {
  if (!options_.leader_election.enabled) return true;
  LeaderElector* e = elector_ptr_.load();
  return e != nullptr && e->is_leader();
}

std::string Manager::identity() const {
  LeaderElector* e = elector_ptr_.load();
  return e != nullptr ? e->identity() : std::string();
}

Status Manager::run(const CancelToken& stop) {
  {
    std::lock_guard lock(mu_);
    if (running_) throw std::logic_error("kube::Manager::run called twice");
    running_ = true;
  }
  auto wake = stop.on_cancel([this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  log::info("manager starting", {{"name", options_.name}});
  informers_->start();

  if (options_.leader_election.enabled) {
    const LeaderElectionOptions& le = options_.leader_election;
    LeaderElectionConfig config;
    config.identity = le.identity;
    config.lease_duration = le.lease_duration;
    config.renew_deadline = le.renew_deadline;
    config.retry_period = le.retry_period;
    config.release_on_stop = le.release_on_stop;
    config.clock = options_.clock;
    config.callbacks.on_started_leading = [this](CancelToken term) {
      std::lock_guard lock(mu_);
      leading_ = true;
      term_ = std::move(term);
      cv_.notify_all();
    };
    config.callbacks.on_stopped_leading = [this] {
      std::lock_guard lock(mu_);
      if (!leading_) return;
      // The term token already aborted every controller; record why run() must fail.
      lost_ = true;
      cv_.notify_all();
    };
    elector_ = std::make_unique<LeaderElector>(
        LeaseLock::for_lease(*election_client_, le.namespace_, le.name), std::move(config));
    elector_ptr_.store(elector_.get());
    elector_->start();
  }

  auto unsynced = informers_->wait_for_cache_sync(options_.cache_sync_timeout, stop);
  if (stop.cancelled()) {
    shut_down(false);
    return ok_status();
  }
  if (!unsynced.empty()) {
    std::string names = join(unsynced, ", ");
    log::error("caches did not sync in time",
               {{"timeout", duration_text(options_.cache_sync_timeout)}, {"informers", names}});
    shut_down(false);
    return Error::make(
        Reason::kTimeout,
        "caches did not sync within " + duration_text(options_.cache_sync_timeout) + ": " + names);
  }
  log::info("caches synced", {{"informers", informers_->informers().size()}});

  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      return stop.cancelled() || lost_ || leading_ || !options_.leader_election.enabled;
    });
    if (!stop.cancelled() && !lost_) {
      for (auto& c : controllers_)
        c->start(term_);
    }
    cv_.wait(lock, [&] { return stop.cancelled() || lost_; });
  }
  bool lost = false;
  {
    std::lock_guard lock(mu_);
    lost = lost_;
  }
  shut_down(lost);
  if (lost) {
    return Error::make(Reason::kCancelled,
                       "leader election lost: lease " + options_.leader_election.namespace_ + "/" +
                           options_.leader_election.name + " was not renewed in time");
  }
  log::info("manager stopped cleanly", {{"name", options_.name}});
  return ok_status();
}

void Manager::shut_down(bool lost) {
  std::vector<Controller*> controllers;
  {
    std::lock_guard lock(mu_);
    for (auto& c : controllers_)
      controllers.push_back(c.get());
  }
  if (health_) health_->mark_shutting_down();
  // Every queue stops handing out work first, then each waits for its in-flight reconciles
  // within one shared deadline.
  Clock::time_point deadline = clock_.now() + options_.graceful_shutdown_timeout;
  for (Controller* c : controllers) {
    if (lost) {
      c->abort();
    } else {
      c->queue().shut_down();
    }
  }
  bool drained = true;
  for (Controller* c : controllers) {
    Clock::duration left = deadline - clock_.now();
    if (left < Clock::duration::zero()) left = Clock::duration::zero();
    drained = c->stop(left) && drained;
  }
  if (!drained) log::warn("some reconciles did not finish within the graceful shutdown timeout");
  if (recorder_) recorder_->stop(std::chrono::seconds(1));  // writes need the lease still held
  if (elector_) elector_->stop();                           // releases the lease if still held
  informers_->stop();
  if (health_) health_->stop(std::chrono::milliseconds(200));
}

}  // namespace kube
