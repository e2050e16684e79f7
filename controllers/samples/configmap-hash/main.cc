// berth-configmap-hash: the sample controller. Rolls a Deployment whenever the ConfigMap named
// by its berth.dev/config-map annotation changes. See kube/README.md for the walk-through.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "controllers/samples/configmap-hash/controller.h"
#include "kube/config/config.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/manager/manager.h"
#include "kube/manager/signals.h"
#include "kube/metrics/process.h"

namespace {

constexpr const char* kName = "berth-configmap-hash";
constexpr const char* kUsage =
    "Usage: berth-configmap-hash [flags]\n"
    "\n"
    "Keeps spec.template.metadata.annotations[\"berth.dev/config-hash\"] of every Deployment\n"
    "annotated berth.dev/config-map=<configmap> equal to a hash of that ConfigMap's data, so\n"
    "a ConfigMap change rolls the Deployment.\n"
    "\n"
    "Flags:\n"
    "  --kubeconfig PATH                 kubeconfig (default: in-cluster, then $KUBECONFIG,\n"
    "                                    then ~/.kube/config)\n"
    "  --metrics-bind-address HOST:PORT  /healthz, /readyz and /metrics (default\n"
    "                                    127.0.0.1:8080; \"0\" disables)\n"
    "  --leader-elect                    run leader election (for more than one replica)\n"
    "  --leader-elect-namespace NS       namespace of the Lease (default: the client's)\n"
    "  --leader-elect-lease-duration D   how long a lease lasts unrenewed (default 15s)\n"
    "  --leader-elect-renew-deadline D   how long the leader retries renewing before it\n"
    "                                    stops acting (default 10s)\n"
    "  --leader-elect-retry-period D     time between attempts (default 2s); durations are\n"
    "                                    a number with ms, s or m\n"
    "  --workers N                       concurrent reconciles (default 2)\n"
    "  -v, --v N                         log verbosity (default 0)\n"
    "  --help                            print this help\n"
    "  --version                         print the version\n";

struct Flags {
  std::string kubeconfig;
  std::string metrics_bind_address = "127.0.0.1:8080";
  bool leader_elect = false;
  std::string leader_elect_namespace;
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  int workers = 2;
  int verbosity = 0;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", kName, message.c_str());
  std::exit(2);
}

// "500ms", "2s", "1m"
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  auto n = kube::parse_int(text.substr(0, digits));
  if (!n || *n <= 0 || *n > 24 * 3600 * 1000LL) return std::nullopt;
  std::string_view unit = text.substr(digits);
  if (unit == "ms") return std::chrono::milliseconds(*n);
  if (unit == "s") return std::chrono::milliseconds(*n * 1000);
  if (unit == "m") return std::chrono::milliseconds(*n * 60'000);
  return std::nullopt;
}

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    auto eq = arg.find('=');
    bool inline_value = arg.rfind("--", 0) == 0 && eq != std::string::npos;
    if (inline_value) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto next = [&]() -> std::string {
      if (inline_value) return value;
      if (i + 1 >= argc) usage_error("flag " + arg + " needs a value");
      return argv[++i];
    };
    auto number = [&](const std::string& text, long long min, long long max) {
      auto n = kube::parse_int(text);
      if (!n || *n < min || *n > max) usage_error("invalid value \"" + text + "\" for " + arg);
      return static_cast<int>(*n);
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--version") {
      std::printf("%s %s\n", kName, BERTH_VERSION);
      std::exit(0);
    } else if (arg == "--kubeconfig") {
      f.kubeconfig = next();
    } else if (arg == "--metrics-bind-address") {
      f.metrics_bind_address = next();
    } else if (arg == "--leader-elect") {
      if (inline_value && value != "true" && value != "false") {
        usage_error("invalid value \"" + value + "\" for --leader-elect");
      }
      f.leader_elect = !inline_value || value == "true";
    } else if (arg == "--leader-elect-namespace") {
      f.leader_elect_namespace = next();
    } else if (arg == "--leader-elect-lease-duration" || arg == "--leader-elect-renew-deadline" ||
               arg == "--leader-elect-retry-period") {
      std::string text = next();
      auto d = parse_duration(text);
      if (!d) usage_error("invalid duration \"" + text + "\" for " + arg);
      if (arg == "--leader-elect-lease-duration") f.lease_duration = *d;
      if (arg == "--leader-elect-renew-deadline") f.renew_deadline = *d;
      if (arg == "--leader-elect-retry-period") f.retry_period = *d;
    } else if (arg == "--workers") {
      f.workers = number(next(), 1, 64);
    } else if (arg == "-v" || arg == "--v") {
      f.verbosity = number(next(), 0, 10);
    } else {
      usage_error("unknown flag " + arg);
    }
  }
  if (!(f.lease_duration > f.renew_deadline && f.renew_deadline > f.retry_period)) {
    usage_error("need lease duration > renew deadline > retry period");
  }
  if (f.lease_duration.count() % 1000 != 0) {
    usage_error("the lease duration must be whole seconds (leaseDurationSeconds)");
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked signals.
  auto signals = kube::ShutdownSignals::install();
  Flags flags = parse_flags(argc, argv);
  kube::log::set_component(kName);
  kube::log::set_verbosity(flags.verbosity);

  auto config = kube::load_config({.kubeconfig = flags.kubeconfig});
  if (!config.ok()) {
    std::fprintf(stderr, "%s: %s\n", kName, config.error().message.c_str());
    return 1;
  }
  kube::log::info("starting", {{"cluster", config->describe()}});

  kube::ManagerOptions options;
  options.name = kName;
  options.config = std::move(config).value();
  options.health_bind_address = flags.metrics_bind_address == "0" ? "" : flags.metrics_bind_address;
  options.leader_election.enabled = flags.leader_elect;
  options.leader_election.namespace_ = flags.leader_elect_namespace;
  options.leader_election.lease_duration =
      std::chrono::duration_cast<std::chrono::seconds>(flags.lease_duration);
  options.leader_election.renew_deadline = flags.renew_deadline;
  options.leader_election.retry_period = flags.retry_period;
  auto manager = kube::Manager::create(std::move(options));
  if (!manager.ok()) {
    std::fprintf(stderr, "%s: %s\n", kName, manager.error().to_string().c_str());
    return 1;
  }
  kube::metrics::ProcessMetrics process((*manager)->metrics());
  berth::samples::add_config_hash_controller(**manager, flags.workers);

  kube::Status result = (*manager)->run(signals->token());
  if (!result.ok()) {
    kube::log::error("stopped", {{"error", result.error().to_string()}});
    return 1;
  }
  return 0;
}
