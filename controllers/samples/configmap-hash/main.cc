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
#include "kube/manager/command_line.h"
#include "kube/manager/manager.h"
#include "kube/manager/signals.h"
#include "kube/metrics/process.h"

namespace {

constexpr const char* kName = "berth-configmap-hash";
constexpr std::string_view kAbout =
    "Usage: berth-configmap-hash [flags]\n"
    "\n"
    "Keeps spec.template.metadata.annotations[\"berth.dev/config-hash\"] of every Deployment\n"
    "annotated berth.dev/config-map=<configmap> equal to a hash of that ConfigMap's data, so\n"
    "a ConfigMap change rolls the Deployment.\n"
    "\n"
    "Flags:\n"
    "  --workers N                       concurrent reconciles (default 2)\n";

struct Flags {
  kube::ManagerCommandLine manager;  // the flags every controller binary shares
  int workers = 2;
};

Flags parse_flags(int argc, char** argv) {
  Flags f;
  std::string help = std::string(kAbout) + std::string(kube::manager_flags_help());
  f.manager = kube::parse_manager_command_line(argc, argv, kName, BERTH_VERSION, help,
                                               [&](kube::FlagReader& flag) {
                                                 if (flag.name() != "--workers") return false;
                                                 f.workers = static_cast<int>(flag.integer(1, 64));
                                                 return true;
                                               });
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked signals.
  auto signals = kube::ShutdownSignals::install();
  Flags flags = parse_flags(argc, argv);
  kube::log::set_component(kName);
  kube::log::set_verbosity(flags.manager.verbosity);

  auto config = kube::load_config({.kubeconfig = flags.manager.kubeconfig});
  if (!config.ok()) {
    std::fprintf(stderr, "%s: %s\n", kName, config.error().message.c_str());
    return 1;
  }
  kube::log::info("starting", {{"cluster", config->describe()}});

  kube::ManagerOptions options;
  options.name = kName;
  options.config = std::move(config).value();
  flags.manager.apply(options);
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
