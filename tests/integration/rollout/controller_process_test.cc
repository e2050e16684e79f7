// berth-controller as a real process against a simulated cluster: its flag errors, leader
// election between two replicas (the leader killed with SIGKILL, the standby taking over),
// health and metrics endpoints, a clean SIGTERM; and a canary that completes while the
// controller is SIGKILLed and restarted at every step it takes, with API faults throughout
// and the zero-downtime invariant checked on every change.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "controllers/rollout/names.h"
#include "kube/http/client.h"
#include "tests/integration/rollout/rollout_env.h"
#include "tests/integration/rollout/rollout_objects.h"
#include "tests/integration/rollout/serving_watch.h"
#include "tests/support/wait.h"

extern char** environ;

namespace berth::rollout::testing {
namespace {

namespace fs = std::filesystem;
namespace json = kube::json;
using berth::testing::wait_for;
using namespace std::chrono_literals;

const std::string kBinary = std::string(BERTH_BINARY_DIR) + "/controllers/berth-controller";

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

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One berth-controller process; stdout and stderr go to files.
struct Child {
  pid_t pid = -1;
  std::uint16_t port = 0;
  fs::path out;
  fs::path err;
  int status = -1;  // from waitpid, once reaped

  bool reap() {
    if (status != -1) return true;
    int s = 0;
    if (waitpid(pid, &s, WNOHANG) != pid) return false;
    status = s;
    return true;
  }
  void kill_now() {
    if (status != -1) return;
    kill(pid, SIGKILL);
    int s = 0;
    waitpid(pid, &s, 0);
    status = s;
  }
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
  std::string get(std::string_view path) const {
    kube::http::Client c;
    auto r = c.get("http://127.0.0.1:" + std::to_string(port) + std::string(path), 2s);
    return r.ok() ? r->body : "";
  }
};

class ControllerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("berth-controller-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (Child& c : children_) {
      c.kill_now();
      if (HasFailure()) std::cerr << "--- " << c.err << ":\n" << read_text(c.err);
    }
    fs::remove_all(dir_);
  }

