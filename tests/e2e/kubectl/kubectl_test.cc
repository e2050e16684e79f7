// The real kubectl (skipped when absent) against an in-process berth-sim over HTTPS, with the
// kubelet and controllers running: what a newcomer does first must work as on a cluster.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "kube/core/json.h"
#include "sim/cluster/sim_cluster.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace berth::testing {
namespace {

namespace fs = std::filesystem;
namespace json = kube::json;
using std::chrono::milliseconds;

constexpr std::string_view kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/pause:3.9
)";

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kubectl = find_kubectl();
    if (!kubectl) GTEST_SKIP() << "no kubectl on PATH (or $BERTH_KUBECTL)";
    kubectl_ = *kubectl;
    sim::SimClusterOptions o;
    o.api.listen = "";
    o.api.secure_listen = "127.0.0.1:0";
    o.nodes.count = 2;
    o.kubelet_options.pod_start_delay = milliseconds(20);
    o.kubelet_options.pod_stop_delay = milliseconds(20);
    o.scheduler = true;
    auto started = sim::SimCluster::start(o);
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    cluster_ = std::move(started).value();
    dir_ = fs::temp_directory_path() /
           ("berth-kubectl-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "kubeconfig")
        << cluster_->api_server().kubeconfig(cluster_->api_server().secure_url());
  }

  void TearDown() override {
    if (cluster_) cluster_->stop();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::vector<std::string> env() const {
    return {"KUBECONFIG=" + (dir_ / "kubeconfig").string(), "HOME=" + dir_.string()};
  }

  std::vector<std::string> argv(std::vector<std::string> args) const {
    args.insert(args.begin(), {kubectl_, "--cache-dir", (dir_ / "cache").string()});
    return args;
  }

  CommandResult kubectl(std::vector<std::string> args) {
    auto run = run_command(argv(std::move(args)), env());
    EXPECT_TRUE(run.ok()) << run.error().to_string();
    return run.ok() ? *run : CommandResult{};
  }

  std::string write(std::string_view name, std::string_view content) {
    fs::path p = dir_ / name;
    std::ofstream(p) << content;
    return p.string();
  }

  std::string kubectl_;
  std::unique_ptr<sim::SimCluster> cluster_;
  fs::path dir_;
};

