// berth-extender's compute per scheduling call on a large cluster (5,000 nodes, 150,000
// pods), against a baseline in the same run that computes inter-pod affinity the way the
// in-tree plugin does: by walking every pod for every pod to schedule. See bench/README.md.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "scheduler-extender/config/config.h"
#include "scheduler-extender/feed/synthetic.h"
#include "scheduler-extender/policies/inter_pod_affinity.h"
#include "scheduler-extender/server/extender_service.h"
#include "scheduler-extender/testing/naive_affinity.h"

namespace berth::extender {
namespace {

using Clock = std::chrono::steady_clock;

struct Fixture {
  Fixture() {
    populate(state, shape);
    config = ExtenderConfig{};
    all = std::make_unique<PolicySet>(state, make_policies(config));
    ExtenderConfig no_affinity = config;
    no_affinity.inter_pod_affinity.enabled = false;
    others = std::make_unique<PolicySet>(state, make_policies(no_affinity));
    std::vector<WeightedPolicy> only;
    only.push_back({std::make_unique<InterPodAffinityPolicy>(), 1});
    affinity = std::make_unique<PolicySet>(state, std::move(only));
    for (std::size_t i = 0; i < shape.nodes; ++i) {
      names.push_back(synthetic_node_name(i));
      world.nodes.push_back(synthetic_node(i));
    }
    for (std::size_t i = 0; i < shape.pods; ++i)
      world.pods.push_back(synthetic_pod(shape, i));
    for (std::size_t i = 0; i < 50; ++i) {
      char ns[8];
      std::snprintf(ns, sizeof(ns), "ns-%02zu", i);
      world.namespaces.push_back({ns, {{"team", i % 2 == 0 ? "a" : "b"}}});
    }
    views.assign(names.begin(), names.end());
    pod = synthetic_incoming_pod(shape);
    // Registers the pod's count views, as the first pod of its Deployment would.
    (void)all->filter(pod, views);
    (void)all->prioritize(pod, views);
  }
  SyntheticCluster shape{5000, 150000, 1};
  ClusterState state;
  ExtenderConfig config;
  std::unique_ptr<PolicySet> all, others, affinity;
  testing::World world;
  std::vector<std::string> names;
  std::vector<std::string_view> views;
  PodSpec pod;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Per-iteration wall time; p50/p99 reported as counters (microseconds).
class Latencies {
 public:
  void add(Clock::duration d) {
    samples_.push_back(std::chrono::duration<double, std::micro>(d).count());
  }
  void report(benchmark::State& state) {
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) {
      return samples_[std::min(samples_.size() - 1, static_cast<std::size_t>(q * samples_.size()))];
    };
    state.counters["p50_us"] = at(0.50);
    state.counters["p99_us"] = at(0.99);
  }

