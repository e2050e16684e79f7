// End-to-end scheduling throughput on 5,000 nodes: berth-sim's scheduler (kube-scheduler v1.26's
// cycle: in-tree filters, percentageOfNodesToScore sampling, extender filter and prioritize,
// asynchronous binding) calling an in-process berth-extender over keep-alive HTTP, for
// scheduler_perf-like workloads: basic pods, required pod anti-affinity on the hostname
// topology, preferred pod affinity. The baseline in the same run is the basic workload under
// default-scheduler, which never calls the extender. See bench/README.md, "Scheduler".
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "kube/client/client.h"
#include "scheduler-extender/config/config.h"
#include "scheduler-extender/feed/watch_feed.h"
#include "scheduler-extender/server/extender_server.h"
#include "sim/cluster/sim_cluster.h"

namespace {

namespace json = kube::json;
namespace ext = berth::extender;
using Clock = std::chrono::steady_clock;

constexpr int kNodes = 5000;
constexpr int kInitPods = 1000;   // already placed when the measurement starts
constexpr int kWarmupPods = 200;  // scheduled, then the clock starts
constexpr int kMeasuredPods = 1000;
constexpr int kGroups = 1000;  // anti-affinity groups: 2,200 pods, at most 3 per group

enum Workload : std::int64_t { kBasic = 0, kAntiAffinity = 1, kPreferredAffinity = 2 };

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "scheduler bench: %s\n", what.c_str());
  std::abort();
}

// berth-extender wired as its binary wires it, fed by watches of the cluster over HTTP.
struct Extender {
  explicit Extender(std::chrono::milliseconds placement_wait)
      : config(with_placement_wait(placement_wait)),
        state(
            ext::ClusterStateOptions{.hard_pod_affinity_weight = config.hard_pod_affinity_weight}),
        policies(state, ext::make_policies(config), config.explain_nodes),
        service(state, policies, config, registry, nullptr,
                [this] { return connected.load() && feed->synced(); }) {
    auto s = ext::start_extender_server({.bind_address = "127.0.0.1:0"}, service, registry);
    if (!s.ok()) die(s.error().message);
    server = std::move(*s);
  }
  ~Extender() {
    server->stop();
    if (feed) feed->stop();
  }
  void connect(const std::string& url) {
    kube::Config c;
    c.server = url;
    auto created = kube::Client::create(c, {.qps = 0, .component = "extender"});
    if (!created.ok()) die(created.error().message);
    client = std::move(*created);
    feed = std::make_unique<ext::WatchFeed>(*client, state);
    feed->start();
    connected = true;
  }

  static ext::ExtenderConfig with_placement_wait(std::chrono::milliseconds wait) {
    ext::ExtenderConfig c;
    c.placement_wait = wait;
    return c;
  }

  ext::ExtenderConfig config;
  ext::ClusterState state;
  ext::PolicySet policies;
  kube::metrics::Registry registry;
  ext::ExtenderService service;
  std::unique_ptr<kube::http::Server> server;
  std::unique_ptr<kube::Client> client;
  std::unique_ptr<ext::WatchFeed> feed;
  std::atomic<bool> connected{false};
};

std::string pod_json(Workload w, int i, std::string_view scheduler) {
  std::string labels;
  std::string affinity;
  switch (w) {
    case kBasic:
      labels = R"({"app":"basic"})";
      break;
    case kAntiAffinity: {
      std::string group = "g" + std::to_string(i % kGroups);
      labels = R"({"group":")" + group + R"("})";
      affinity =
          R"("affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)"
          R"({"labelSelector":{"matchLabels":{"group":")" +
          group + R"("}},"topologyKey":"kubernetes.io/hostname"}]}},)";
      break;
    }
    case kPreferredAffinity:
      labels = R"({"color":"red"})";
      affinity =
          R"("affinity":{"podAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[)"
          R"({"weight":1,"podAffinityTerm":{"labelSelector":{"matchLabels":{"color":"red"}},)"
          R"("topologyKey":"kubernetes.io/hostname"}}]}},)";
      break;
  }
  // scheduler_perf's pod-default: 100m cpu, 500Mi memory.
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-)" + std::to_string(i) +
         R"(","namespace":"bench","labels":)" + labels + R"(},"spec":{"schedulerName":")" +
         std::string(scheduler) + "\"," + affinity +
         R"("containers":[{"name":"c","image":"registry.k8s.io/pause:3.9",)"
         R"("resources":{"requests":{"cpu":"100m","memory":"500Mi"}}}]}})";
}

