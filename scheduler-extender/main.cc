// berth-extender: the kube-scheduler extender. Wires flags and the config file to the cache
// feed, the policies and the HTTP server; the logic lives in the libraries beside this file.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "kube/client/client.h"
#include "kube/config/config.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/health/health_server.h"
#include "kube/metrics/process.h"
#include "kube/metrics/registry.h"
#include "scheduler-extender/config/config.h"
#include "scheduler-extender/feed/synthetic.h"
#include "scheduler-extender/feed/watch_feed.h"
#include "scheduler-extender/server/extender_server.h"

namespace {

namespace ext = berth::extender;

constexpr const char* kUsage =
    "Usage: berth-extender [flags]\n"
    "\n"
    "The kube-scheduler extender of Berth: filter, prioritize, preempt and (optionally) bind\n"
    "callbacks for inter-pod affinity, node affinity and taints, resource and pod-group fit,\n"
    "data locality, interference, QoS and deadlines, from its own cache of the cluster.\n"
    "\n"
    "Flags:\n"
    "  --kubeconfig PATH               kubeconfig to reach the apiserver (default: in-cluster,\n"
    "                                  else $KUBECONFIG, else ~/.kube/config)\n"
    "  --bind-address HOST:PORT        serve the extender verbs, /explain, /healthz, /readyz\n"
    "                                  and /metrics here (default 0.0.0.0:8888)\n"
    "  --metrics-bind-address HOST:PORT\n"
    "                                  serve /metrics, /healthz and /readyz on a separate\n"
    "                                  listener instead (default: the main one)\n"
    "  --config FILE                   policies, weights and paths (YAML or JSON; see\n"
    "                                  scheduler-extender/README.md)\n"
    "  --tls-cert-file FILE            serve HTTPS with this certificate chain (PEM; reloaded\n"
    "  --tls-private-key-file FILE     when the files change); both or neither\n"
    "  -v, --v N                       log verbosity: 2 logs every decision, 5 every node's\n"
    "                                  per-policy scores (default 0)\n"
    "  --help                          print this help\n"
    "  --version                       print the version\n";

struct Flags {
  std::string kubeconfig;
  std::string bind_address = "0.0.0.0:8888";
  std::string metrics_bind_address;
  std::string config;
  std::string tls_cert;
  std::string tls_key;
  int verbosity = 0;
  // Hidden, for benchmarks: a synthetic cluster instead of the apiserver.
  std::size_t synthetic_nodes = 0;
  std::size_t synthetic_pods = 0;
  std::optional<std::size_t> print_synthetic_request;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "berth-extender: %s (see --help)\n", message.c_str());
  std::exit(2);
}

void check_address(const std::string& flag, const std::string& address) {
  auto colon = address.rfind(':');
  auto port =
      colon == std::string::npos ? std::nullopt : kube::parse_int(address.substr(colon + 1));
  if (colon == 0 || !port || *port < 0 || *port > 65535) {
    usage_error(flag + " must be HOST:PORT, got \"" + address + "\"");
  }
}

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--version") {
      std::printf("berth-extender %s\n", BERTH_VERSION);
      std::exit(0);
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto take = [&]() -> std::string {
      if (value) return *value;
      if (i + 1 >= argc) usage_error("flag " + name + " needs a value");
      return argv[++i];
    };
    auto count = [&](long long max) -> std::size_t {
      std::string v = take();
      auto n = kube::parse_int(v);
      if (!n || *n < 0 || *n > max) {
        usage_error(name + " must be an integer from 0 to " + std::to_string(max) + ", got \"" + v +
                    "\"");
      }
      return static_cast<std::size_t>(*n);
    };
    if (name == "--kubeconfig") {
      f.kubeconfig = take();
    } else if (name == "--bind-address") {
      f.bind_address = take();
    } else if (name == "--metrics-bind-address") {
      f.metrics_bind_address = take();
    } else if (name == "--config") {
      f.config = take();
      if (f.config.empty()) usage_error("--config needs a file");
    } else if (name == "--tls-cert-file") {
      f.tls_cert = take();
    } else if (name == "--tls-private-key-file") {
      f.tls_key = take();
    } else if (name == "-v" || name == "--v") {
      f.verbosity = static_cast<int>(count(10));
    } else if (name == "--synthetic-nodes") {
      f.synthetic_nodes = count(1'000'000);
    } else if (name == "--synthetic-pods") {
      f.synthetic_pods = count(100'000'000);
    } else if (name == "--print-synthetic-request") {
      f.print_synthetic_request = count(1'000'000);
    } else {
      usage_error("unknown flag " + name);
    }
  }
  check_address("--bind-address", f.bind_address);
  if (!f.metrics_bind_address.empty())
    check_address("--metrics-bind-address", f.metrics_bind_address);
  if (f.tls_cert.empty() != f.tls_key.empty()) {
    usage_error("--tls-cert-file and --tls-private-key-file go together");
  }
  if (f.synthetic_pods > 0 && f.synthetic_nodes == 0) {
    usage_error("--synthetic-pods needs --synthetic-nodes");
  }
  return f;
}

// Drops pods this process bound whose binding the watch never confirmed.
class AssumptionReaper {
 public:
  explicit AssumptionReaper(ext::ClusterState& state)
      : thread_([this, &state] {
          std::unique_lock<std::mutex> lock(mu_);
          while (!cv_.wait_for(lock, std::chrono::seconds(5), [this] { return stop_; })) {
            lock.unlock();
            state.write().expire_assumed(std::chrono::system_clock::now());
            lock.lock();
          }
        }) {}
  ~AssumptionReaper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  Flags flags = parse_flags(argc, argv);
  kube::log::set_component("berth-extender");
  kube::log::set_verbosity(flags.verbosity);