  // "{port}" in an argument becomes the child's port.
  Child& spawn(std::vector<std::string> args) {
    Child c;
    c.port = free_port();
    std::string n = std::to_string(children_.size());
    c.out = dir_ / ("out-" + n);
    c.err = dir_ / ("err-" + n);
    args.insert(args.begin(), kBinary);
    for (std::string& a : args) {
      if (auto at = a.find("{port}"); at != std::string::npos) {
        a.replace(at, 6, std::to_string(c.port));
      }
    }
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, c.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 2, c.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    int rc = posix_spawn(&c.pid, kBinary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot start " << kBinary;
    children_.push_back(c);
    return children_.back();
  }

  // Runs to completion; the exit code.
  int run(std::vector<std::string> args, std::string* out, std::string* err) {
    Child& c = spawn(std::move(args));
    EXPECT_TRUE(wait_for([&] { return c.reap(); }, 20s));
    *out = read_text(c.out);
    *err = read_text(c.err);
    return c.exit_code();
  }

  Child& spawn_against(RolloutEnv& env, std::vector<std::string> extra) {
    fs::path kubeconfig = dir_ / "kubeconfig";
    if (!fs::exists(kubeconfig)) {
      std::ofstream(kubeconfig) << env.cluster()->api_server().kubeconfig(env.url());
    }
    std::vector<std::string> args = {
        "--kubeconfig=" + kubeconfig.string(), "--metrics-bind-address=127.0.0.1:{port}",
        "--controllers=rollout", "--kube-api-qps=1000", "--kube-api-burst=1000"};
    args.insert(args.end(), extra.begin(), extra.end());
    return spawn(args);
  }

  fs::path dir_;
  std::deque<Child> children_;
};

TEST_F(ControllerProcessTest, FlagErrorsExitTwoWithOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string stderr_line;
  };
  const std::vector<Case> cases = {
      {{"--bogus"}, "berth-controller: unknown flag --bogus (see --help)\n"},
      {{"--kubeconfig"}, "berth-controller: flag --kubeconfig needs a value (see --help)\n"},
      {{"--rollout-workers=0"},
       "berth-controller: invalid value \"0\" for --rollout-workers (see --help)\n"},
      {{"--controllers=-*"},
       "berth-controller: --controllers \"-*\" selects no controller (see --help)\n"},
      {{"--leader-elect-retry-period=2"},
       "berth-controller: invalid duration \"2\" for --leader-elect-retry-period (see --help)\n"},
      {{"--leader-elect-lease-duration=5s", "--leader-elect-renew-deadline=8s"},
       "berth-controller: need lease duration > renew deadline > retry period (see --help)\n"},
      {{"--leader-elect=yes"},
       "berth-controller: invalid value \"yes\" for --leader-elect (see --help)\n"},
      {{"--log-format=xml"},
       "berth-controller: invalid value \"xml\" for --log-format (text or json) (see --help)\n"},
  };
  for (const Case& c : cases) {
    std::string out, err;
    EXPECT_EQ(run(c.args, &out, &err), 2) << c.args[0];
    EXPECT_EQ(err, c.stderr_line);
    EXPECT_EQ(out, "");
  }
  std::string out, err;
  EXPECT_EQ(run({"--controllers", "rollout,volumes"}, &out, &err), 2);
  EXPECT_EQ(
      err.rfind("berth-controller: unknown controller \"volumes\" in --controllers (known: ", 0),
      0u)
      << err;
  EXPECT_NE(err.find(" rollout"), std::string::npos) << err;
  EXPECT_EQ(run({"--kubeconfig=" + (dir_ / "missing").string()}, &out, &err), 1);
  EXPECT_NE(err.find((dir_ / "missing").string()), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

  EXPECT_EQ(run({"--help"}, &out, &err), 0);
  EXPECT_EQ(out.rfind("Usage: berth-controller [flags]\n", 0), 0u) << out;
  EXPECT_NE(out.find("--leader-elect "), std::string::npos);
  EXPECT_NE(out.find("rollout: canary and blue-green Rollouts"), std::string::npos);
  // Verbosity in every spelling Kubernetes components take, then --version.
  for (const char* v : {"-v=3", "--v=3", "-v"}) {
    std::vector<std::string> args = {v};
    if (std::string_view(v) == "-v") args.push_back("3");
    args.push_back("--version");
    EXPECT_EQ(run(args, &out, &err), 0) << v << ": " << err;
  }
  EXPECT_EQ(run({"-v=11"}, &out, &err), 2);
  EXPECT_EQ(err, "berth-controller: invalid value \"11\" for -v (see --help)\n");
  EXPECT_EQ(run({"--version"}, &out, &err), 0);
  EXPECT_EQ(out.rfind("berth-controller v", 0), 0u) << out;
}

TEST_F(ControllerProcessTest, LeaderElectedPairHandsOverAndSigtermReleases) {
  RolloutEnv env(RolloutEnv::Options{.cluster = fast_cluster(), .start_controller = false});
  auto replica = [&] {
    Child& c = spawn_against(
        env, {"--leader-elect", "--leader-elect-namespace=demo", "--leader-elect-lease-duration=2s",
              "--leader-elect-renew-deadline=1500ms", "--leader-elect-retry-period=300ms"});
    return &c;
  };
  Child* first = replica();
  Child* second = replica();
  Child* leader = nullptr;
  ASSERT_TRUE(wait_for(
      [&] {
        for (Child* c : {first, second}) {
          if (c->get("/readyz?verbose").find("leading as") != std::string::npos) leader = c;
        }
        return leader != nullptr;
      },
      20s));
  Child* standby = leader == first ? second : first;
  EXPECT_EQ(leader->get("/healthz"), "ok");
  EXPECT_TRUE(wait_for(
      [&] { return standby->get("/readyz?verbose").find("standby") != std::string::npos; }));

  env.create(kube::resources::kServices, service_json("web", "web"));
  env.create(kRollouts, rollout_json("web", 3, "v1", R"({"canary":{"maxSurge":1,
      "steps":[{"setWeight":34},{"pause":{}}]}})"));
  ASSERT_EQ(env.wait_rollout("web", [](const kube::Object& o) { return phase(o) == "Healthy"; }),
            "");
  std::string metrics = leader->get("/metrics");
  EXPECT_NE(
      metrics.find(R"(controller_runtime_reconcile_total{controller="rollout",result="success"})"),
      std::string::npos);
  EXPECT_NE(metrics.find(R"(leader_election_master_status{name="berth-controller"} 1)"),
            std::string::npos);

  leader->kill_now();
  // Only a live leader can roll this out.
  ASSERT_TRUE(env.merge_patch(kRollouts, "web", image_patch("v2")).ok());
  ASSERT_EQ(env.wait_rollout(
                "web",
                [](const kube::Object& o) {
                  return phase(o) == "Paused" && status_int(o, "currentStepIndex") == 1;
                },
                20s),
            "");
  EXPECT_NE(standby->get("/readyz?verbose").find("leading as"), std::string::npos);

  ASSERT_EQ(kill(standby->pid, SIGTERM), 0);
  ASSERT_TRUE(wait_for([&] { return standby->reap(); }, 30s));
  EXPECT_EQ(standby->exit_code(), 0);
  kube::Object lease = env.get(kube::resources::kLeases, "berth-controller");
  ASSERT_TRUE(lease);
  EXPECT_EQ(json::get_string(*lease.spec(), "holderIdentity"), "");  // released on the way out
}