TEST_F(KubectlTest, CreateGetAndDeleteADeploymentWhosePodsBecomeReady) {
  auto created = kubectl({"create", "-f", write("web.yaml", kDeployment)});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "deployment.apps/web created\n");

  // The controllers and the kubelet simulator take it from there; kubectl sees it progress.
  ASSERT_TRUE(wait_for(
      [&] {
        auto r = kubectl({"get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}"});
        return r.exit_code == 0 && r.out == "2";
      },
      std::chrono::seconds(30), milliseconds(100)));
  auto pods = kubectl({"get", "pods", "-l", "app=web", "-o",
                       "jsonpath={range .items[*]}{.status.phase} {.spec.nodeName}{\"\\n\"}{end}"});
  ASSERT_EQ(pods.exit_code, 0) << pods.err;
  EXPECT_EQ(std::count(pods.out.begin(), pods.out.end(), '\n'), 2) << pods.out;
  EXPECT_NE(pods.out.find("Running sim-node-"), std::string::npos) << pods.out;

  auto listed = kubectl({"get", "deployments"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("web"), std::string::npos) << listed.out;

  // kubectl delete waits for the object to be gone; the garbage collector takes the rest.
  auto deleted = kubectl({"delete", "deployment", "web"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.out, "deployment.apps \"web\" deleted\n");
  ASSERT_TRUE(wait_for(
      [&] {
        auto r = kubectl({"get", "pods", "-l", "app=web", "-o", "name"});
        return r.exit_code == 0 && r.out.empty();
      },
      std::chrono::seconds(30), milliseconds(100)));
}

// kubectl get renders the Tables berth-sim prints (without them it shows only NAME and AGE).
TEST_F(KubectlTest, GetShowsTheColumnsTheApiserverPrints) {
  auto created = kubectl({"create", "-f", write("web.yaml", kDeployment)});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_TRUE(wait_for(
      [&] {
        auto r = kubectl({"get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}"});
        return r.exit_code == 0 && r.out == "2";
      },
      std::chrono::seconds(30), milliseconds(100)));

  auto lines = [](const std::string& out) {
    std::vector<std::string> v;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
      v.push_back(l);
    return v;
  };
  auto pods = kubectl({"get", "pods"});
  ASSERT_EQ(pods.exit_code, 0) << pods.err;
  auto pod_lines = lines(pods.out);
  ASSERT_EQ(pod_lines.size(), 3u) << pods.out;
  EXPECT_TRUE(std::regex_match(pod_lines[0], std::regex("NAME +READY +STATUS +RESTARTS +AGE *")))
      << pods.out;
  for (std::size_t i = 1; i < pod_lines.size(); ++i) {
    EXPECT_TRUE(std::regex_match(pod_lines[i],
                                 std::regex("web-[a-z0-9]+-[a-z0-9]+ +1/1 +Running +0 +[0-9]+s *")))
        << pods.out;
  }
  auto wide = kubectl({"get", "pods", "-o", "wide"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_NE(lines(wide.out)[0].find("NODE"), std::string::npos) << wide.out;
  EXPECT_NE(wide.out.find("sim-node-"), std::string::npos) << wide.out;

  auto nodes = kubectl({"get", "nodes"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.err;
  auto node_lines = lines(nodes.out);
  ASSERT_EQ(node_lines.size(), 3u) << nodes.out;
  EXPECT_TRUE(std::regex_match(node_lines[0], std::regex("NAME +STATUS +ROLES +AGE +VERSION *")))
      << nodes.out;
  for (std::size_t i = 1; i < node_lines.size(); ++i) {
    EXPECT_TRUE(std::regex_match(node_lines[i], std::regex("sim-node-\\S+ +Ready +.*")))
        << nodes.out;
  }

  auto deployments = kubectl({"get", "deployments"});
  ASSERT_EQ(deployments.exit_code, 0) << deployments.err;
  EXPECT_TRUE(std::regex_search(deployments.out, std::regex("web +2/2 +2 +2 +[0-9]+s")))
      << deployments.out;

  // get -w: the Table list, then one-row Tables as the pods change.
  auto watch = Child::start(argv({"get", "pods", "-w"}), env());
  ASSERT_TRUE(watch.ok()) << watch.error().to_string();
  ASSERT_TRUE(watch->wait_output([](const std::string& out) {
    return out.find("RESTARTS") != std::string::npos && out.find("Running") != std::string::npos;
  })) << watch->output();
  std::string victim = pod_lines[1].substr(0, pod_lines[1].find(' '));
  ASSERT_EQ(kubectl({"delete", "pod", victim, "--wait=false"}).exit_code, 0);
  ASSERT_TRUE(watch->wait_output([&](const std::string& out) {
    return std::regex_search(out, std::regex(victim + " +[01]/1 +Terminating"));
  })) << watch->output();
  watch->stop(SIGTERM);
}

TEST_F(KubectlTest, FirstApplyCreatesAndSecondApplyPatches) {
  std::string file = write("cm.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: default}
data: {level: info, keep: "yes"}
)");
  auto first = kubectl({"apply", "-f", file});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "configmap/settings created\n");

  write("cm.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: default}
data: {level: debug}
)");
  auto second = kubectl({"apply", "-f", file});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "configmap/settings configured\n");
  auto data = kubectl({"get", "configmap", "settings", "-o", "jsonpath={.data}"});
  ASSERT_EQ(data.exit_code, 0) << data.err;
  // The key dropped from the file is removed: apply's three-way merge reached the server.
  EXPECT_EQ(data.out, R"({"level":"debug"})");

  auto unchanged = kubectl({"apply", "-f", file});
  ASSERT_EQ(unchanged.exit_code, 0) << unchanged.err;
  EXPECT_EQ(unchanged.out, "configmap/settings unchanged\n");

  auto server_side = kubectl({"apply", "--server-side", "-f", file});
  ASSERT_EQ(server_side.exit_code, 0) << server_side.err;
  EXPECT_EQ(server_side.out, "configmap/settings serverside-applied\n");
}

TEST_F(KubectlTest, GetWatchStreamsChangesAsTheyHappen) {
  auto watch =
      Child::start(argv({"get", "configmaps", "-w", "-o",
                         "custom-columns=NAME:.metadata.name,LEVEL:.data.level", "--no-headers"}),
                   env());
  ASSERT_TRUE(watch.ok()) << watch.error().to_string();
  // The list comes first: the namespace's root CA ConfigMap is there from the start.
  ASSERT_TRUE(watch->wait_output([](const std::string& out) {
    return out.find("kube-root-ca.crt") != std::string::npos;
  })) << watch->output();

  ASSERT_EQ(kubectl({"create", "configmap", "live", "--from-literal=level=one"}).exit_code, 0);
  ASSERT_TRUE(watch->wait_output([](const std::string& out) {
    return out.find("one") != std::string::npos;
  })) << watch->output();
  ASSERT_EQ(kubectl({"patch", "configmap", "live", "--type", "merge", "-p",
                     R"({"data":{"level":"two"}})"})
                .exit_code,
            0);
  ASSERT_TRUE(watch->wait_output([](const std::string& out) {
    return out.find("two") != std::string::npos;
  })) << watch->output();
  // Events arrive in order: the update follows the creation.
  const std::string& out = watch->output();
  EXPECT_LT(out.find("one"), out.find("two")) << out;
  watch->stop(SIGTERM);
}

TEST_F(KubectlTest, ErrorsReadLikeAnApiserversOnes) {
  auto missing = kubectl({"get", "deployment", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find(R"(Error from server (NotFound): deployments.apps "nope" not found)"),
            std::string::npos)
      << missing.err;

  ASSERT_EQ(kubectl({"create", "configmap", "twice"}).exit_code, 0);
  auto again = kubectl({"create", "configmap", "twice"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find(R"(failed to create configmap: configmaps "twice" already exists)"),
            std::string::npos)
      << again.err;
}

TEST_F(KubectlTest, RolloutSchemaErrorsNameTheField) {
  auto crd = kubectl({"apply", "-f", std::string(BERTH_SOURCE_DIR) + "/deploy/crds"});
  ASSERT_EQ(crd.exit_code, 0) << crd.err;
  ASSERT_TRUE(wait_for(
      [&] {
        return kubectl({"get", "crd", "rollouts.berth.dev", "-o",
                        "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"})
                   .out == "True";
      },
      std::chrono::seconds(10), milliseconds(50)));
  std::string bad = write("rollout.yaml", R"(apiVersion: berth.dev/v1alpha1
kind: Rollout
metadata: {name: bad, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec: {containers: [{name: c, image: "registry.k8s.io/pause:3.9"}]}
  strategy:
    canary:
      steps:
      - setWeight: 150
)");
  auto refused = kubectl({"apply", "-f", bad});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("spec.strategy.canary.steps[0].setWeight"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("less than or equal to 100"), std::string::npos) << refused.err;

  // Unknown fields are refused by the server: kubectl asks for Strict validation.
  std::string unknown = write("unknown.yaml", R"(apiVersion: berth.dev/v1alpha1
kind: Rollout
metadata: {name: typo, namespace: default}
spec:
  replicaz: 3
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec: {containers: [{name: c, image: "registry.k8s.io/pause:3.9"}]}
  strategy: {canary: {steps: [{setWeight: 50}]}}
)");
  auto strict = kubectl({"apply", "-f", unknown});
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find(R"(unknown field "spec.replicaz")"), std::string::npos) << strict.err;
}

}  // namespace
}  // namespace berth::testing
