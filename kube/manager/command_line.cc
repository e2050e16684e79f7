#include "kube/manager/command_line.h"

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "kube/core/strings.h"

namespace kube {

namespace {

[[noreturn]] void usage_error(std::string_view binary, const std::string& message) {
  std::fprintf(stderr, "%.*s: %s (see --help)\n", static_cast<int>(binary.size()), binary.data(),
               message.c_str());
  std::exit(2);
}

}  // namespace

void ManagerCommandLine::apply(ManagerOptions& options) const {
  options.health_bind_address = metrics_bind_address == "0" ? "" : metrics_bind_address;
  options.leader_election.enabled = leader_elect;
  options.leader_election.namespace_ = leader_elect_namespace;
  options.leader_election.lease_duration =
      std::chrono::duration_cast<std::chrono::seconds>(lease_duration);
  options.leader_election.renew_deadline = renew_deadline;
  options.leader_election.retry_period = retry_period;
}

std::string_view manager_flags_help() {
  return "  --kubeconfig PATH                 kubeconfig (default: in-cluster, then\n"
         "                                    $KUBECONFIG, then ~/.kube/config)\n"
         "  --metrics-bind-address HOST:PORT  /healthz, /livez, /readyz and /metrics (default\n"
         "                                    127.0.0.1:8080; \"0\" disables)\n"
         "  --leader-elect                    run leader election (for more than one replica)\n"
         "  --leader-elect-namespace NS       namespace of the Lease (default: the client's)\n"
         "  --leader-elect-lease-duration D   how long a lease lasts unrenewed (default 15s)\n"
         "  --leader-elect-renew-deadline D   how long the leader retries renewing before it\n"
         "                                    stops acting (default 10s)\n"
         "  --leader-elect-retry-period D     time between attempts (default 2s); durations are\n"
         "                                    a number with ms, s or m\n"
         "  -v, --v N                         log verbosity (default 0)\n"
         "  --help                            print this help\n"
         "  --version                         print the version\n";
}

std::optional<std::chrono::milliseconds> parse_flag_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  auto n = parse_int(text.substr(0, digits));
  if (!n || *n <= 0 || *n > 24 * 3600 * 1000LL) return std::nullopt;
  std::string_view unit = text.substr(digits);
  if (unit == "ms") return std::chrono::milliseconds(*n);
  if (unit == "s") return std::chrono::milliseconds(*n * 1000);
  if (unit == "m") return std::chrono::milliseconds(*n * 60'000);
  return std::nullopt;
}

std::string FlagReader::value() {
  if (inline_value_) return *inline_value_;
  std::optional<std::string> v = next_();
  if (!v) fail("flag " + name_ + " needs a value");
  return *v;
}

long long FlagReader::integer(long long min, long long max) {
  std::string text = value();
  auto n = parse_int(text);
  if (!n || *n < min || *n > max) fail("invalid value \"" + text + "\" for " + name_);
  return *n;
}

bool FlagReader::boolean() {
  if (!inline_value_) return true;
  if (*inline_value_ != "true" && *inline_value_ != "false") {
    fail("invalid value \"" + *inline_value_ + "\" for " + name_);
  }
  return *inline_value_ == "true";
}

void FlagReader::fail(const std::string& message) const {
  usage_error(binary_, message);
}

ManagerCommandLine parse_manager_command_line(int argc, char** argv, std::string_view binary,
                                              std::string_view version, std::string_view help,
                                              const FlagHandler& own_flags) {
  ManagerCommandLine f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    auto eq = arg.find('=');
    // "--flag=value" and, as Kubernetes components accept, "-v=4".
    if (arg.size() > 1 && arg[0] == '-' && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    FlagReader flag(binary, arg, inline_value, [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    });
    if (arg == "--help" || arg == "-h") {
      std::fwrite(help.data(), 1, help.size(), stdout);
      std::exit(0);
    } else if (arg == "--version") {
      std::printf("%.*s %.*s\n", static_cast<int>(binary.size()), binary.data(),
                  static_cast<int>(version.size()), version.data());
      std::exit(0);
    } else if (arg == "--kubeconfig") {
      f.kubeconfig = flag.value();
    } else if (arg == "--metrics-bind-address") {
      f.metrics_bind_address = flag.value();
    } else if (arg == "--leader-elect") {
      f.leader_elect = flag.boolean();
    } else if (arg == "--leader-elect-namespace") {
      f.leader_elect_namespace = flag.value();
    } else if (arg == "--leader-elect-lease-duration" || arg == "--leader-elect-renew-deadline" ||
               arg == "--leader-elect-retry-period") {
      std::string text = flag.value();
      auto d = parse_flag_duration(text);
      if (!d) flag.fail("invalid duration \"" + text + "\" for " + arg);
      if (arg == "--leader-elect-lease-duration") f.lease_duration = *d;
      if (arg == "--leader-elect-renew-deadline") f.renew_deadline = *d;
      if (arg == "--leader-elect-retry-period") f.retry_period = *d;
    } else if (arg == "-v" || arg == "--v") {
      f.verbosity = static_cast<int>(flag.integer(0, 10));
    } else if (!own_flags || !own_flags(flag)) {
      usage_error(binary, "unknown flag " + arg);
    }
  }
  if (!(f.lease_duration > f.renew_deadline && f.renew_deadline > f.retry_period)) {
    usage_error(binary, "need lease duration > renew deadline > retry period");
  }
  if (f.lease_duration.count() % 1000 != 0) {
    usage_error(binary, "the lease duration must be whole seconds (leaseDurationSeconds)");
  }
  return f;
}

}  // namespace kube