// The controller is SIGKILLed right after each change it makes (or a few milliseconds later,
// to land in the middle of a reconcile's writes) and started again, from the first ReplicaSet
// to the final promotion.
TEST_F(ControllerProcessTest, KilledAtEveryStepTheRolloutCarriesOn) {
  RolloutEnv::Options options{.cluster = fast_cluster(), .start_controller = false};
  options.cluster->faults = flaky_api();
  RolloutEnv env(options);
  env.create(kube::resources::kServices, service_json("web", "web"));
  env.create(kube::resources::kServices, service_json("web-stable", "web"));
  env.create(kRollouts, rollout_json("web", 10, "v1", R"({"canary":{"maxSurge":2,
      "maxUnavailable":1,"stableService":"web-stable",
      "steps":[{"setWeight":20},{"pause":{"duration":"1s"}},{"setWeight":50},{"pause":{}},
               {"setWeight":100},{"pause":{}}]}})"));
  Child* controller = &spawn_against(env, {});
  ASSERT_EQ(env.wait_rollout("web",
                             [](const kube::Object& o) {
                               return phase(o) == "Healthy" &&
                                      status_int(o, "availableReplicas") == 10;
                             }),
            "");
  ServingWatch watch(*env.cluster(), std::string(kNamespace), "web");
  ASSERT_TRUE(wait_for([&] { return watch.serving() == 10; }));
  ASSERT_GE(watch.arm(9), 9);
  std::string v2 = hash_of("web", "v2");

  // What the controller has written so far: the Rollout's status and its ReplicaSets' sizes.
  auto written = [&] {
    kube::Object r = env.rollout("web");
    std::string s = phase(r) + "/" + std::to_string(status_int(r, "currentStepIndex")) + "/" +
                    status_string(r, "stableHash") + "/" + status_string(r, "canaryHash") + "/" +
                    std::to_string(status_int(r, "updatedAvailableReplicas"));
    for (const kube::Object& rs : env.list(kube::resources::kReplicaSets, "app=web")) {
      s += " " + std::string(rs.name()) + "=" +
           std::to_string(json::get_int(*rs.spec(), "replicas", -1));
    }
    return s;
  };
  std::mt19937 random(7);
  int kills = 0;
  std::set<int> promoted_at;
  ASSERT_TRUE(env.merge_patch(kRollouts, "web", image_patch("v2")).ok());
  std::string last = written();
  bool done = false;
  while (!done) {
    ASSERT_TRUE(wait_for([&] { return written() != last; }, 20s))
        << "no progress after " << kills << " kills from " << last;
    // Some kills fall a few milliseconds later, between the writes of one reconcile: this is
    // when the fault strikes, not a wait for a result.
    int delay_ms = static_cast<int>(random() % 3) * 5;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    controller->kill_now();
    ++kills;
    last = written();
    kube::Object r = env.rollout("web");
    done = phase(r) == "Healthy" && status_string(r, "stableHash") == v2;
    int step = static_cast<int>(status_int(r, "currentStepIndex"));
    if (phase(r) == "Paused" && (step == 3 || step == 5) && promoted_at.insert(step).second) {
      env.annotate("web", kActionAnnotation, "promote@game-day");
    }
    controller = &spawn_against(env, {});
  }
  // At least one kill per phase: a step, each of the two promotions, the end.
  EXPECT_GE(kills, 4);
  EXPECT_TRUE(wait_for([&] { return watch.serving() == 10 && env.pinned("web-stable") == v2; }));
  // Nothing was decided twice: one new revision, one promotion, two ReplicaSets.
  kube::Object r = env.rollout("web");
  EXPECT_EQ(history_count(r, "NewRevision", v2), 1);
  EXPECT_EQ(history_count(r, "Promoted", v2), 1);
  EXPECT_EQ(history_count(r, "PromoteRequested", v2, "game-day"), 2);
  EXPECT_EQ(env.list(kube::resources::kReplicaSets, "app=web").size(), 2u);
  kube::Object rs = env.get(kube::resources::kReplicaSets, "web-" + v2);
  ASSERT_TRUE(rs);
  EXPECT_EQ(rs.annotation(kRevisionAnnotation), "2");
  EXPECT_EQ(json::get_int(*rs.spec(), "replicas", -1), 10);
  EXPECT_EQ(watch.violation(), "");
  EXPECT_GE(watch.min_serving(), 9);
  EXPECT_GT(env.cluster()->faults().stats().errors, 0u);
}

}  // namespace
}  // namespace berth::rollout::testing