  ext::ExtenderConfig config;
  if (!flags.config.empty()) {
    auto loaded = ext::load_config(flags.config);
    if (!loaded.ok()) {
      std::fprintf(stderr, "berth-extender: %s\n", loaded.error().message.c_str());
      return 2;
    }
    config = std::move(*loaded);
  }
  ext::SyntheticCluster synthetic{flags.synthetic_nodes, flags.synthetic_pods, 1};
  if (flags.print_synthetic_request) {
    if (flags.synthetic_nodes == 0)
      usage_error("--print-synthetic-request needs --synthetic-nodes");
    std::fputs(ext::synthetic_extender_args(synthetic, *flags.print_synthetic_request).c_str(),
               stdout);
    return 0;
  }

  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  kube::metrics::Registry& registry = kube::metrics::default_registry();
  kube::metrics::ProcessMetrics process_metrics(registry);

  ext::ClusterState state(ext::ClusterStateOptions{
      .max_views = config.max_count_views,
      .hard_pod_affinity_weight =
          config.inter_pod_affinity.enabled ? config.hard_pod_affinity_weight : 0});
  ext::PolicySet policies(state, ext::make_policies(config), config.explain_nodes);

  std::unique_ptr<kube::Client> client;
  std::unique_ptr<ext::WatchFeed> feed;
  std::unique_ptr<ext::Binder> binder;
  std::function<bool()> ready;
  if (flags.synthetic_nodes > 0) {
    ext::populate(state, synthetic);
    kube::log::info("serving a synthetic cluster",
                    {{"nodes", flags.synthetic_nodes}, {"pods", flags.synthetic_pods}});
    ready = [] { return true; };
  } else {
    auto kube_config = kube::load_config({.kubeconfig = flags.kubeconfig});
    if (!kube_config.ok()) {
      std::fprintf(stderr, "berth-extender: %s\n", kube_config.error().message.c_str());
      return 1;
    }
    auto created =
        kube::Client::create(*kube_config, {.qps = 50, .burst = 100, .component = "extender"});
    if (!created.ok()) {
      std::fprintf(stderr, "berth-extender: %s\n", created.error().message.c_str());
      return 1;
    }
    client = std::move(*created);
    kube::log::info("connecting", {{"apiserver", kube_config->describe()}});
    feed = std::make_unique<ext::WatchFeed>(*client, state);
    feed->start();
    ready = [f = feed.get()] { return f->synced(); };
    if (config.bind_enabled) binder = std::make_unique<ext::ApiBinder>(*client);
  }
  if (config.bind_enabled && !binder) {
    std::fprintf(stderr,
                 "berth-extender: bind.enabled needs the apiserver (not a synthetic "
                 "cluster)\n");
    return 2;
  }

  std::shared_ptr<kube::http::TlsOptions> tls;
  if (!flags.tls_cert.empty()) {
    tls = std::make_shared<kube::http::TlsOptions>();
    tls->cert_file = flags.tls_cert;
    tls->key_file = flags.tls_key;
  }
  bool separate_metrics =
      !flags.metrics_bind_address.empty() && flags.metrics_bind_address != flags.bind_address;
  ext::ExtenderService service(state, policies, config, registry, binder.get(), ready,
                               !separate_metrics);
  auto server = ext::start_extender_server(
      {.bind_address = flags.bind_address, .tls = tls, .max_body_bytes = config.max_request_bytes},
      service, registry);
  if (!server.ok()) {
    std::fprintf(stderr, "berth-extender: cannot serve on %s: %s\n", flags.bind_address.c_str(),
                 server.error().message.c_str());
    return 1;
  }
  std::unique_ptr<kube::HealthServer> health;
  if (separate_metrics) {
    auto started = kube::HealthServer::start(
        {.bind_address = flags.metrics_bind_address, .metrics = &registry, .name = "metrics"});
    if (!started.ok()) {
      std::fprintf(stderr, "berth-extender: cannot serve metrics on %s: %s\n",
                   flags.metrics_bind_address.c_str(), started.error().message.c_str());
      return 1;
    }
    health = std::move(*started);
    health->add_readyz_check("cache-sync", ready, "the caches have not synced yet");
  }
  std::optional<AssumptionReaper> reaper;
  if (config.bind_enabled) reaper.emplace(state);

  std::printf("berth-extender: serving on %s\n", (*server)->url().c_str());
  if (health) std::printf("berth-extender: metrics on %s\n", health->url().c_str());
  std::fflush(stdout);
  kube::log::info("serving",
                  {{"url", (*server)->url()},
                   {"filter", config.filter_path},
                   {"prioritize", config.prioritize_path},
                   {"preempt", config.preempt_path},
                   {"bind", config.bind_enabled ? config.bind_path : "disabled"},
                   {"policies", static_cast<unsigned long>(policies.policies().size())}});

  int sig = 0;
  sigwait(&signals, &sig);
  kube::log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  if (health) health->mark_shutting_down();
  (*server)->stop(std::chrono::seconds(5));
  if (health) health->stop();
  reaper.reset();
  if (feed) feed->stop();
  return 0;
}
