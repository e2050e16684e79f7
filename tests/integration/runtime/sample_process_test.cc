// The sample controller as real processes against berth-sim: two replicas of
// berth-configmap-hash with leader election. The leader is killed with SIGKILL (no release):
// the standby must take over once the lease expires and keep rolling the Deployment. Then
// SIGTERM: the last replica drains, releases the lease and exits 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "controllers/samples/configmap-hash/config_hash.h"
#include "kube/http/client.h"
#include "tests/integration/runtime/sim_fixture.h"
#include "tests/support/wait.h"

extern char** environ;

namespace berth::samples {
namespace {

using berth::testing::RuntimeSim;
using berth::testing::wait_for;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

struct Child {
  pid_t pid = -1;
  std::uint16_t port = 0;
  fs::path log;
  int status = -1;  // from waitpid, once reaped

  bool reap() {
    if (status != -1) return true;
    int s = 0;
    if (waitpid(pid, &s, WNOHANG) != pid) return false;
    status = s;
    return true;
  }
  std::string readyz() const {
    kube::http::Client c;
    auto r = c.get("http://127.0.0.1:" + std::to_string(port) + "/readyz?verbose", 2s);
    return r.ok() ? r->body : "";
  }
  std::string logs() const {
    std::ifstream in(log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

class SampleProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-sample-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "kubeconfig") << sim_.server().kubeconfig(sim_.url());
    sim_.create_namespaces({"app"});
    client_ = sim_.client();
  }
  void TearDown() override {
    for (Child& c : children_) {
      if (c.status == -1) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, nullptr, 0);
      }
      if (HasFailure()) std::cerr << "--- replica log " << c.log << ":\n" << c.logs();
    }
    fs::remove_all(dir_);
  }

  Child& spawn() {
    Child c;
    c.port = free_port();
    c.log = dir_ / ("replica-" + std::to_string(children_.size()) + ".log");
    std::string binary =
        std::string(BERTH_BINARY_DIR) + "/controllers/samples/configmap-hash/berth-configmap-hash";
    std::vector<std::string> args = {binary,
                                     "--kubeconfig=" + (dir_ / "kubeconfig").string(),
                                     "--metrics-bind-address=127.0.0.1:" + std::to_string(c.port),
                                     "--leader-elect",
                                     "--leader-elect-namespace=app",
                                     "--leader-elect-lease-duration=3s",
                                     "--leader-elect-renew-deadline=2s",
                                     "--leader-elect-retry-period=500ms"};
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, c.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int rc = posix_spawn(&c.pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot start " << binary;
    children_.push_back(c);
    return children_.back();
  }

  void put_config(const std::string& level) {
    auto doc = kube::json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{
        "name":"web-config","namespace":"app"},"data":{"log":")" +
                                 level + R"("}})")
                   .value();
    auto existing = client_->get(kube::resources::kConfigMaps, "app", "web-config");
    auto r = existing.ok() ? client_->update(kube::resources::kConfigMaps, doc)
                           : client_->create(kube::resources::kConfigMaps, doc);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    expected_hash_ = config_hash(*r);
  }
  std::string deployment_hash() {
    auto d = client_->get(kube::resources::kDeployments, "app", "web");
    return d.ok() ? std::string(template_hash(*d)) : "";
  }
  std::string lease_holder() {
    auto l = client_->get(kube::resources::kLeases, "app", "berth-configmap-hash");
    return l.ok() ? std::string(kube::json::get_string(*l->spec(), "holderIdentity")) : "<none>";
  }

  RuntimeSim sim_;
  std::unique_ptr<kube::Client> client_;
  fs::path dir_;
  std::deque<Child> children_;
  std::string expected_hash_;
};

TEST_F(SampleProcessTest, LeaderKilledStandbyTakesOverAndSigtermDrainsAndReleases) {
  put_config("info");
  auto deployment = kube::json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","namespace":"app","annotations":{"berth.dev/config-map":"web-config"}},
      "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
        "template":{"metadata":{"labels":{"app":"web"}},
          "spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}})");
  ASSERT_TRUE(client_->create(kube::resources::kDeployments, *deployment).ok());

  Child& first = spawn();
  Child& second = spawn();
  ASSERT_TRUE(wait_for([&] { return deployment_hash() == expected_hash_; }, 30s));
  Child* leader = nullptr;
  ASSERT_TRUE(wait_for([&] {
    for (Child* c : {&first, &second}) {
      if (c->readyz().find("[+]leader-election ok: leading as") != std::string::npos) leader = c;
    }
    return leader != nullptr;
  }));
  Child* standby = leader == &first ? &second : &first;
  ASSERT_TRUE(wait_for([&] { return standby->readyz().find("standby") != std::string::npos; }));
  std::string old_holder = lease_holder();

  auto killed_at = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(leader->pid, SIGKILL), 0);
  ASSERT_TRUE(wait_for([&] { return leader->reap(); }));
  put_config("debug");  // only a live leader can roll this out
  ASSERT_TRUE(wait_for([&] { return deployment_hash() == expected_hash_; }, 30s));
  auto took = std::chrono::steady_clock::now() - killed_at;
  // Expiry is measured from the standby's last sight of a renewal: at most the lease duration
  // (3 s) plus one jittered retry (<= 1.1 s), plus the reconcile.
  EXPECT_LT(took, 6s);
  EXPECT_NE(lease_holder(), old_holder);
  EXPECT_NE(standby->readyz().find("leading as " + lease_holder()), std::string::npos);
  kube::http::Client http;
  auto metrics = http.get("http://127.0.0.1:" + std::to_string(standby->port) + "/metrics", 5s);
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find(R"(leader_election_master_status{name="berth-configmap-hash"} 1)"),
            std::string::npos);
  EXPECT_NE(
      metrics->body.find(
          R"(controller_runtime_reconcile_total{controller="configmap-hash",result="success"})"),
      std::string::npos);

  ASSERT_EQ(kill(standby->pid, SIGTERM), 0);
  ASSERT_TRUE(wait_for([&] { return standby->reap(); }, 30s));
  ASSERT_TRUE(WIFEXITED(standby->status));
  EXPECT_EQ(WEXITSTATUS(standby->status), 0);
  EXPECT_EQ(lease_holder(), "");  // released on the way out
  // The rollout left an Event behind.
  auto events = client_->list(kube::resources::kEvents, "app");
  ASSERT_TRUE(events.ok());
  bool found = false;
  for (const kube::Object& e : events->items)
    found = found || kube::json::get_string(e.json(), "reason") == "ConfigHashUpdated";
  EXPECT_TRUE(found);
}

TEST_F(SampleProcessTest, BadFlagsExitWithStatus2) {
  std::string binary =
      std::string(BERTH_BINARY_DIR) + "/controllers/samples/configmap-hash/berth-configmap-hash";
  for (std::vector<std::string> args :
       {std::vector<std::string>{binary, "--workers", "0"},
        std::vector<std::string>{binary, "--no-such-flag"},
        std::vector<std::string>{binary, "--leader-elect-lease-duration=2s",
                                 "--leader-elect-renew-deadline=3s"}}) {
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2) << args[1];
  }
}

}  // namespace
}  // namespace berth::samples
