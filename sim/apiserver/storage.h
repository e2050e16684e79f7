// Store: berth-sim's etcd. Objects of each resource table in key order ("namespace/name",
// byte order, as etcd orders /registry/<resource>/<namespace>/<name>), one global revision
// counter that becomes every object's resourceVersion, compare-and-swap writes, and the
// indexes garbage collection needs (uid → object, owner uid → dependents). Every commit is
// published to the WatchHub under the store lock, so the event order is the commit order.
//
// Semantics (validation, defaulting, finalizers, ...) live in ObjectApi; this layer only
// stores. Thread-safe; one mutex (the sim is not a hot path), never held while doing I/O.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kube/api/object.h"
#include "kube/core/json.h"
#include "sim/apiserver/watch_hub.h"

namespace berth::sim {

// Objects of one table under one key prefix at one resourceVersion, sorted by key.
struct Snapshot {
  std::int64_t rv = 0;
  std::vector<kube::Object> items;
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

// "namespace/name" or "name".
std::string object_key(const kube::Object& object);

class Store {
 public:
  enum class Status { kOk, kNotFound, kAlreadyExists, kConflict };
  struct Commit {
    Status status = Status::kOk;
    kube::Object object;   // the stored object (for remove: last state at the deletion RV)
    kube::Object current;  // on kConflict / kAlreadyExists: what is stored
    bool noop = false;     // update found nothing to change; nothing was written
  };

  explicit Store(WatchHub& hub);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::int64_t current_rv() const;

  // Null Object when absent.
  kube::Object get(const std::string& table, const std::string& key) const;

  // Current objects whose key starts with `prefix` ("" = whole table, "ns/" = one namespace).
  SnapshotPtr list(const std::string& table, const std::string& prefix) const;
  // The same list as of `rv` (continue tokens, resourceVersionMatch=Exact), rebuilt from the
  // watch history; null when that history has been compacted.
  SnapshotPtr list_at(const std::string& table, const std::string& prefix, std::int64_t rv) const;

  // Inserts `object`, stamping metadata.resourceVersion. kAlreadyExists if the key exists.
  Commit create(const std::string& table, const std::string& key, kube::json::Document object);
  // Replaces the object when its stored resourceVersion equals `expected_rv` (0 = any).
  // An object equal to the stored one is not written (Commit::noop, no event, no new RV).
  Commit update(const std::string& table, const std::string& key, kube::json::Document object,
                std::int64_t expected_rv);
  // Deletes when the stored resourceVersion equals `expected_rv` (0 = any).
  Commit remove(const std::string& table, const std::string& key, std::int64_t expected_rv);

  // Objects that name `owner_uid` in an ownerReference: (table, key) pairs.
  std::vector<std::pair<std::string, std::string>> dependents(const std::string& owner_uid) const;
  // (table, key) of the object with this uid, if stored.
  std::optional<std::pair<std::string, std::string>> find_uid(const std::string& uid) const;
  // Tables that hold at least one object.
  std::vector<std::string> tables() const;
  std::size_t size(const std::string& table) const;

  // Expires every resourceVersion issued so far, as an etcd compaction at a fresh revision (or
  // an apiserver restart that loses its watch cache) does: objects stay, but watches, continue
  // tokens and exact-version lists from older versions get 410 Expired, and open watches end
  // so that their clients resume into that 410. Returns the new revision. (Fault injection.)
  std::int64_t compact();

 private:
  struct Entry {
    kube::Object object;
    std::int64_t rv = 0;
  };
  using Table = std::map<std::string, Entry, std::less<>>;

  void index_add(const std::string& table, const std::string& key, const kube::Object& object);
  void index_remove(const std::string& table, const std::string& key, const kube::Object& object);
  kube::Object stamp(kube::json::Document object, std::int64_t rv) const;
  SnapshotPtr cached(const std::string& table, const std::string& prefix, std::int64_t rv) const;
  void remember(const std::string& table, const std::string& prefix, SnapshotPtr snapshot) const;

  WatchHub& hub_;
  mutable std::mutex mu_;
  std::int64_t rv_ = 0;
  std::unordered_map<std::string, Table> tables_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> by_uid_;
  std::unordered_map<std::string, std::set<std::pair<std::string, std::string>>> by_owner_;
  // Recently built paging snapshots, newest first.
  struct CachedSnapshot {
    std::string table;
    std::string prefix;
    SnapshotPtr snapshot;
  };
  mutable std::list<CachedSnapshot> snapshots_;
};

}  // namespace berth::sim