struct Cluster {
  // `placement_wait`: the extender's placement fence (see its README), 0 = off.
  Cluster(bool with_extender, std::chrono::milliseconds placement_wait) {
    berth::sim::SimClusterOptions o;
    o.api.listen = "127.0.0.1:0";
    o.nodes.count = kNodes;
    // scheduler_perf's nodes have no heartbeats; rare ones keep the machine on the scheduler.
    o.nodes.lease_interval = std::chrono::hours(1);
    o.nodes.status_interval = std::chrono::hours(1);
    o.kubelet = false;
    o.controllers = false;
    o.seed = 1;
    if (with_extender) {
      extender = std::make_unique<Extender>(placement_wait);
      berth::sim::scheduling::ExtenderConfig e;
      e.url_prefix = extender->server->url();
      e.weight = 2;
      o.scheduler_options.extenders.push_back(e);
    }
    auto started = berth::sim::SimCluster::start(std::move(o));
    if (!started.ok()) die(started.error().to_string());
    sim = std::move(*started);
    if (extender) {
      extender->connect(sim->url());
      wait([&] { return extender->feed->synced(); }, "extender sync");
    }
    pods = sim->api_server().registry().find("", "v1", "pods");
    auto ns = json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})");
    auto nsr = sim->api_server().registry().find("", "v1", "namespaces");
    if (!sim->api_server().api().create(nsr, "", std::move(ns).value(), {}).ok()) die("namespace");
  }
  ~Cluster() {
    // The extender's watches first, so they do not retry against a stopped server.
    extender.reset();
    sim->stop();
  }

  static void wait(const std::function<bool()>& done, const char* what) {
    auto deadline = Clock::now() + std::chrono::minutes(5);
    while (!done()) {
      if (Clock::now() > deadline) die(std::string("timed out waiting for ") + what);
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }

  void create(Workload w, int from, int to, std::string_view scheduler) {
    for (int i = from; i < to; ++i) {
      auto doc = json::parse(pod_json(w, i, scheduler));
      auto r = sim->api_server().api().create(pods, "bench", std::move(doc).value(), {});
      if (!r.ok()) die("pod create: " + r.error().message);
    }
  }
  void wait_scheduled(std::uint64_t n) {
    wait([&] { return sim->scheduler()->stats().scheduled >= n; }, "pods to be bound");
  }
  // The extender learns placements from its pod watch: the next pods are judged against them.
  void wait_extender_sees(std::size_t n) {
    if (extender) {
      wait([&] { return extender->state.stats().pods >= n; }, "the extender's pod cache");
    }
  }

  std::unique_ptr<Extender> extender;  // null for the baseline
  std::unique_ptr<berth::sim::SimCluster> sim;
  berth::sim::ResourcePtr pods;
};

// state.range(0): the workload; state.range(1): 1 = berth-scheduler through the extender,
// 0 = default-scheduler (no extender); state.range(2): the extender's placement fence on (its
// default wait) or off.
void BM_Schedule(benchmark::State& state) {
  auto w = static_cast<Workload>(state.range(0));
  bool via_extender = state.range(1) != 0;
  auto placement_wait =
      state.range(2) != 0 ? ext::ExtenderConfig{}.placement_wait : std::chrono::milliseconds(0);
  std::string_view scheduler = via_extender ? "berth-scheduler" : "default-scheduler";
  for (auto _ : state) {
    Cluster c(via_extender, placement_wait);
    // Existing pods of the same kind (scheduler_perf's initPods), then a warm-up.
    c.create(w, 0, kInitPods + kWarmupPods, scheduler);
    c.wait_scheduled(kInitPods + kWarmupPods);
    c.wait_extender_sees(kInitPods + kWarmupPods);
    auto before = c.sim->scheduler()->stats();

    auto start = Clock::now();
    c.create(w, kInitPods + kWarmupPods, kInitPods + kWarmupPods + kMeasuredPods, scheduler);
    c.wait_scheduled(kInitPods + kWarmupPods + kMeasuredPods);
    std::chrono::duration<double> elapsed = Clock::now() - start;
    state.SetIterationTime(elapsed.count());

    auto after = c.sim->scheduler()->stats();
    state.counters["extender_filter_calls"] =
        static_cast<double>(after.extender_filter_calls - before.extender_filter_calls);
    state.counters["failed_attempts"] = static_cast<double>(
        (after.unschedulable - before.unschedulable) + (after.errors - before.errors));
    state.counters["nodes_evaluated_per_pod"] =
        static_cast<double>(after.nodes_evaluated - before.nodes_evaluated) / kMeasuredPods;
  }
  state.SetItemsProcessed(state.iterations() * kMeasuredPods);
  state.SetLabel(std::string(scheduler));
}

BENCHMARK(BM_Schedule)
    ->ArgNames({"workload", "extender", "fence"})
    ->Args({kBasic, 0, 0})
    ->Args({kBasic, 1, 1})
    ->Args({kAntiAffinity, 1, 1})
    ->Args({kPreferredAffinity, 1, 1})
    ->Args({kAntiAffinity, 1, 0})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
