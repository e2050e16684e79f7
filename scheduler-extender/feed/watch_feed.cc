#include "scheduler-extender/feed/watch_feed.h"

#include "kube/core/log.h"

namespace berth::extender {

namespace {

constexpr ObjectKind kKinds[] = {ObjectKind::kNamespace,
                                 ObjectKind::kNode,
                                 ObjectKind::kStorageClass,
                                 ObjectKind::kPersistentVolume,
                                 ObjectKind::kPersistentVolumeClaim,
                                 ObjectKind::kPod};

const kube::ResourceType& resource_of(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kPod:
      return kube::resources::kPods;
    case ObjectKind::kNode:
      return kube::resources::kNodes;
    case ObjectKind::kNamespace:
      return kube::resources::kNamespaces;
    case ObjectKind::kPersistentVolumeClaim:
      return kube::resources::kPersistentVolumeClaims;
    case ObjectKind::kPersistentVolume:
      return kube::resources::kPersistentVolumes;
    case ObjectKind::kStorageClass:
      return kube::resources::kStorageClasses;
  }
  return kube::resources::kPods;
}

bool skipped(ObjectKind kind, const kube::Object& object, const kube::Error& error) {
  kube::log::warn(
      "skipping an object that does not decode",
      {{"resource", resource_of(kind).plural}, {"object", object.key()}, {"error", error.message}});
  return false;
}

}  // namespace

bool apply_object(ClusterState::Writer& w, ObjectKind kind, const kube::Object& object,
                  bool deleted) {
  const kube::json::Value& json = object.json();
  switch (kind) {
    case ObjectKind::kPod: {
      if (deleted) {
        w.remove_pod(object.uid());
        return true;
      }
      auto pod = decode_pod(json);
      if (!pod.ok()) return skipped(kind, object, pod.error());
      w.upsert_pod(*pod);
      return true;
    }
    case ObjectKind::kNode: {
      if (deleted) {
        w.remove_node(object.name());
        return true;
      }
      auto node = decode_node(json);
      if (!node.ok()) return skipped(kind, object, node.error());
      w.upsert_node(*node);
      return true;
    }
    case ObjectKind::kNamespace:
      if (deleted) {
        w.remove_namespace(object.name());
      } else {
        w.upsert_namespace(object.name(), decode_string_map(object.labels()));
      }
      return true;
    case ObjectKind::kPersistentVolumeClaim: {
      if (deleted) {
        w.remove_claim(object.namespace_(), object.name());
        return true;
      }
      auto pvc = decode_pvc(json);
      if (!pvc.ok()) return skipped(kind, object, pvc.error());
      if (!pvc->data_location_error.empty()) {
        kube::log::v(2, "ignoring an invalid data-location record",
                     {{"claim", object.key()}, {"error", pvc->data_location_error}});
      }
      w.upsert_claim(std::move(*pvc));
      return true;
    }
    case ObjectKind::kPersistentVolume: {
      if (deleted) {
        w.remove_volume(object.name());
        return true;
      }
      auto pv = decode_pv(json);
      if (!pv.ok()) return skipped(kind, object, pv.error());
      w.upsert_volume(std::move(*pv));
      return true;
    }
    case ObjectKind::kStorageClass: {
      if (deleted) {
        w.remove_storage_class(object.name());
        return true;
      }
      auto sc = decode_storage_class(json);
      if (!sc.ok()) return skipped(kind, object, sc.error());
      w.upsert_storage_class(std::move(*sc));
      return true;
    }
  }
  return false;
}

void apply_watch_event(ClusterState& state, ObjectKind kind, const kube::WatcherEvent& event) {
  using Type = kube::WatcherEvent::Type;
  switch (event.type) {
    case Type::kInitStart:
      state.write().begin_relist(kind);
      break;
    case Type::kInitDone:
      state.write().end_relist(kind);
      break;
    case Type::kInitObject:
    case Type::kAdded:
    case Type::kModified: {
      auto w = state.write();
      apply_object(w, kind, event.object, false);
      break;
    }
    case Type::kDeleted: {
      auto w = state.write();
      apply_object(w, kind, event.object, true);
      break;
    }
    case Type::kBookmark:
      break;
  }
}

kube::WatcherOptions watch_options(ObjectKind kind) {
  kube::WatcherOptions o;
  o.type = resource_of(kind);
  o.name = "extender-" + o.type.plural;
  if (kind == ObjectKind::kPod) {
    o.field_selector = "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed";
  }
  return o;
}

WatchFeed::WatchFeed(kube::Client& client, ClusterState& state) : state_(state) {
  for (ObjectKind kind : kKinds) {
    watchers_.emplace_back(
        kind, std::make_unique<kube::Watcher>(client, watch_options(kind),
                                              [this, kind](const kube::WatcherEvent& e) {
                                                apply_watch_event(state_, kind, e);
                                              }));
  }
}

WatchFeed::~WatchFeed() {
  stop();
}

void WatchFeed::start() {
  for (auto& [kind, watcher] : watchers_)
    watcher->start();
}

void WatchFeed::stop() {
  for (auto& [kind, watcher] : watchers_)
    watcher->stop();
}

bool WatchFeed::synced() const {
  for (const auto& [kind, watcher] : watchers_) {
    if (!state_.synced(kind)) return false;
  }
  return true;
}

std::vector<std::string> WatchFeed::unsynced() const {
  std::vector<std::string> out;
  for (const auto& [kind, watcher] : watchers_) {
    if (!state_.synced(kind)) out.push_back(resource_of(kind).plural);
  }
  return out;
}

}  // namespace berth::extender
