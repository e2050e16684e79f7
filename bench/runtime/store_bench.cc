// Readers against a writer on a 150,000-pod cache: what a controller's get / list-by-index
// costs while the watch keeps applying updates, and how much the readers slow the watch. Three
// designs in the same run:
//   kube::Store with 1 shard  - one reader/writer lock for everything (client-go's
//                               ThreadSafeStore shape): the baseline;
//   kube::Store with 16 / 64 shards (Berth's choice: 16 by default);
//   copy-on-write shards      - readers take an immutable snapshot of a shard without a lock;
//                               a write copies its shard (256 shards here).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "bench/runtime/pods.h"
#include "kube/cache/indexers.h"
#include "kube/cache/store.h"
#include "kube/cache/transform.h"

namespace berth::bench {
namespace {

using kube::Object;

// The cache's content: pods after the default transform.
const std::vector<Object>& cached_pods() {
  static const std::vector<Object> out = [] {
    std::vector<Object> v;
    v.reserve(kPods);
    for (const Object& p : decoded_pods())
      v.push_back(kube::strip_bulk(p));
    return v;
  }();
  return out;
}

// The same pods moved to another node, for the writer.
const std::vector<Object>& moved_pods() {
  static const std::vector<Object> out = [] {
    constexpr int kMoving = 20'000;
    std::vector<Object> v;
    for (int i = 0; i < kMoving; ++i) {
      std::string j = pod_json(i, 5000 + i);
      std::string from = "\"node-" + std::to_string(i % kNodes) + "\"";
      j.replace(j.find(from), from.size(), "\"node-" + std::to_string((i + 7) % kNodes) + "\"");
      v.push_back(kube::strip_bulk(Object::parse(j).value()));
    }
    return v;
  }();
  return out;
}

std::string node_of(const Object& pod) {
  return std::string(kube::json::get_string(*pod.spec(), "nodeName"));
}

// kube::Store as the benchmark sees it.
class Sharded {
 public:
  explicit Sharded(std::size_t shards) : store_(shards) {
    store_.add_index(std::string(kube::indexers::kNamespace), kube::indexers::namespace_);
    store_.add_index(std::string(kube::indexers::kPodNodeName), kube::indexers::pod_node_name);
  }
  void put(const Object& o) { store_.put(o); }
  Object get(const std::string& key) const { return store_.get(key); }
  std::vector<Object> by_node(const std::string& node) const {
    return store_.by_index(kube::indexers::kPodNodeName, node);
  }
  std::vector<Object> by_namespace(const std::string& ns) const { return store_.list(ns); }

 private:
  kube::Store store_;
};

// Copy-on-write shards: a reader loads a shard's current snapshot (an atomic shared_ptr) and
// reads it without any lock; a writer copies the shard, changes the copy and publishes it.
class CopyOnWrite {
 public:
  explicit CopyOnWrite(std::size_t shards) : shards_(shards), write_mu_(shards) {
    for (auto& s : shards_)
      s.store(std::make_shared<const Shard>());
  }
  void put(const Object& o) {
    std::string key = o.key();
    std::size_t i = index(key);
    std::lock_guard lock(write_mu_[i]);
    auto next = std::make_shared<Shard>(*shards_[i].load());
    auto it = next->items.find(key);
    if (it != next->items.end()) {
      unindex(*next, it->second, key);
      it->second = o;
    } else {
      next->items.emplace(key, o);
    }
    next->by_node[node_of(o)].push_back(key);
    next->by_namespace[std::string(o.namespace_())].push_back(key);
    shards_[i].store(std::move(next));
  }
  Object get(const std::string& key) const {
    auto s = shards_[index(key)].load();
    auto it = s->items.find(key);
    return it != s->items.end() ? it->second : Object();
  }
  std::vector<Object> by_node(const std::string& node) const {
    return lookup(&Shard::by_node, node);
  }
  std::vector<Object> by_namespace(const std::string& ns) const {
    return lookup(&Shard::by_namespace, ns);
  }

 private:
  using Keys = std::unordered_map<std::string, std::vector<std::string>>;
  struct Shard {
    std::unordered_map<std::string, Object> items;
    Keys by_node;
    Keys by_namespace;
  };
  static void erase_key(Keys& keys, const std::string& value, const std::string& key) {
    auto it = keys.find(value);
    if (it == keys.end()) return;
    std::erase(it->second, key);
    if (it->second.empty()) keys.erase(it);
  }
  static void unindex(Shard& s, const Object& old, const std::string& key) {
    erase_key(s.by_node, node_of(old), key);
    erase_key(s.by_namespace, std::string(old.namespace_()), key);
  }
  std::size_t index(const std::string& key) const {
    return std::hash<std::string>{}(key) % shards_.size();
  }
  std::vector<Object> lookup(Keys Shard::*keys, const std::string& value) const {
    std::vector<Object> out;
    for (const auto& slot : shards_) {
      auto s = slot.load();
      auto it = ((*s).*keys).find(value);
      if (it == ((*s).*keys).end()) continue;
      for (const std::string& key : it->second)
        out.push_back(s->items.at(key));
    }
    return out;
  }

