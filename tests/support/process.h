// Running programs from tests: one-shot (run_command) and long-running with output read as it
// arrives (Child, for `kubectl get -w` and Berth's own binaries). No shell is involved.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kube/core/result.h"

namespace berth::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with its arguments, stdin from /dev/null; `env` entries
// ("NAME=value") are added to the environment.
kube::Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                        const std::vector<std::string>& env = {});

// $BERTH_KUBECTL, else `kubectl` from PATH; nullopt when neither is an executable file.
std::optional<std::string> find_kubectl();

// A running program whose stdout and stderr (merged) the test reads while it runs. The
// destructor kills it (SIGKILL) if it still runs.
class Child {
 public:
  static kube::Result<Child> start(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env = {});
  Child(Child&& other) noexcept;
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  ~Child();

  // Reads output until `condition(output so far)` holds or `timeout` passes; returns the
  // condition's last value. Output is kept; output() returns all of it.
  bool wait_output(const std::function<bool(const std::string&)>& condition,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));
  const std::string& output() const { return output_; }
  // Sends `signal` and waits for the exit; returns the exit code (128 + signal when killed).
  int stop(int signal);
  pid_t pid() const { return pid_; }

 private:
  Child(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
};

}  // namespace berth::testing
