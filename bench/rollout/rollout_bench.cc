// 1,000 Rollouts progressing at once on an in-process simulated cluster (nodes, kubelet,
// ReplicaSet controller, scheduler), driven by a real berth-controller process over HTTP.
//
// BM_RolloutsProgressing/rollouts:N/workers:W: N canary Rollouts of 2 replicas become Healthy;
// then every image changes at once and each Rollout goes through setWeight 50 to promotion,
// with W reconcile workers. Reported:
//   reconciles_per_s   Rollout reconciles finished per second while they progress (the
//                      controller's controller_runtime_reconcile_total, every result)
//   spec_to_write_p50/p99_ms   from the commit of a spec change to the controller's first write
//                      in answer (the status that records the new revision)
//   rs_ready_to_write_p99_ms   from the commit that makes a canary ReplicaSet fully available to
//                      the Rollout's next status write (the step advancing)
//   rss_start_mb / rss_mb / rss_peak_mb  the controller's RSS once ready (no Rollout yet on a
//                      fresh cluster), with N Healthy ones, and its high-water mark after
//                      the rollout
// BM_EchoControllerBaseline/rollouts:N/workers:W (the baseline, same run, same cluster): a
// kube::Manager with the same client settings and workers whose reconciler only writes
// status.observedGeneration, answering the same spec change on the same N Rollouts - the floor of
// the runtime (watch, queue, one status write over HTTP) that the rollout controller's own work
// sits on.
//
// Both see commits through one LocalInformer in the benchmark process, so the latencies are
// measured against the same clock with the same dispatch lag.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "controllers/rollout/names.h"
#include "kube/controller/reconciler.h"
#include "kube/core/yaml.h"
#include "kube/http/client.h"
#include "kube/manager/manager.h"
#include "sim/cluster/local_client.h"
#include "sim/cluster/sim_cluster.h"

extern char** environ;

namespace {

namespace json = kube::json;
namespace sim = berth::sim;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kNamespace = "bench";
constexpr int kReplicas = 2;
constexpr double kQps = 5000;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "rollout bench: %s\n", what.c_str());
  std::abort();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A port the kernel picked and released for the controller's metrics server.
std::uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    die("no free port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Polls `done` every 10 ms for up to `timeout`.
bool until(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string rollout_json(int i, std::string_view image) {
  std::string name = "r" + std::to_string(i);
  return R"({"apiVersion":"berth.dev/v1alpha1","kind":"Rollout","metadata":{"name":")" + name +
         R"(","namespace":"bench"},"spec":{"replicas":)" + std::to_string(kReplicas) +
         R"(,"selector":{"matchLabels":{"app":")" + name +
         R"("}},"template":{"metadata":{"labels":{"app":")" + name +
         R"("}},"spec":{"containers":[{"name":"app","image":")" + std::string(image) +
         R"("}]}},"strategy":{"canary":{"maxSurge":1,"maxUnavailable":0,"steps":[{"setWeight":50}]}}}})";
}

std::string image_patch(std::string_view image) {
  return R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":")" +
         std::string(image) + R"("}]}}}})";
}

// What the benchmark sees of the cluster: commit times of the changes that matter.
class Recorder {
 public:
  Recorder(sim::SimCluster& cluster, sim::LocalClient& client)
      : informer_(cluster.api_server().api()) {
    rollouts_ = client.resource("berth.dev", "v1alpha1", "rollouts");
    replica_sets_ = client.resource("apps", "v1", "replicasets");
    informer_.add_handler(rollouts_, [this](const sim::LocalEvent& e) { on_rollout(e); });
    informer_.add_handler(replica_sets_, [this](const sim::LocalEvent& e) { on_rs(e); });
    informer_.start();
  }
  ~Recorder() { informer_.stop(); }

  // Forgets the last round: the next spec change of each Rollout starts its timing.
  void expect_spec_change() {
    std::lock_guard lock(mu_);
    spec_at_.clear();
    answered_.clear();
    rs_ready_at_.clear();
    step_latency_.clear();
    spec_latency_.clear();
  }
  int count(const std::function<bool(const kube::Object&)>& pred) {
    int n = 0;
    for (const kube::Object& r : informer_.list(rollouts_)) {
      if (pred(r)) ++n;
    }
    return n;
  }
  std::vector<double> spec_latencies() {
    std::lock_guard lock(mu_);
    return spec_latency_;
  }
  std::vector<double> step_latencies() {
    std::lock_guard lock(mu_);
    return step_latency_;
  }

