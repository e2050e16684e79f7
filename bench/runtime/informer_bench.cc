// Informer throughput and cached-pod memory at 150,000 pods. The input objects are decoded up
// front (bench/watch measures decoding), so these numbers are what the informer adds: the
// transform, the store with its indexes, and handler dispatch. Baseline in the same run: the
// same objects inserted into a plain std::unordered_map (no lock, no index, no transform, no
// handler).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <thread>
#include <unordered_map>

#include "bench/runtime/pods.h"
#include "kube/cache/indexers.h"
#include "kube/cache/informer.h"

namespace berth::bench {
namespace {

using kube::Informer;
using kube::Object;
using kube::WatcherEvent;
using Type = WatcherEvent::Type;
namespace json = kube::json;

const std::vector<Object>& pods() {
  return decoded_pods();
}

// A consumer-specific transform, as the scheduler extender could use: only the fields it reads
// (identity, labels, owner, node, affinity, tolerations, requests, phase).
Object scheduling_projection(Object o) {
  const json::Value& in = o.json();
  json::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  auto copy = [&](json::Value& to, const json::Value& from, std::string_view key) {
    if (const json::Value* v = json::find(from, key)) json::set(to, key, json::Value(*v, a), a);
  };
  copy(out, in, "apiVersion");
  copy(out, in, "kind");
  json::Value& meta = json::ensure_object(out, "metadata", a);
  if (const json::Value* m = o.metadata()) {
    for (std::string_view k :
         {"name", "namespace", "uid", "resourceVersion", "labels", "ownerReferences"})
      copy(meta, *m, k);
  }
  json::Value& spec = json::ensure_object(out, "spec", a);
  if (const json::Value* s = o.spec()) {
    for (std::string_view k : {"nodeName", "affinity", "tolerations", "priority"})
      copy(spec, *s, k);
    if (const json::Value* cs = json::find(*s, "containers"); cs != nullptr && cs->IsArray()) {
      json::Value containers(rapidjson::kArrayType);
      for (const auto& c : cs->GetArray()) {
        json::Value slim(rapidjson::kObjectType);
        copy(slim, c, "name");
        copy(slim, c, "resources");
        containers.PushBack(std::move(slim), a);
      }
      json::set(spec, "containers", std::move(containers), a);
    }
  }
  if (const json::Value* st = o.status()) {
    json::Value& status = json::ensure_object(out, "status", a);
    copy(status, *st, "phase");
  }
  return Object::from(out);
}

kube::InformerOptions options(int transform) {
  kube::InformerOptions o;
  o.type = kube::resources::kPods;
  o.transform = transform == 0   ? kube::Transform()
                : transform == 1 ? kube::Transform(kube::strip_bulk)
                                 : kube::Transform(scheduling_projection);
  return o;
}

void add_pod_indexes(Informer& informer) {
  informer.add_index(std::string(kube::indexers::kNamespace), kube::indexers::namespace_);
  informer.add_index(std::string(kube::indexers::kPodNodeName), kube::indexers::pod_node_name);
  informer.add_index(std::string(kube::indexers::kOwnerUid), kube::indexers::owner_uid);
}

// One full list of 150,000 pods into a fresh informer with the three pod indexes and one
// handler, until the handler has seen every add. Arg: 0 no transform, 1 strip_bulk (the
// default), 2 scheduling projection.
void BM_InformerList(benchmark::State& state) {
  const auto& input = pods();
  double json_bytes = 0;
  for (int i = 0; i < 1000; ++i)
    json_bytes += static_cast<double>(pod_json(i).size());
  double rss_per_pod = 0;
  double object_bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    malloc_trim(0);
    auto informer = std::make_unique<Informer>(nullptr, options(static_cast<int>(state.range(0))));
    add_pod_indexes(*informer);
    std::atomic<int> seen{0};
    auto reg = informer->add_event_handler({.on_add = [&](const Object&, bool) { ++seen; }});
    informer->start();
    std::size_t before = rss_bytes();
    state.ResumeTiming();

    informer->apply({Type::kInitStart, {}, {}});
    for (const Object& pod : input)
      informer->apply({Type::kInitObject, pod, {}});
    informer->apply({Type::kInitDone, {}, "2000"});
    while (seen.load() < kPods)
      std::this_thread::yield();

    state.PauseTiming();
    rss_per_pod = static_cast<double>(rss_bytes() - before) / kPods;
    double total = 0;
    informer->store().for_each([&](const Object& o) { total += o.memory_bytes(); });
    object_bytes = total / kPods;
    reg.reset();
    informer.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kPods);
  state.counters["json_bytes_per_pod"] = json_bytes / 1000;
  state.counters["object_bytes_per_pod"] = object_bytes;
  state.counters["rss_bytes_per_pod"] = rss_per_pod;
}
BENCHMARK(BM_InformerList)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MapInsertBaseline(benchmark::State& state) {
  const auto& input = pods();
  for (auto _ : state) {
    std::unordered_map<std::string, Object> map;
    for (const Object& pod : input)
      map.emplace(pod.key(), pod);
    benchmark::DoNotOptimize(map.size());
    state.PauseTiming();
    map = {};
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kPods);
}
BENCHMARK(BM_MapInsertBaseline)->Unit(benchmark::kMillisecond)->UseRealTime();

// Watch updates on a full cache: each event moves a pod to another node (all three indexes
// and one handler involved). Alternates between two versions of 20,000 pods.
void BM_InformerUpdate(benchmark::State& state) {
  constexpr int kMoving = 20'000;
  const auto& input = pods();
  std::vector<Object> moved(kMoving);
  for (int i = 0; i < kMoving; ++i) {
    std::string j = pod_json(i, 5000 + i);
    std::string from = "\"node-" + std::to_string(i % kNodes) + "\"";
    j.replace(j.find(from), from.size(), "\"node-" + std::to_string((i + 7) % kNodes) + "\"");
    moved[static_cast<std::size_t>(i)] = Object::parse(j).value();
  }
  Informer informer(nullptr, options(1));
  add_pod_indexes(informer);
  std::atomic<long> seen{0};
  auto reg =
      informer.add_event_handler({.on_add = [&](const Object&, bool) { ++seen; },
                                  .on_update = [&](const Object&, const Object&) { ++seen; }});
  informer.start();
  informer.apply({Type::kInitStart, {}, {}});
  for (const Object& pod : input)
    informer.apply({Type::kInitObject, pod, {}});
  informer.apply({Type::kInitDone, {}, "2000"});
  long expected = kPods;
  while (seen.load() < expected)
    std::this_thread::yield();

  std::size_t k = 0;
  bool forward = true;
  for (auto _ : state) {
    const Object& next = forward ? moved[k] : input[k];
    informer.apply({Type::kModified, next, {}});
    ++expected;
    if (++k == moved.size()) {
      k = 0;
      forward = !forward;
    }
  }
  while (seen.load() < expected)
    std::this_thread::yield();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InformerUpdate)->UseRealTime()->MinTime(2.0);

void BM_MapUpdateBaseline(benchmark::State& state) {
  const auto& input = pods();
  std::unordered_map<std::string, Object> map;
  for (const Object& pod : input)
    map.emplace(pod.key(), pod);
  std::size_t k = 0;
  for (auto _ : state) {
    const Object& next = input[k];
    map[next.key()] = next;
    if (++k == 20'000) k = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MapUpdateBaseline)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace berth::bench

BENCHMARK_MAIN();
