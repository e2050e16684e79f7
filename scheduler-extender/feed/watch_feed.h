// Feeding ClusterState from the Kubernetes API. berth-extender runs one kube::Watcher per kind
// and decodes every event straight into ClusterState's compact records, without an informer
// Store in between: a Store would keep every pod's full JSON (several KB each) next to the
// ~0.5 KB the extender needs. apply_object() is the single entry point, so a kube/cache
// Informer's handlers can drive the same state instead.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kube/api/object.h"
#include "kube/client/client.h"
#include "kube/watch/watcher.h"
#include "scheduler-extender/state/cluster_state.h"

namespace berth::extender {

// Adds, replaces or (deleted) removes one object. Objects that do not decode are logged and
// skipped. Returns false for those.
bool apply_object(ClusterState::Writer& writer, ObjectKind kind, const kube::Object& object,
                  bool deleted);

// One Watcher event: InitStart / InitDone bracket a relist, the rest are objects.
void apply_watch_event(ClusterState& state, ObjectKind kind, const kube::WatcherEvent& event);

// The ResourceType and selectors berth-extender watches for `kind`: pods only once bound and
// while not finished (what kube-scheduler's own cache holds).
kube::WatcherOptions watch_options(ObjectKind kind);

class WatchFeed {
 public:
  // `client` and `state` must outlive the feed.
  WatchFeed(kube::Client& client, ClusterState& state);
  ~WatchFeed();
  WatchFeed(const WatchFeed&) = delete;
  WatchFeed& operator=(const WatchFeed&) = delete;

  void start();
  void stop();
  // Every kind has completed its first list.
  bool synced() const;
  std::vector<std::string> unsynced() const;

 private:
  ClusterState& state_;
  std::vector<std::pair<ObjectKind, std::unique_ptr<kube::Watcher>>> watchers_;
};

}  // namespace berth::extender
