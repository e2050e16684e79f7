// berth-controller: every Berth controller in one leader-elected manager process. Each
// controller is one entry of kControllers; --controllers picks a subset.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/rollout/controller.h"
#include "controllers/servingcert/controller.h"
#include "kube/config/config.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/manager/manager.h"
#include "kube/manager/signals.h"
#include "kube/metrics/process.h"

namespace {

constexpr const char* kName = "berth-controller";

struct Flags {
  std::string kubeconfig;
  std::string metrics_bind_address = "127.0.0.1:8080";
  bool leader_elect = false;
  std::string leader_elect_namespace;
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  std::string controllers = "*";
  int rollout_workers = 4;
  double kube_api_qps = 20;
  int kube_api_burst = 30;
  bool json_logs = false;
  int verbosity = 0;
};

struct ControllerEntry {
  std::string_view name;
  std::string_view description;
  std::function<void(kube::Manager&, const Flags&)> add;
};

// The controllers this binary can run, in start order. A new controller folder adds one line.
const std::vector<ControllerEntry>& controllers() {
  static const std::vector<ControllerEntry> entries = {
      {"rollout", "canary and blue-green Rollouts with automatic rollback (berth.dev/v1alpha1)",
       [](kube::Manager& m, const Flags& f) {
         berth::rollout::add_rollout_controller(m, {.workers = f.rollout_workers});
       }},
      {"servingcert", "serving certificates for Services annotated berth.dev/serving-cert-secret",
       [](kube::Manager& m, const Flags&) {
         // Its Role lets berth-controller write Secrets in its own namespace only.
         berth::servingcert::add_serving_cert_controller(
             m, {.namespaces = {m.client().default_namespace()}});
       }},
  };
  return entries;
}

std::string usage() {
  std::string known;
  for (const ControllerEntry& c : controllers()) {
    known += "                                    " + std::string(c.name) + ": " +
             std::string(c.description) + "\n";
  }
  return "Usage: berth-controller [flags]\n"
         "\n"
         "Runs Berth's controllers against the cluster of --kubeconfig (else in-cluster, else\n"
         "$KUBECONFIG). With --leader-elect, only the replica holding the Lease acts.\n"
         "\n"
         "Flags:\n"
         "  --kubeconfig PATH                 kubeconfig (default: in-cluster, then\n"
         "                                    $KUBECONFIG, then ~/.kube/config)\n"
         "  --controllers LIST                controllers to run, comma-separated; \"*\" is all,\n"
         "                                    \"-name\" removes one (default \"*\"). Known:\n" +
         known +
         "  --metrics-bind-address HOST:PORT  /healthz, /livez, /readyz and /metrics (default\n"
         "                                    127.0.0.1:8080; \"0\" disables)\n"
         "  --leader-elect                    run leader election (for more than one replica)\n"
         "  --leader-elect-namespace NS       namespace of the Lease (default: the client's)\n"
         "  --leader-elect-lease-duration D   how long a lease lasts unrenewed (default 15s)\n"
         "  --leader-elect-renew-deadline D   how long the leader retries renewing before it\n"
         "                                    stops acting (default 10s)\n"
         "  --leader-elect-retry-period D     time between attempts (default 2s); durations are\n"
         "                                    a number with ms, s or m\n"
         "  --rollout-workers N               concurrent Rollout reconciles (default 4)\n"
         "  --kube-api-qps Q                  client-side rate limit (default 20)\n"
         "  --kube-api-burst N                client-side burst (default 30)\n"
         "  --log-format text|json            log records as key=value text or JSON (default "
         "text)\n"
         "  -v, --v N                         log verbosity (default 0)\n"
         "  --help                            print this help\n"
         "  --version                         print the version\n";
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", kName, message.c_str());
  std::exit(2);
}

// "500ms", "2s", "1m"
std::optional<std::chrono::milliseconds> parse_flag_duration(std::string_view text) {
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

// The names --controllers selects, in kControllers order.
std::vector<const ControllerEntry*> select_controllers(const std::string& list) {
  std::set<std::string, std::less<>> chosen;
  std::set<std::string, std::less<>> removed;
  for (std::string_view item : kube::split(list, ',')) {
    item = kube::trim(item);
    if (item.empty()) continue;
    bool remove = item.front() == '-';
    if (remove) item.remove_prefix(1);
    bool known = item == "*";
    for (const ControllerEntry& c : controllers())
      known = known || c.name == item;
    if (!known) {
      std::string names;
      for (const ControllerEntry& c : controllers())
        names += " " + std::string(c.name);
      usage_error("unknown controller \"" + std::string(item) +
                  "\" in --controllers (known:" + names + ")");
    }
    if (item == "*") {
      for (const ControllerEntry& c : controllers()) {
        (remove ? removed : chosen).insert(std::string(c.name));
      }
    } else {
      (remove ? removed : chosen).insert(std::string(item));
    }
  }
  std::vector<const ControllerEntry*> out;
  for (const ControllerEntry& c : controllers()) {
    if (chosen.count(c.name) != 0 && removed.count(c.name) == 0) out.push_back(&c);
  }
  if (out.empty()) usage_error("--controllers \"" + list + "\" selects no controller");
  return out;
}

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    auto eq = arg.find('=');
    // "--flag=value" and, as Kubernetes components accept, "-v=4".
    bool inline_value = arg.size() > 1 && arg[0] == '-' && eq != std::string::npos;
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
      std::fputs(usage().c_str(), stdout);
      std::exit(0);
    } else if (arg == "--version") {
      std::printf("%s %s\n", kName, BERTH_VERSION);
      std::exit(0);
    } else if (arg == "--kubeconfig") {
      f.kubeconfig = next();
    } else if (arg == "--controllers") {
      f.controllers = next();
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
      auto d = parse_flag_duration(text);
      if (!d) usage_error("invalid duration \"" + text + "\" for " + arg);
      if (arg == "--leader-elect-lease-duration") f.lease_duration = *d;
      if (arg == "--leader-elect-renew-deadline") f.renew_deadline = *d;
      if (arg == "--leader-elect-retry-period") f.retry_period = *d;
    } else if (arg == "--rollout-workers") {
      f.rollout_workers = number(next(), 1, 256);
    } else if (arg == "--kube-api-qps") {
      std::string text = next();
      char* end = nullptr;
      double q = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !(q > 0) || q > 100'000) {
        usage_error("invalid value \"" + text + "\" for --kube-api-qps");
      }
      f.kube_api_qps = q;
    } else if (arg == "--kube-api-burst") {
      f.kube_api_burst = number(next(), 1, 100'000);
    } else if (arg == "--log-format") {
      std::string format = next();
      if (format != "text" && format != "json") {
        usage_error("invalid value \"" + format + "\" for --log-format (text or json)");
      }
      f.json_logs = format == "json";
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
  std::vector<const ControllerEntry*> selected = select_controllers(flags.controllers);
  kube::log::set_component(kName);
  kube::log::set_verbosity(flags.verbosity);
  if (flags.json_logs) kube::log::set_format(kube::log::Format::kJson);

  auto config = kube::load_config({.kubeconfig = flags.kubeconfig});
  if (!config.ok()) {
    std::fprintf(stderr, "%s: %s\n", kName, config.error().message.c_str());
    return 1;
  }
  std::string names;
  for (const ControllerEntry* c : selected)
    names += (names.empty() ? "" : ",") + std::string(c->name);
  kube::log::info("starting", {{"cluster", config->describe()}, {"controllers", names}});

  kube::ManagerOptions options;
  options.name = kName;
  options.config = std::move(config).value();
  options.client.qps = flags.kube_api_qps;
  options.client.burst = flags.kube_api_burst;
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
  for (const ControllerEntry* c : selected)
    c->add(**manager, flags);

  kube::Status result = (*manager)->run(signals->token());
  if (!result.ok()) {
    kube::log::error("stopped", {{"error", result.error().to_string()}});
    return 1;
  }
  return 0;
}
