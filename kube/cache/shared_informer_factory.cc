#include "kube/cache/shared_informer_factory.h"

namespace kube {
namespace {

std::string type_key(const ResourceType& type) {
  return type.group + "/" + type.plural;
}

}  // namespace

SharedInformerFactory::SharedInformerFactory(Client& client, SharedInformerFactoryOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.watcher.clock != nullptr ? *options_.watcher.clock : Clock::real()) {}

SharedInformerFactory::~SharedInformerFactory() {
  stop();
  std::lock_guard lock(mu_);
  metric_registrations_.clear();
}

SharedInformerFactory::Key SharedInformerFactory::key_of(const ResourceType& type,
                                                         const InformerScope& scope) {
  return {type.group, type.plural, scope.namespace_, scope.label_selector, scope.field_selector};
}

Informer& SharedInformerFactory::informer(const ResourceType& type, const InformerScope& scope) {
  std::lock_guard lock(mu_);
  Key key = key_of(type, scope);
  auto it = informers_.find(key);
  if (it != informers_.end()) return *it->second;
  InformerOptions o;
  o.type = type;
  o.namespace_ = scope.namespace_;
  o.label_selector = scope.label_selector;
  o.field_selector = scope.field_selector;
  auto transform = transforms_.find(type_key(type));
  o.transform = transform != transforms_.end() ? transform->second : options_.transform;
  o.shards = options_.shards;
  o.watcher = options_.watcher;
  auto informer = std::make_unique<Informer>(&client_, std::move(o));
  Informer& ref = *informer;
  informers_.emplace(std::move(key), std::move(informer));
  if (options_.metrics != nullptr) register_metrics_locked(ref);
  if (started_) ref.start();
  return ref;
}

bool SharedInformerFactory::set_transform(const ResourceType& type, Transform transform) {
  std::lock_guard lock(mu_);
  for (const auto& [key, informer] : informers_) {
    if (informer->type().group == type.group && informer->type().plural == type.plural) {
      return false;
    }
  }
  transforms_[type_key(type)] = std::move(transform);
  return true;
}

void SharedInformerFactory::register_metrics_locked(Informer& informer) {
  metrics::Registry& r = *options_.metrics;
  const std::vector<std::string> labels{informer.name()};
  Informer* inf = &informer;
  auto counter = [&](std::string_view name, std::string_view help, auto field) {
    metric_registrations_.push_back(
        r.counter_vec(name, help, {"informer"}).add_function(labels, [inf, field] {
          return static_cast<double>(inf->watch_stats().*field);
        }));
  };
  counter("berth_watch_events_total", "Objects and events the informer's watcher delivered.",
          &WatcherStats::events);
  counter("berth_watch_lists_total", "Completed lists of the informer's watcher.",
          &WatcherStats::lists);
  counter("berth_watch_relists_total",
          "Lists after the first, made because the watch's resourceVersion expired (410 Gone).",
          &WatcherStats::relists);
  counter("berth_watch_restarts_total",
          "Watches started again from the last resourceVersion after a watch ended or broke.",
          &WatcherStats::restarts);
  counter("berth_watch_errors_total",
          "Failed lists and watches, ERROR events and undecodable lines seen by the watcher.",
          &WatcherStats::errors);
  auto gauge = [&](std::string_view name, std::string_view help, std::function<double()> fn) {
    metric_registrations_.push_back(
        r.gauge_vec(name, help, {"informer"}).add_function(labels, std::move(fn)));
  };
  gauge("berth_informer_objects", "Objects in the informer's cache.",
        [inf] { return static_cast<double>(inf->store().size()); });
  gauge("berth_informer_pending_notifications",
        "Notifications queued for the informer's event handlers.",
        [inf] { return static_cast<double>(inf->pending_notifications()); });
  gauge("berth_informer_synced", "1 once the informer's first list has been cached.",
        [inf] { return inf->has_synced() ? 1.0 : 0.0; });
}

void SharedInformerFactory::start() {
  std::lock_guard lock(mu_);
  started_ = true;
  for (auto& [key, informer] : informers_)
    informer->start();
}

std::vector<std::string> SharedInformerFactory::wait_for_cache_sync(Clock::duration timeout,
                                                                    const CancelToken& cancel) {
  Clock::time_point deadline = clock_.now() + timeout;
  std::vector<std::string> unsynced;
  for (Informer* informer : informers()) {
    Clock::duration left = deadline - clock_.now();
    if (left < Clock::duration::zero()) left = Clock::duration::zero();
    if (!informer->wait_for_sync(left, cancel)) unsynced.push_back(informer->name());
  }
  return unsynced;
}

bool SharedInformerFactory::has_synced() const {
  std::lock_guard lock(mu_);
  for (const auto& [key, informer] : informers_) {
    if (!informer->has_synced()) return false;
  }
  return true;
}

void SharedInformerFactory::stop() {
  std::vector<Informer*> all = informers();
  for (Informer* informer : all)
    informer->stop();
}

std::vector<Informer*> SharedInformerFactory::informers() const {
  std::lock_guard lock(mu_);
  std::vector<Informer*> out;
  out.reserve(informers_.size());
  for (const auto& [key, informer] : informers_)
    out.push_back(informer.get());
  return out;
}

}  // namespace kube
