// The berth-webhooks binary as a process: flag and configuration errors, and a full start
// against berth-sim (certificates, serving, probes, SIGTERM).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "kube/api/resource.h"
#include "kube/core/strings.h"
#include "kube/http/client.h"
#include "tests/integration/webhooks/webhooks_sim.h"
#include "tests/support/wait.h"
#include "tests/unit/webhooks/pods/pod_test_util.h"
#include "tests/unit/webhooks/review_builder.h"

extern char** environ;

namespace berth::webhooks {
namespace {

const std::string kBinary = std::string(BERTH_BINARY_DIR) + "/webhooks/berth-webhooks";

// A child process with its stderr collected through a pipe.
class Process {
 public:
  explicit Process(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    args.insert(args.begin(), kBinary);
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, kBinary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    err_ = fds[0];
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (err_ >= 0) close(err_);
  }

  // Reads what stderr has so far (waits up to `timeout` for something new).
  const std::string& read_err(std::chrono::milliseconds timeout = std::chrono::milliseconds(50)) {
    pollfd p{err_, POLLIN, 0};
    while (poll(&p, 1, static_cast<int>(timeout.count())) > 0) {
      char buf[4096];
      ssize_t n = read(err_, buf, sizeof buf);
      if (n <= 0) break;
      stderr_.append(buf, static_cast<std::size_t>(n));
      timeout = std::chrono::milliseconds(0);
    }
    return stderr_;
  }

  // Waits for the exit; the exit status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    int status = 0;
    bool done = berth::testing::wait_for(
        [&] {
          read_err(std::chrono::milliseconds(0));
          return waitpid(pid_, &status, WNOHANG) == pid_;
        },
        timeout);
    if (!done) return -1;
    exited_ = true;
    read_err();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  void signal(int sig) { kill(pid_, sig); }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int err_ = -1;
  bool exited_ = false;
  std::string stderr_;
};

struct FlagCase {
  std::vector<std::string> args;
  std::string message;  // the one line printed
};

class BadFlags : public ::testing::TestWithParam<FlagCase> {};

TEST_P(BadFlags, ExitTwoWithOneLine) {
  Process p(GetParam().args);
  ASSERT_TRUE(p.started());
  EXPECT_EQ(p.wait(), 2);
  const std::string& err = p.read_err();
  EXPECT_EQ(err, "berth-webhooks: " + GetParam().message + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Flags, BadFlags,
    ::testing::Values(
        FlagCase{{"--bogus"}, "unknown flag --bogus (see --help)"},
        FlagCase{{"--bind-address", "9443"},
                 "--bind-address must be HOST:PORT, got \"9443\" (see --help)"},
        FlagCase{{"--tls-cert-file=/x"},
                 "--tls-cert-file and --tls-private-key-file go together (see --help)"},
        FlagCase{{"--namespace", "Berth"},
                 "--namespace \"Berth\" must consist of lower-case letters, digits and '-' "
                 "(RFC 1123 label) (see --help)"},
        FlagCase{{"-v"}, "flag -v needs a value (see --help)"},
        FlagCase{{"--config", "/nonexistent/webhooks.yaml"},
                 "cannot read config file /nonexistent/webhooks.yaml"}));

TEST(Binary, HelpAndVersion) {
  Process help({"--help"});
  EXPECT_EQ(help.wait(), 0);
  Process version({"--version"});
  EXPECT_EQ(version.wait(), 0);
}

TEST(Binary, BadConfigNamesTheField) {
  auto path = std::filesystem::temp_directory_path() /
              ("berth-webhooks-binary-test-" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << "policy:\n  mode: strict\n";
  Process p({"--config", path.string()});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_EQ(p.read_err(), "berth-webhooks: " + path.string() +
                              ": policy.mode: must be \"enforce\" or \"warn\", got \"strict\"\n");
  std::filesystem::remove(path);
}

TEST(Binary, ServesAgainstTheSimAndStopsOnSigterm) {
  testing::WebhooksSim sim;
  auto kubeconfig = std::filesystem::temp_directory_path() /
                    ("berth-webhooks-binary-test-" + std::to_string(getpid()) + ".kubeconfig");
  std::ofstream(kubeconfig) << sim.kubeconfig();
  Process p({"--kubeconfig", kubeconfig.string(), "--bind-address", "127.0.0.1:0",
             "--metrics-bind-address", "127.0.0.1:0", "--shutdown-delay", "0"});
  ASSERT_TRUE(p.started());
  std::smatch webhooks_url;
  std::smatch metrics_url;
  const std::regex serving(
      R"(msg="serving admission webhooks" url=(https://127\.0\.0\.1:\d+) metrics=(http://127\.0\.0\.1:\d+))");
  std::string err;
  ASSERT_TRUE(berth::testing::wait_for(
      [&] {
        err = p.read_err();
        return std::regex_search(err, webhooks_url, serving);
      },
      std::chrono::seconds(20)))
      << err;
  std::string url = webhooks_url[1];
  std::string metrics = webhooks_url[2];

  // It created its certificates and serves with them.
  kube::Object secret = sim.get(kube::resources::kSecrets, "berth-system", "berth-webhooks-tls");
  ASSERT_TRUE(secret);
  std::string ca = kube::base64_decode(
                       kube::json::get_string(*kube::json::find(secret.json(), "data"), "ca.crt"))
                       .value_or("");
  EXPECT_EQ(sim.ca_bundles(kube::resources::kMutatingWebhookConfigurations, "berth-webhooks")[0],
            ca);
  kube::http::Client client({.ca_pem = ca, .server_name = "berth-webhooks.berth-system.svc"});
  auto r = client.post_json(
      url + "/mutate/pods?timeout=10s",
      berth::webhooks::testing::review_json(
          {.object = berth::webhooks::testing::pod(R"("berth.dev/log-sidecar":"true")")}),
      std::chrono::seconds(5));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"patchType\":\"JSONPatch\""), std::string::npos);

  kube::http::Client plain;
  EXPECT_TRUE(berth::testing::wait_for([&] {
    auto ready = plain.get(metrics + "/readyz", std::chrono::seconds(2));
    return ready.ok() && ready->status == 200;
  }));
  auto scraped = plain.get(metrics + "/metrics", std::chrono::seconds(2));
  ASSERT_TRUE(scraped.ok());
  EXPECT_NE(
      scraped->body.find(
          R"(berth_webhook_admission_decisions_total{webhook="mutate-pods",result="patched"} 1)"),
      std::string::npos);

  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(), 0) << p.read_err();
  std::filesystem::remove(kubeconfig);
}

}  // namespace
}  // namespace berth::webhooks