  std::vector<std::atomic<std::shared_ptr<const Shard>>> shards_;
  std::vector<std::mutex> write_mu_;
};

enum Read { kGet = 0, kByNode = 1, kByNamespace = 2 };

// Args: shards, read kind, writer (0/1). The benchmark thread reads; a second thread applies
// updates as fast as it can. Reports reads/s (items), read latency percentiles and the
// writer's events/s.
template <typename S>
void BM_Read(benchmark::State& state) {
  const auto& pods = cached_pods();
  const auto& moved = moved_pods();
  S store(static_cast<std::size_t>(state.range(0)));
  for (const Object& p : pods)
    store.put(p);
  const Read kind = static_cast<Read>(state.range(1));

  std::atomic<bool> stop{false};
  std::atomic<long> writes{0};
  std::thread writer;
  if (state.range(2) != 0) {
    writer = std::thread([&] {
      std::size_t k = 0;
      bool forward = true;
      while (!stop.load(std::memory_order_relaxed)) {
        store.put(forward ? moved[k] : pods[k]);
        writes.fetch_add(1, std::memory_order_relaxed);
        if (++k == moved.size()) {
          k = 0;
          forward = !forward;
        }
      }
    });
  }
  std::vector<std::uint32_t> latency;
  latency.reserve(1 << 20);
  std::uint64_t rng = 88172645463325252ULL;
  std::size_t returned = 0;
  auto started = std::chrono::steady_clock::now();
  for (auto _ : state) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    auto t0 = std::chrono::steady_clock::now();
    switch (kind) {
      case kGet: {
        const Object& p = pods[rng % pods.size()];
        returned += store.get(p.key()) ? 1 : 0;
        break;
      }
      case kByNode:
        returned += store.by_node("node-" + std::to_string(rng % kNodes)).size();
        break;
      case kByNamespace:
        returned += store.by_namespace("team-" + std::to_string(rng % kNamespaces)).size();
        break;
    }
    auto t1 = std::chrono::steady_clock::now();
    if (latency.size() < latency.capacity()) {
      latency.push_back(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  stop = true;
  if (writer.joinable()) writer.join();
  benchmark::DoNotOptimize(returned);
  std::sort(latency.begin(), latency.end());
  auto pct = [&](double q) {
    return latency.empty() ? 0.0
                           : latency[static_cast<std::size_t>(q * (latency.size() - 1))] / 1000.0;
  };
  state.SetItemsProcessed(state.iterations());
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["p999_us"] = pct(0.999);
  state.counters["writer_events_per_s"] = static_cast<double>(writes.load()) / seconds;
  state.counters["objects_per_read"] =
      static_cast<double>(returned) / static_cast<double>(state.iterations());
}

void read_args(benchmark::internal::Benchmark* b, std::initializer_list<long> shard_counts) {
  for (long shards : shard_counts) {
    for (long kind : {kGet, kByNode, kByNamespace}) {
      for (long writer : {0, 1})
        b->Args({shards, kind, writer});
    }
  }
  b->ArgNames({"shards", "read", "writer"})->UseRealTime()->MinTime(1.0);
}

BENCHMARK_TEMPLATE(BM_Read, Sharded)->Apply([](auto* b) { read_args(b, {1, 16, 64}); });
BENCHMARK_TEMPLATE(BM_Read, CopyOnWrite)->Apply([](auto* b) { read_args(b, {256}); });

// The writer alone (no reader), for each design: the ceiling of the watch's apply rate.
template <typename S>
void BM_WriteOnly(benchmark::State& state) {
  const auto& pods = cached_pods();
  const auto& moved = moved_pods();
  S store(static_cast<std::size_t>(state.range(0)));
  for (const Object& p : pods)
    store.put(p);
  std::size_t k = 0;
  bool forward = true;
  for (auto _ : state) {
    store.put(forward ? moved[k] : pods[k]);
    if (++k == moved.size()) {
      k = 0;
      forward = !forward;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_WriteOnly, Sharded)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();
BENCHMARK_TEMPLATE(BM_WriteOnly, CopyOnWrite)->Arg(256)->UseRealTime();

}  // namespace
}  // namespace berth::bench
