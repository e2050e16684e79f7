// berth-sim: a local Kubernetes API server for Berth's demo, tests and benchmarks.
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "sim/apiserver/api_server.h"
#include "sim/apiserver/discovery.h"
#include "sim/cluster/flags.h"

namespace {

constexpr const char* kUsage =
    "Usage: berth-sim [flags]\n"
    "\n"
    "A single-process Kubernetes API server (v1.26 semantics) on 127.0.0.1.\n"
    "\n"
    "Flags:\n"
    "  --listen HOST:PORT          serve plain HTTP (default 127.0.0.1:8080 when no\n"
    "                              listener is given; port 0 picks a free port)\n"
    "  --secure-listen HOST:PORT   serve HTTPS with a CA and certificate generated at start\n"
    "  --write-kubeconfig PATH     write a kubeconfig that reaches the server (HTTPS when\n"
    "                              serving it), token berth-sim, namespace default\n"
    "  --watch-history N           watch events kept for resuming watches (default 10000);\n"
    "                              older resourceVersions get 410 Gone\n"
    "  -v, --v N                   log verbosity (default 0)\n"
    "  --help                      print this help\n"
    "  --version                   print the version\n";

struct Flags {
  std::string listen;
  std::string secure_listen;
  std::string kubeconfig;
  std::size_t watch_history = 10000;
  int verbosity = 0;
  berth::sim::ClusterFlags cluster;
  berth::sim::SimClusterOptions cluster_options;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "berth-sim: %s (see --help)\n", message.c_str());
  std::exit(2);
}

std::optional<long long> number(const std::string& text) {
  return kube::parse_int(text);
}

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::fputs(berth::sim::ClusterFlags::usage().data(), stdout);
      std::exit(0);
    }
    if (arg == "--version") {
      std::printf("berth-sim %s (Kubernetes API %s)\n", BERTH_VERSION,
                  std::string(berth::sim::discovery::kGitVersion).c_str());
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
    if (name == "--listen") {
      f.listen = take();
    } else if (name == "--secure-listen") {
      f.secure_listen = take();
    } else if (name == "--write-kubeconfig") {
      f.kubeconfig = take();
      if (f.kubeconfig.empty()) usage_error("--write-kubeconfig needs a path");
    } else if (name == "--watch-history") {
      std::string v = take();
      auto n = number(v);
      if (!n || *n < 1)
        usage_error("--watch-history must be a positive integer, got \"" + v + "\"");
      f.watch_history = static_cast<std::size_t>(*n);
    } else if (name == "-v" || name == "--v") {
      std::string v = take();
      auto n = number(v);
      if (!n || *n < 0) usage_error(name + " must be a non-negative integer, got \"" + v + "\"");
      f.verbosity = static_cast<int>(*n);
    } else {
      auto known = f.cluster.parse(name, value, take);
      if (!known.ok()) usage_error(known.error().message);
      if (!*known) usage_error("unknown flag " + name);
    }
  }
  for (const std::string* address : {&f.listen, &f.secure_listen}) {
    if (address->empty()) continue;
    auto colon = address->rfind(':');
    auto port = colon == std::string::npos ? std::nullopt : number(address->substr(colon + 1));
    if (!port || *port < 0 || *port > 65535) {
      usage_error("listen address must be HOST:PORT, got \"" + *address + "\"");
    }
  }
  if (f.listen.empty() && f.secure_listen.empty()) f.listen = "127.0.0.1:8080";
  auto cluster = f.cluster.finish();
  if (!cluster.ok()) usage_error(cluster.error().message);
  f.cluster_options = std::move(cluster).value();
  return f;
}

bool write_private_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return false;
  out << content;
  out.close();
  return out.good() && ::chmod(path.c_str(), 0600) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = parse_flags(argc, argv);
  kube::log::set_component("berth-sim");
  kube::log::set_verbosity(flags.verbosity);

  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  berth::sim::SimClusterOptions& options = flags.cluster_options;
  options.api.listen = flags.listen;
  options.api.secure_listen = flags.secure_listen;
  options.api.watch_history = flags.watch_history;
  auto cluster = berth::sim::SimCluster::start(options);
  if (!cluster.ok()) {
    std::fprintf(stderr, "berth-sim: %s\n", cluster.error().message.c_str());
    return 1;
  }
  auto& s = (*cluster)->api_server();
  if (!flags.kubeconfig.empty()) {
    std::string url = s.secure_url().empty() ? s.url() : s.secure_url();
    if (!write_private_file(flags.kubeconfig, s.kubeconfig(url))) {
      std::fprintf(stderr, "berth-sim: cannot write kubeconfig %s: %s\n", flags.kubeconfig.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  if (!s.url().empty()) std::printf("berth-sim: serving on %s\n", s.url().c_str());
  if (!s.secure_url().empty()) std::printf("berth-sim: serving on %s\n", s.secure_url().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  kube::log::info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  (*cluster)->stop();
  return 0;
}
