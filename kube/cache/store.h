// Store: the indexed, thread-safe object cache behind an Informer (client-go's ThreadSafeStore,
// kube-rs's reflector Store). Objects are kube::Object (immutable, shared), keyed
// "namespace/name"; named indexes map a value (a namespace, a node name, an owner uid) to the
// keys of the objects whose index function produced it.
//
// Concurrency: the keys are spread over shards, each behind its own reader/writer lock. A write
// locks one shard for a hash update and the index updates of one object; a read of one key locks
// one shard shared; a list or index lookup visits the shards one after the other. So a reader
// never holds up the watch for longer than one shard takes to read, and writers to different
// shards never wait for each other. bench/runtime measured this against one lock for the whole
// store and against copy-on-write shards (bench/README.md). The price: a list is not an atomic
// snapshot of the whole store — each object in it is a state the cache held, but a write that
// lands during the list may show in one shard and not yet in another, as with any informer
// whose watch keeps running.
//
//   kube::Store store;
//   store.add_index("node", kube::indexers::pod_node_name);
//   store.put(pod);
//   for (const kube::Object& p : store.by_index("node", "node-7")) ...
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"

namespace kube {

// The values an object is indexed under (none: not in the index). Must be deterministic: the
// store calls it again on the stored object to unindex it. Must not throw.
using IndexFunc = std::function<std::vector<std::string>(const Object& object)>;

// Thread-safe; any number of readers and writers.
class Store {
 public:
  static constexpr std::size_t kDefaultShards = 16;

  // `shards` >= 1 (0 is taken as 1).
  explicit Store(std::size_t shards = kDefaultShards);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Adds a named index and indexes the objects already stored. Returns false (and changes
  // nothing) when an index of that name exists, so controllers sharing an informer can each
  // ask for the indexes they need. Locks every shard while it indexes the existing objects.
  bool add_index(std::string name, IndexFunc fn);
  bool has_index(std::string_view name) const;

  // Stores `object` under object.key(), replacing and returning the previous object (a null
  // Object when there was none). A null `object` is ignored.
  Object put(Object object);
  // Removes the object stored under `key` and returns it (null when there was none).
  Object remove(std::string_view key);

  Object get(std::string_view key) const;
  Object get(std::string_view namespace_, std::string_view name) const {
    return get(make_key(namespace_, name));
  }
  std::vector<Object> list() const;
  // Objects of one namespace; through the "namespace" index when there is one, else by a scan.
  std::vector<Object> list(std::string_view namespace_) const;
  // Objects indexed under `value` in index `index`. Throws std::invalid_argument for an index
  // that was never added (a programmer error: register indexes before reading them).
  std::vector<Object> by_index(std::string_view index, std::string_view value) const;
  // Their keys only.
  std::vector<std::string> index_keys(std::string_view index, std::string_view value) const;
  std::vector<std::string> keys() const;
  std::size_t size() const;

  // Calls `fn` for each object, one shard at a time under that shard's read lock: `fn` must be
  // quick and must not call into this store.
  void for_each(const std::function<void(const Object&)>& fn) const;

 private:
  struct Shard;
  struct Index;

  Shard& shard_for(std::string_view key) const;
  const Index* find_index_locked(std::string_view name) const;
  void visit_index(std::string_view index, std::string_view value,
                   const std::function<void(std::string_view key, const Object&)>& fn) const;

  // Guards the list of index definitions; taken before any shard lock, exclusively only by
  // add_index.
  mutable std::shared_mutex indexes_mu_;
  std::vector<std::unique_ptr<Index>> indexes_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace kube
