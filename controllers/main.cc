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
#include "kube/manager/command_line.h"
#include "kube/manager/manager.h"
#include "kube/manager/signals.h"
#include "kube/metrics/process.h"

namespace {

constexpr const char* kName = "berth-controller";

struct Flags {
  kube::ManagerCommandLine manager;
  std::string controllers = "*";
  int rollout_workers = 4;
  double kube_api_qps = 20;
  int kube_api_burst = 30;
  bool json_logs = false;
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
         "  --controllers LIST                controllers to run, comma-separated; \"*\" is all,\n"
         "                                    \"-name\" removes one (default \"*\"). Known:\n" +
         known +
         "  --rollout-workers N               concurrent Rollout reconciles (default 4)\n"
         "  --kube-api-qps Q                  client-side rate limit (default 20)\n"
         "  --kube-api-burst N                client-side burst (default 30)\n"
         "  --log-format text|json            log records as key=value text or JSON (default "
         "text)\n" +
         std::string(kube::manager_flags_help());
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", kName, message.c_str());
  std::exit(2);
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
  std::string help = usage();
  f.manager = kube::parse_manager_command_line(
      argc, argv, kName, BERTH_VERSION, help, [&](kube::FlagReader& flag) {
        const std::string& name = flag.name();
        if (name == "--controllers") {
          f.controllers = flag.value();
        } else if (name == "--rollout-workers") {
          f.rollout_workers = static_cast<int>(flag.integer(1, 256));
        } else if (name == "--kube-api-qps") {
          std::string text = flag.value();
          char* end = nullptr;
          double q = std::strtod(text.c_str(), &end);
          if (text.empty() || end != text.c_str() + text.size() || !(q > 0) || q > 100'000) {
            flag.fail("invalid value \"" + text + "\" for --kube-api-qps");
          }
          f.kube_api_qps = q;
        } else if (name == "--kube-api-burst") {
          f.kube_api_burst = static_cast<int>(flag.integer(1, 100'000));
        } else if (name == "--log-format") {
          std::string format = flag.value();
          if (format != "text" && format != "json") {
            flag.fail("invalid value \"" + format + "\" for --log-format (text or json)");
          }
          f.json_logs = format == "json";
        } else {
          return false;
        }
        return true;
      });
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked signals.
  auto signals = kube::ShutdownSignals::install();
  Flags flags = parse_flags(argc, argv);
  std::vector<const ControllerEntry*> selected = select_controllers(flags.controllers);
  kube::log::set_component(kName);
  kube::log::set_verbosity(flags.manager.verbosity);
  if (flags.json_logs) kube::log::set_format(kube::log::Format::kJson);

  auto config = kube::load_config({.kubeconfig = flags.manager.kubeconfig});
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
  flags.manager.apply(options);
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