 private:
  void on_rollout(const sim::LocalEvent& e) {
    auto now = Clock::now();
    const kube::Object& r = e.object;
    std::string name(r.name());
    std::lock_guard lock(mu_);
    if (e.previous && e.previous.generation() != r.generation()) {
      spec_at_[name] = {now, r.generation()};
      answered_.erase(name);
      return;
    }
    // A controller's write: the first one that has seen the new generation answers it.
    const json::Value* status = r.status();
    if (status == nullptr || !e.previous) return;
    auto spec = spec_at_.find(name);
    if (spec != spec_at_.end() &&
        json::get_int(*status, "observedGeneration", 0) == spec->second.second &&
        answered_.insert(name).second) {
      spec_latency_.push_back(ms(now - spec->second.first));
    }
    auto ready = rs_ready_at_.find(name);
    if (ready != rs_ready_at_.end()) {
      step_latency_.push_back(ms(now - ready->second));
      rs_ready_at_.erase(ready);
    }
  }
  void on_rs(const sim::LocalEvent& e) {
    const kube::Object& rs = e.object;
    auto owner = rs.label(berth::rollout::kRolloutLabel);
    if (!owner || e.type == sim::EventType::kDeleted || rs.status() == nullptr) return;
    std::int64_t want = json::get_int(*rs.spec(), "replicas", 0);
    std::int64_t available = json::get_int(*rs.status(), "availableReplicas", 0);
    std::int64_t before = e.previous && e.previous.status()
                              ? json::get_int(*e.previous.status(), "availableReplicas", 0)
                              : 0;
    if (want == 0 || available != want || before == available) return;
    std::lock_guard lock(mu_);
    if (spec_at_.count(std::string(*owner)) == 0) return;  // not rolling
    rs_ready_at_[std::string(*owner)] = Clock::now();
  }
  static double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
  }

  sim::LocalInformer informer_;
  sim::ResourcePtr rollouts_;
  sim::ResourcePtr replica_sets_;
  std::mutex mu_;
  std::map<std::string, std::pair<Clock::time_point, std::int64_t>> spec_at_;
  std::set<std::string> answered_;
  std::map<std::string, Clock::time_point> rs_ready_at_;
  std::vector<double> spec_latency_;
  std::vector<double> step_latency_;
};

// The cluster, the CRD and N Rollouts, shared by both benchmarks of one N.
struct World {
  std::unique_ptr<sim::SimCluster> cluster;
  std::unique_ptr<sim::LocalClient> client;
  std::unique_ptr<Recorder> recorder;
  sim::ResourcePtr rollouts;
  std::string kubeconfig;
  int n = 0;
  int generation_image = 1;

  explicit World(int count) : n(count) {
    sim::SimClusterOptions o;
    o.api.listen = "127.0.0.1:0";
    o.nodes.count = std::max(3, count * kReplicas * 2 / 100 + 1);
    o.nodes.lease_interval = 2s;
    o.kubelet_options.pod_start_delay = 20ms;
    o.kubelet_options.pod_stop_delay = 10ms;
    o.seed = 11;
    auto started = sim::SimCluster::start(std::move(o));
    if (!started.ok()) die(started.error().to_string());
    cluster = std::move(started).value();
    client = std::make_unique<sim::LocalClient>(
        cluster->api_server().api(), sim::Identity{"system:admin", {"system:masters"}, "bench"});
    auto crd = kube::yaml::to_json(
        read_text(std::string(BERTH_SOURCE_DIR) + "/deploy/crds/rollouts.berth.dev.yaml"));
    if (!crd.ok()) die(crd.error().message);
    auto made =
        client->create(client->resource("apiextensions.k8s.io", "v1", "customresourcedefinitions"),
                       "", std::move(crd).value());
    if (!made.ok()) die(made.error().message);
    auto ns = json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})");
    if (!client->create(client->resource("", "v1", "namespaces"), "", std::move(ns).value()).ok()) {
      die("namespace");
    }
    if (!until(
            [&] {
              try {
                rollouts = client->resource("berth.dev", "v1alpha1", "rollouts");
                return true;
              } catch (const std::logic_error&) {
                return false;
              }
            },
            10s)) {
      die("the Rollout CRD is not served");
    }
    recorder = std::make_unique<Recorder>(*cluster, *client);
    kubeconfig = std::filesystem::temp_directory_path() /
                 ("berth-rollout-bench-" + std::to_string(getpid()) + ".kubeconfig");
    std::ofstream(kubeconfig) << cluster->api_server().kubeconfig(cluster->url());
  }
  ~World() {
    recorder.reset();
    cluster->stop();
    std::filesystem::remove(kubeconfig);
  }

  void create_rollouts() {
    for (int i = 0; i < n; ++i) {
      auto doc = json::parse(rollout_json(i, "v1"));
      auto r = client->create(rollouts, kNamespace, std::move(doc).value());
      if (!r.ok()) die(r.error().message);
    }
  }
  // Changes every image at once (from 4 threads, as many users would).
  void change_images() {
    std::string image = "v" + std::to_string(++generation_image);
    recorder->expect_spec_change();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; i < n; i += 4) {
          auto r = client->patch(rollouts, kNamespace, "r" + std::to_string(i),
                                 sim::PatchType::kMerge, image_patch(image));
          if (!r.ok()) die(r.error().message);
        }
      });
    }
    for (std::thread& t : threads)
      t.join();
  }
  int healthy_at(std::string_view image) {
    return recorder->count([&](const kube::Object& r) {
      const json::Value* c = json::find_path(r.json(), {"spec", "template", "spec", "containers"});
      return r.status() != nullptr && json::get_string(*r.status(), "phase") == "Healthy" &&
             json::get_int(*r.status(), "observedGeneration", 0) == r.generation() &&
             json::get_string(*r.status(), "stableHash") ==
                 json::get_string(*r.status(), "canaryHash") &&
             c != nullptr && json::get_string((*c)[0], "image") == image;
    });
  }
};