 private:
  std::vector<double> samples_;
};

std::span<const std::string_view> candidates(const Fixture& f, std::int64_t n) {
  return std::span<const std::string_view>(f.views).first(static_cast<std::size_t>(n));
}

// filter, then prioritize over the nodes that passed: one scheduling cycle's extender calls.
void BM_FilterPrioritize(benchmark::State& state) {
  Fixture& f = fixture();
  auto c = candidates(f, state.range(0));
  Latencies lat;
  std::vector<std::string_view> passed;
  for (auto _ : state) {
    auto start = Clock::now();
    FilterOutcome out = f.all->filter(f.pod, c);
    passed.clear();
    for (std::uint32_t i : out.passed)
      passed.push_back(c[i]);
    PrioritizeOutcome scores = f.all->prioritize(f.pod, passed);
    benchmark::DoNotOptimize(scores.scores.data());
    lat.add(Clock::now() - start);
  }
  lat.report(state);
  state.counters["feasible"] = static_cast<double>(passed.size());
}

// A pod that most candidates reject: required affinity to an app with 30 pods, by rack (20
// nodes each), so ~600 of 5,000 nodes pass and every other one carries a reason.
void BM_FilterMostlyInfeasible(benchmark::State& state) {
  Fixture& f = fixture();
  auto c = candidates(f, state.range(0));
  PodSpec pod = f.pod;
  PodAffinityTermSpec t;
  t.selector = *kube::LabelSelector::parse("app=app-00007");
  t.namespaces = {"ns-07"};
  t.topology_key = "topology.berth.dev/rack";
  pod.required_affinity = {t};
  (void)f.all->filter(pod, c);
  Latencies lat;
  std::size_t feasible = 0;
  for (auto _ : state) {
    auto start = Clock::now();
    FilterOutcome out = f.all->filter(pod, c);
    feasible = out.passed.size();
    benchmark::DoNotOptimize(out.failed.data());
    lat.add(Clock::now() - start);
  }
  lat.report(state);
  state.counters["feasible"] = static_cast<double>(feasible);
}

// The same calls with inter-pod affinity computed by walking all 150,000 pods per call (the
// in-tree algorithm); the other policies are Berth's.
void BM_FilterPrioritizeNaiveAffinity(benchmark::State& state) {
  Fixture& f = fixture();
  auto c = candidates(f, state.range(0));
  std::vector<std::string> names(c.begin(), c.end());
  Latencies lat;
  std::vector<std::string_view> passed;
  for (auto _ : state) {
    auto start = Clock::now();
    FilterOutcome out = f.others->filter(f.pod, c);
    testing::NaiveResult affinity = testing::naive_inter_pod_affinity(f.world, f.pod, names);
    passed.clear();
    for (std::uint32_t i : out.passed) {
      if (affinity.reasons[i].empty()) passed.push_back(c[i]);
    }
    PrioritizeOutcome scores = f.others->prioritize(f.pod, passed);
    benchmark::DoNotOptimize(scores.scores.data());
    lat.add(Clock::now() - start);
  }
  lat.report(state);
  state.counters["feasible"] = static_cast<double>(passed.size());
}

// Inter-pod affinity alone (filter + scores), incremental vs walking every pod.
void BM_InterPodAffinity(benchmark::State& state) {
  Fixture& f = fixture();
  auto c = candidates(f, state.range(0));
  Latencies lat;
  for (auto _ : state) {
    auto start = Clock::now();
    FilterOutcome out = f.affinity->filter(f.pod, c);
    PrioritizeOutcome scores = f.affinity->prioritize(f.pod, c);
    benchmark::DoNotOptimize(out.passed.data());
    benchmark::DoNotOptimize(scores.scores.data());
    lat.add(Clock::now() - start);
  }
  lat.report(state);
}

void BM_InterPodAffinityNaive(benchmark::State& state) {
  Fixture& f = fixture();
  auto c = candidates(f, state.range(0));
  std::vector<std::string> names(c.begin(), c.end());
  Latencies lat;
  for (auto _ : state) {
    auto start = Clock::now();
    testing::NaiveResult r = testing::naive_inter_pod_affinity(f.world, f.pod, names);
    benchmark::DoNotOptimize(r.normalized.data());
    lat.add(Clock::now() - start);
  }
  lat.report(state);
}

// Through the HTTP handler without sockets: JSON parse, decision, JSON answer.
void BM_ServiceFilterPrioritize(benchmark::State& state) {
  Fixture& f = fixture();
  kube::metrics::Registry registry;
  ExtenderService service(f.state, *f.all, f.config, registry, nullptr, [] { return true; });
  std::string body = synthetic_extender_args(f.shape, static_cast<std::size_t>(state.range(0)));
  Latencies lat;
  for (auto _ : state) {
    auto start = Clock::now();
    for (const char* path : {"/filter", "/prioritize"}) {
      kube::http::Request r;
      r.method = "POST";
      r.target = path;
      r.body = body;
      service.handle(std::move(r),
                     [](kube::http::Response resp) { benchmark::DoNotOptimize(resp.body.data()); });
    }
    lat.add(Clock::now() - start);
  }
  lat.report(state);
  state.counters["request_bytes"] = static_cast<double>(body.size());
}

// One pod watch event (an update that re-adds the pod) with the views and groups registered:
// the incremental upkeep paid instead of per-request walks.
void BM_PodUpdateEvent(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t i = 0;
  for (auto _ : state) {
    PodSpec p = synthetic_pod(f.shape, (i++ * 7919) % f.shape.pods);
    f.state.write().upsert_pod(p);
  }
  state.SetItemsProcessed(state.iterations());
}

// Heap held per cached pod: 150,000 pods of the synthetic shape on 5,000 nodes, measured as
// the allocator's in-use bytes before and after loading the pods.
void BM_MemoryPerCachedPod(benchmark::State& state) {
  for (auto _ : state) {
    SyntheticCluster shape{5000, 150000, 2};
    ClusterState s;
    {
      auto w = s.write();
      for (std::size_t n = 0; n < shape.nodes; ++n)
        w.upsert_node(synthetic_node(n));
    }
    malloc_trim(0);
    std::size_t before = mallinfo2().uordblks;
    {
      auto w = s.write();
      for (std::size_t p = 0; p < shape.pods; ++p)
        w.upsert_pod(synthetic_pod(shape, p));
    }
    std::size_t after = mallinfo2().uordblks;
    state.counters["bytes_per_pod"] =
        static_cast<double>(after - before) / static_cast<double>(shape.pods);
    state.counters["pods"] = static_cast<double>(s.stats().pods);
  }
}

BENCHMARK(BM_FilterPrioritize)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FilterMostlyInfeasible)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FilterPrioritizeNaiveAffinity)
    ->Arg(500)
    ->Arg(5000)
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2);
BENCHMARK(BM_InterPodAffinity)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_InterPodAffinityNaive)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond)->MinTime(2);
BENCHMARK(BM_ServiceFilterPrioritize)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PodUpdateEvent)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemoryPerCachedPod)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace berth::extender

BENCHMARK_MAIN();
