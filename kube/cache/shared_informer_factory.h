// SharedInformerFactory: one Informer per (resource, scope) for the whole process, so two
// controllers that both watch pods share one watch and one cache (client-go's
// SharedInformerFactory, controller-runtime's cache). The Manager owns one.
//
//   kube::SharedInformerFactory factory(client, {.metrics = &registry});
//   kube::Informer& pods = factory.informer(kube::resources::kPods);
//   pods.add_index(kube::indexers::kPodNodeName, kube::indexers::pod_node_name);
//   factory.start();
//   auto unsynced = factory.wait_for_cache_sync(std::chrono::minutes(2));
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "kube/cache/informer.h"
#include "kube/metrics/registry.h"

namespace kube {

// Which objects of a resource an informer holds.
struct InformerScope {
  std::string namespace_{};  // "" = all namespaces
  std::string label_selector{};
  std::string field_selector{};
};

struct SharedInformerFactoryOptions {
  // Default transform of every informer (see set_transform for one resource).
  Transform transform = strip_bulk;
  // Page size, watch timeouts, backoff and clock of every informer's Watcher.
  WatcherOptions watcher{};
  std::size_t shards = Store::kDefaultShards;
  // Registry for the berth_watch_* and berth_informer_* metrics (labelled informer=<name>);
  // none when null. Must outlive the factory.
  metrics::Registry* metrics = nullptr;
};

// Thread-safe.
class SharedInformerFactory {
 public:
  // `client` must outlive the factory.
  explicit SharedInformerFactory(Client& client, SharedInformerFactoryOptions options = {});
  ~SharedInformerFactory();
  SharedInformerFactory(const SharedInformerFactory&) = delete;
  SharedInformerFactory& operator=(const SharedInformerFactory&) = delete;

  // The shared informer for `type` within `scope`, created on first request. Once the factory
  // has started, a new informer starts at once. The reference lives as long as the factory.
  Informer& informer(const ResourceType& type, const InformerScope& scope = {});
  // Transform for informers of `type` created from now on. False when one already exists
  // (its objects were transformed differently).
  bool set_transform(const ResourceType& type, Transform transform);

  // Starts every informer (and those created later). Idempotent.
  void start();
  // Waits until every informer created so far has synced, or `timeout` passes, or `cancel`
  // fires. Returns the names of those that have not synced (empty = all synced).
  std::vector<std::string> wait_for_cache_sync(Clock::duration timeout,
                                               const CancelToken& cancel = {});
  bool has_synced() const;
  // Stops every informer. Idempotent; the destructor calls it.
  void stop();

  std::vector<Informer*> informers() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  static Key key_of(const ResourceType& type, const InformerScope& scope);
  void register_metrics_locked(Informer& informer);

  Client& client_;
  SharedInformerFactoryOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;
  bool started_ = false;
  std::map<std::string, Transform> transforms_;  // by "<group>/<plural>"
  std::map<Key, std::unique_ptr<Informer>> informers_;
  // After informers_: removed first, so a scrape never reads a destroyed informer.
  std::vector<metrics::Registration> metric_registrations_;
};

}  // namespace kube