World& world(int n) {
  static std::map<int, std::unique_ptr<World>> worlds;
  auto& w = worlds[n];
  if (!w) w = std::make_unique<World>(n);
  return *w;
}

struct Process {
  pid_t pid = -1;
  std::uint16_t port = 0;

  ~Process() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
  double rss_mb(std::string_view field) const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(field, 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
    }
    return 0;
  }
  std::string get(std::string_view path) const {
    kube::http::Client c;
    auto r = c.get("http://127.0.0.1:" + std::to_string(port) + std::string(path), 5s);
    return r.ok() ? r->body : "";
  }
  // controller_runtime_reconcile_total of the rollout controller, every result.
  double reconciles() const {
    std::string metrics = get("/metrics");
    double total = 0;
    std::string prefix = R"(controller_runtime_reconcile_total{controller="rollout",)";
    for (std::size_t at = metrics.find(prefix); at != std::string::npos;
         at = metrics.find(prefix, at + 1)) {
      std::size_t space = metrics.find(' ', metrics.find('}', at));
      total += std::stod(metrics.substr(space + 1, metrics.find('\n', space) - space - 1));
    }
    return total;
  }
};

std::unique_ptr<Process> start_controller(const World& w, int workers) {
  auto p = std::make_unique<Process>();
  p->port = free_port();
  std::string binary = std::string(BERTH_BINARY_DIR) + "/controllers/berth-controller";
  std::vector<std::string> args = {binary,
                                   "--kubeconfig=" + w.kubeconfig,
                                   "--metrics-bind-address=127.0.0.1:" + std::to_string(p->port),
                                   "--rollout-workers=" + std::to_string(workers),
                                   "--kube-api-qps=" + std::to_string(static_cast<int>(kQps)),
                                   "--kube-api-burst=" + std::to_string(static_cast<int>(kQps))};
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  if (posix_spawn(&p->pid, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    die("cannot start " + binary);
  }
  posix_spawn_file_actions_destroy(&actions);
  if (!until([&] { return p->get("/readyz") == "ok"; }, 30s)) die("berth-controller not ready");
  return p;
}

void BM_RolloutsProgressing(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  int workers = static_cast<int>(state.range(1));
  World& w = world(n);
  for (auto _ : state) {
    auto controller = start_controller(w, workers);
    double rss_start = controller->rss_mb("VmRSS:");
    // A second run on the same cluster starts from the Rollouts the first one promoted.
    if (w.recorder->count([](const kube::Object&) { return true; }) == 0) w.create_rollouts();
    std::string current = "v" + std::to_string(w.generation_image);
    if (!until([&] { return w.healthy_at(current) == n; }, 600s)) die("rollouts not healthy");
    // The controller's first pass over every Rollout is over before the clock starts.
    if (!until([&] { return controller->reconciles() >= n; }, 600s)) die("no initial pass");
    double rss = controller->rss_mb("VmRSS:");
    double before = controller->reconciles();
    auto start = Clock::now();
    w.change_images();
    std::string image = "v" + std::to_string(w.generation_image);
    if (!until([&] { return w.healthy_at(image) == n; }, 600s)) die("rollouts not promoted");
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double reconciles = controller->reconciles() - before;
    state.SetIterationTime(seconds);
    std::vector<double> spec = w.recorder->spec_latencies();
    std::vector<double> step = w.recorder->step_latencies();
    state.counters["reconciles"] = reconciles;
    state.counters["reconciles_per_s"] = reconciles / seconds;
    state.counters["rollouts_per_s"] = n / seconds;
    state.counters["spec_to_write_p50_ms"] = percentile(spec, 0.50);
    state.counters["spec_to_write_p99_ms"] = percentile(spec, 0.99);
    state.counters["rs_ready_to_write_p50_ms"] = percentile(step, 0.50);
    state.counters["rs_ready_to_write_p99_ms"] = percentile(step, 0.99);
    state.counters["samples"] = static_cast<double>(spec.size());
    state.counters["rss_start_mb"] = rss_start;
    state.counters["rss_mb"] = rss;
    state.counters["rss_peak_mb"] = controller->rss_mb("VmHWM:");
  }
}
BENCHMARK(BM_RolloutsProgressing)
    ->ArgNames({"rollouts", "workers"})
    ->Args({100, 4})
    ->Args({1000, 4})
    ->Args({1000, 16})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// Writes status.observedGeneration, nothing else.
class EchoReconciler final : public kube::Reconciler {
 public:
  EchoReconciler(kube::Client& client, kube::Informer& rollouts)
      : client_(client), rollouts_(rollouts) {}
  kube::Result<kube::ReconcileResult> reconcile(const kube::Request& request,
                                                const kube::ReconcileContext&) override {
    kube::Object r = rollouts_.store().get(request.key());
    if (!r || (r.status() != nullptr &&
               json::get_int(*r.status(), "observedGeneration", 0) == r.generation())) {
      return kube::ReconcileResult{};
    }
    json::Document doc = r.copy();
    json::Value& status = json::ensure_object(doc, "status", doc.GetAllocator());
    json::set(status, "observedGeneration", json::Value(r.generation()), doc.GetAllocator());
    KUBE_ASSIGN_OR_RETURN(kube::Object updated,
                          client_.update_status(berth::rollout::kRollouts, doc));
    (void)updated;
    return kube::ReconcileResult{};
  }

 private:
  kube::Client& client_;
  kube::Informer& rollouts_;
};

void BM_EchoControllerBaseline(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  int workers = static_cast<int>(state.range(1));
  World& w = world(n);
  if (w.recorder->count([](const kube::Object&) { return true; }) == 0) w.create_rollouts();
  for (auto _ : state) {
    kube::ManagerOptions options;
    options.name = "echo";
    options.config.server = w.cluster->url();
    options.client.qps = kQps;
    options.client.burst = static_cast<int>(kQps);
    options.health_bind_address = "";
    auto manager = kube::Manager::create(std::move(options));
    if (!manager.ok()) die(manager.error().to_string());
    kube::Informer& rollouts = (*manager)->informers().informer(berth::rollout::kRollouts);
    (*manager)
        ->controller("echo")
        .for_(berth::rollout::kRollouts)
        .workers(workers)
        .complete(std::make_shared<EchoReconciler>((*manager)->client(), rollouts));
    kube::CancelSource stop;
    std::thread runner([&] { (void)(*manager)->run(stop.token()); });
    if (!until([&] { return (*manager)->is_leader() && rollouts.has_synced(); }, 30s)) {
      die("echo manager not running");
    }
    auto start = Clock::now();
    w.change_images();
    std::string image = "v" + std::to_string(w.generation_image);
    if (!until([&] { return w.recorder->spec_latencies().size() >= static_cast<std::size_t>(n); },
               600s)) {
      die("echo controller did not answer");
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(seconds);
    std::vector<double> spec = w.recorder->spec_latencies();
    state.counters["writes_per_s"] = n / seconds;
    state.counters["spec_to_write_p50_ms"] = percentile(spec, 0.50);
    state.counters["spec_to_write_p99_ms"] = percentile(spec, 0.99);
    stop.cancel();
    runner.join();
  }
}
BENCHMARK(BM_EchoControllerBaseline)
    ->ArgNames({"rollouts", "workers"})
    ->Args({100, 4})
    ->Args({1000, 4})
    ->Args({1000, 16})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
