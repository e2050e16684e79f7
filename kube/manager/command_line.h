// The command line Berth's controller binaries share, as controller-runtime managers take it:
// --kubeconfig, --metrics-bind-address, --leader-elect with its namespace and timings, -v, plus
// --help and --version. A binary's own flags go through a handler that reads their values with
// the same rules and error messages. Bad input exits 2 with one line,
// "<binary>: <what is wrong> (see --help)", as Kubernetes components do.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "kube/manager/manager.h"

namespace kube {

struct ManagerCommandLine {
  std::string kubeconfig;
  std::string metrics_bind_address = "127.0.0.1:8080";  // "0" disables
  bool leader_elect = false;
  std::string leader_elect_namespace;
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  int verbosity = 0;

  // The health/metrics address and leader election into `options`.
  void apply(ManagerOptions& options) const;
};

// Help lines of the shared flags, in the two-column layout of the binaries' --help.
std::string_view manager_flags_help();

// "500ms", "2s", "1m" (1 ms to 24 h); nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_flag_duration(std::string_view text);

// Gives a binary's flag handler the flag's value.
class FlagReader {
 public:
  FlagReader(std::string_view binary, std::string name, std::optional<std::string> inline_value,
             std::function<std::optional<std::string>()> next)
      : binary_(binary),
        name_(std::move(name)),
        inline_value_(std::move(inline_value)),
        next_(std::move(next)) {}

  const std::string& name() const { return name_; }
  // "--flag=value" or the following argument; exits when there is none.
  std::string value();
  // value() as an integer in [min, max]; exits otherwise.
  long long integer(long long min, long long max);
  // Boolean flags: "--flag" alone, "--flag=true" or "--flag=false".
  bool boolean();
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string_view binary_;
  std::string name_;
  std::optional<std::string> inline_value_;
  std::function<std::optional<std::string>()> next_;
};

// Returns false for a flag it does not know (then "unknown flag" ends the program).
using FlagHandler = std::function<bool(FlagReader& flag)>;

// Parses argv[1..]. `help` is printed by --help; `version` by --version as "<binary> <version>".
ManagerCommandLine parse_manager_command_line(int argc, char** argv, std::string_view binary,
                                              std::string_view version, std::string_view help,
                                              const FlagHandler& own_flags);

}  // namespace kube
