// Fake nodes (labels, capacity, conditions, leases and heartbeats) and the kubelet simulator
// (pod status through start, readiness, failure modes and graceful deletion).
#include <gtest/gtest.h>

#include "kube/api/resource.h"
#include "kube/core/json.h"
#include "sim/kubelet/kubelet.h"
#include "tests/integration/simcluster/cluster_env.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string label(const kube::Object& o, std::string_view key) {
  return std::string(o.label(key).value_or(""));
}

const json::Value* condition(const kube::Object& o, std::string_view type) {
  const json::Value* conditions = json::find_path(o.json(), {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return nullptr;
  for (const auto& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == type) return &c;
  }
  return nullptr;
}

const json::Value& first_container_status(const kube::Object& pod) {
  static const json::Value kNull;
  const json::Value* s = json::find_path(pod.json(), {"status", "containerStatuses"});
  return s != nullptr && s->IsArray() && !s->Empty() ? (*s)[0] : kNull;
}

std::string pod_json(std::string_view name, std::string_view node,
                     std::string_view annotations = "{}", std::string_view restart = "Always") {
  return std::string(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")") +
         std::string(name) + R"(","namespace":"default","annotations":)" +
         std::string(annotations) + R"(},"spec":{"nodeName":")" + std::string(node) +
         R"(","restartPolicy":")" + std::string(restart) +
         R"(","containers":[{"name":"main","image":"nginx:1.25","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}})";
}

TEST(SimNodes, RegisteredWithTopologyLabelsCapacityConditionsAndLeases) {
  SimClusterOptions o = fast_options(6);
  o.nodes.zones = {"a", "b", "c"};
  o.nodes.region = "eu-1";
  o.nodes.racks_per_zone = 2;
  o.nodes.cpu = "8";
  o.nodes.memory = "16Gi";
  o.nodes.pods = 50;
  ClusterEnv env(o);
  auto nodes = env.list(kube::resources::kNodes, "");
  ASSERT_EQ(nodes.size(), 6u);
  std::map<std::string, kube::Object> by_name;
  for (const auto& n : nodes)
    by_name[std::string(n.name())] = n;
  for (int i = 0; i < 6; ++i) {
    std::string name = "sim-node-" + std::to_string(i);
    ASSERT_EQ(by_name.count(name), 1u) << name;
    const kube::Object& n = by_name[name];
    EXPECT_EQ(label(n, "kubernetes.io/hostname"), name);
    EXPECT_EQ(label(n, "kubernetes.io/os"), "linux");
    EXPECT_EQ(label(n, "kubernetes.io/arch"), "amd64");
    EXPECT_EQ(label(n, "beta.kubernetes.io/os"), "linux");
    EXPECT_EQ(label(n, "topology.kubernetes.io/region"), "eu-1");
    std::string zone = std::string(1, "abc"[i % 3]);
    EXPECT_EQ(label(n, "topology.kubernetes.io/zone"), zone) << name;
    // Nodes 0..2 are the first node of each zone (rack 0), 3..5 the second (rack 1).
    EXPECT_EQ(label(n, "topology.berth.dev/rack"), zone + "-rack-" + std::to_string(i / 3));
    const json::Value& status = *n.status();
    for (const char* key : {"capacity", "allocatable"}) {
      EXPECT_EQ(json::get_string(*json::find(status, key), "cpu"), "8");
      EXPECT_EQ(json::get_string(*json::find(status, key), "memory"), "16Gi");
      EXPECT_EQ(json::get_string(*json::find(status, key), "pods"), "50");
    }
    for (const char* type : {"MemoryPressure", "DiskPressure", "PIDPressure"}) {
      ASSERT_NE(condition(n, type), nullptr) << type;
      EXPECT_EQ(json::get_string(*condition(n, type), "status"), "False");
    }
    ASSERT_NE(condition(n, "Ready"), nullptr);
    EXPECT_EQ(json::get_string(*condition(n, "Ready"), "status"), "True");
    EXPECT_EQ(json::get_string(*condition(n, "Ready"), "reason"), "KubeletReady");
    EXPECT_EQ(json::get_string(*n.spec(), "podCIDR"), "10.128." + std::to_string(i) + ".0/24");

    auto lease = env.get(kube::resources::kLeases, "kube-node-lease", name);
    ASSERT_TRUE(lease) << name;
    EXPECT_EQ(json::get_string(*lease.spec(), "holderIdentity"), name);
    EXPECT_EQ(json::get_int(*lease.spec(), "leaseDurationSeconds"), 40);
    const json::Value* ref = json::find_path(lease.json(), {"metadata", "ownerReferences"});
    ASSERT_TRUE(ref != nullptr && ref->IsArray() && ref->Size() == 1);
    EXPECT_EQ(json::get_string((*ref)[0], "kind"), "Node");
    EXPECT_EQ(json::get_string((*ref)[0], "uid"), n.uid());
  }
}

TEST(SimNodes, LeasesAreRenewedPeriodically) {
  ClusterEnv env(fast_options(2));
  auto lease = env.get(kube::resources::kLeases, "kube-node-lease", "sim-node-1");
  ASSERT_TRUE(lease);
  std::string first(json::get_string(*lease.spec(), "renewTime"));
  bool renewed = false;
  env.wait_for(
      kube::resources::kLeases, "kube-node-lease", "sim-node-1",
      [&](const kube::Object& l) { return json::get_string(*l.spec(), "renewTime") != first; },
      &renewed, seconds(10));
  EXPECT_TRUE(renewed) << "renewTime stayed " << first;
  // MicroTime: six fractional digits.
  auto now = env.get(kube::resources::kLeases, "kube-node-lease", "sim-node-1");
  std::string renew(json::get_string(*now.spec(), "renewTime"));
  ASSERT_GE(renew.size(), 8u);
  EXPECT_EQ(renew[renew.size() - 8], '.') << renew;
}

TEST(SimNodes, NodeShapeMatchesTheFixture) {
  BERTH_REQUIRE_FIXTURES();
  auto fixture = berth::testing::read_fixture_json("objects/node-fake.json");
  ASSERT_TRUE(fixture);
  ClusterEnv env(fast_options(1));
  auto node = env.get(kube::resources::kNodes, "", "sim-node-0");
  ASSERT_TRUE(node);
  // Node status the way kubelets report it: the fixture's fields (a hand-made node there has
  // fewer conditions and no addresses, so those are compared by type only).
  const json::Value& want = *json::find(*fixture, "status");
  const json::Value& have = *node.status();
  for (const auto& m : want.GetObject()) {
    EXPECT_NE(json::find(have, json::as_string(m.name)), nullptr) << json::as_string(m.name);
  }
  expect_same_keys(*json::find(want, "nodeInfo"), *json::find(have, "nodeInfo"));
  expect_same_keys(*json::find(want, "daemonEndpoints"), *json::find(have, "daemonEndpoints"));
  const json::Value& ready_want = (*json::find(want, "conditions"))[0];
  expect_same_keys(ready_want, *condition(node, "Ready"));
  auto lease_fixture = berth::testing::read_fixture_json("objects/lease-node-heartbeat.json");
  ASSERT_TRUE(lease_fixture);
  auto lease = env.get(kube::resources::kLeases, "kube-node-lease", "sim-node-0");
  expect_same_keys(*json::find(*lease_fixture, "spec"), *lease.spec());
}

TEST(SimNodes, NotReadyNodeReportsItAndRecovers) {
  ClusterEnv env(fast_options(2));
  ASSERT_TRUE(env.cluster().nodes().set_ready("sim-node-1", false).ok());
  auto node = env.get(kube::resources::kNodes, "", "sim-node-1");
  EXPECT_EQ(json::get_string(*condition(node, "Ready"), "status"), "False");
  EXPECT_EQ(json::get_string(*condition(node, "Ready"), "reason"), "KubeletNotReady");
  ASSERT_TRUE(env.cluster().nodes().set_ready("sim-node-1", true).ok());
  node = env.get(kube::resources::kNodes, "", "sim-node-1");
  EXPECT_EQ(json::get_string(*condition(node, "Ready"), "status"), "True");
  EXPECT_FALSE(env.cluster().nodes().set_ready("no-such-node", true).ok());
}

TEST(SimKubelet, BoundPodStartsWithKubeletStatus) {
  ClusterEnv env;
  env.create(kube::resources::kPods,
             pod_json("p1", "sim-node-1", R"({"sim.berth.dev/start-delay":"300ms"})"));
  // First ContainerCreating (Pending, not ready), then Running and Ready.
  bool creating = false;
  auto pod = env.wait_for(
      kube::resources::kPods, "default", "p1",
      [](const kube::Object& p) {
        const json::Value& cs = first_container_status(p);
        return pod_phase(p) == "Pending" && cs.IsObject() &&
               json::find_path(cs, {"state", "waiting"}) != nullptr;
      },
      &creating, seconds(10));
  ASSERT_TRUE(creating) << pod.dump();
  EXPECT_EQ(json::get_string(*json::find_path(first_container_status(pod), {"state", "waiting"}),
                             "reason"),
            "ContainerCreating");
  EXPECT_EQ(json::get_string(*condition(pod, "Ready"), "reason"), "ContainersNotReady");
  EXPECT_EQ(json::get_string(*condition(pod, "Ready"), "message"),
            "containers with unready status: [main]");
  EXPECT_EQ(json::get_string(*pod.status(), "hostIP"), "172.16.0.2");

  bool running = false;
  pod = env.wait_for(kube::resources::kPods, "default", "p1", pod_ready, &running, seconds(10));
  ASSERT_TRUE(running) << pod.dump();
  const json::Value& status = *pod.status();
  EXPECT_EQ(json::get_string(status, "phase"), "Running");
  EXPECT_EQ(json::get_string(status, "qosClass"), "Burstable");
  EXPECT_EQ(json::get_string(status, "hostIP"), "172.16.0.2");
  std::string ip(json::get_string(status, "podIP"));
  EXPECT_TRUE(ip.starts_with("10.128.1.")) << ip;
  EXPECT_FALSE(json::get_string(status, "startTime").empty());
  // Conditions in the kubelet's order, PodScheduled kept from the binding.
  const json::Value& conditions = *json::find(status, "conditions");
  std::vector<std::string> types;
  for (const auto& c : conditions.GetArray())
    types.emplace_back(json::get_string(c, "type"));
  EXPECT_EQ(types,
            (std::vector<std::string>{"Initialized", "Ready", "ContainersReady", "PodScheduled"}));
  const json::Value& cs = first_container_status(pod);
  EXPECT_TRUE(json::get_bool(cs, "started"));
  EXPECT_TRUE(json::get_bool(cs, "ready"));
  EXPECT_EQ(json::get_int(cs, "restartCount", -1), 0);
  EXPECT_EQ(json::get_string(cs, "image"), "docker.io/library/nginx:1.25");
  EXPECT_FALSE(json::get_string(*json::find_path(cs, {"state", "running"}), "startedAt").empty());
  EXPECT_TRUE(json::get_string(cs, "containerID").starts_with("containerd://"));
}

TEST(SimKubelet, RunningPodShapeMatchesTheFixture) {
  BERTH_REQUIRE_FIXTURES();
  auto fixture = berth::testing::read_fixture_json("objects/pod-after-status-patch.json");
  ASSERT_TRUE(fixture);
  ClusterEnv env;
  env.create(kube::resources::kPods, pod_json("p1", "sim-node-0"));
  bool running = false;
  auto pod = env.wait_for(kube::resources::kPods, "default", "p1", pod_ready, &running);
  ASSERT_TRUE(running);
  expect_same_keys(*json::find(*fixture, "status"), *pod.status());
}

TEST(SimKubelet, CrashLoopingPodRestartsAndIsNeverReady) {
  ClusterEnv env;
  bool ever_ready = false;
  PodWatch watch(env.client(), "default", "", [&](const PodWatch::Pods& pods) {
    auto it = pods.find("crashy");
    if (it != pods.end() && pod_ready(it->second)) ever_ready = true;
    return std::string();
  });
  env.create(kube::resources::kPods,
             pod_json("crashy", "sim-node-0", R"({"sim.berth.dev/fail":"crash-loop"})"));
  bool restarted = false;
  auto pod = env.wait_for(
      kube::resources::kPods, "default", "crashy",
      [](const kube::Object& p) {
        const json::Value& cs = first_container_status(p);
        return cs.IsObject() && json::get_int(cs, "restartCount") >= 3 &&
               json::find_path(cs, {"state", "waiting"}) != nullptr;
      },
      &restarted, seconds(20));
  ASSERT_TRUE(restarted) << pod.dump();
  const json::Value& cs = first_container_status(pod);
  EXPECT_EQ(json::get_string(*json::find_path(cs, {"state", "waiting"}), "reason"),
            "CrashLoopBackOff");
  EXPECT_EQ(json::get_int(*json::find_path(cs, {"lastState", "terminated"}), "exitCode"), 1);
  EXPECT_FALSE(json::get_bool(cs, "ready"));
  EXPECT_EQ(pod_phase(pod), "Running");
  EXPECT_FALSE(ever_ready);
  EXPECT_GT(watch.events(), 3u);
}

TEST(SimKubelet, NeverReadyPodRunsButStaysUnready) {
  ClusterEnv env;
  env.create(kube::resources::kPods,
             pod_json("lazy", "sim-node-0", R"({"sim.berth.dev/fail":"never-ready"})"));
  bool started = false;
  auto pod = env.wait_for(
      kube::resources::kPods, "default", "lazy",
      [](const kube::Object& p) {
        return pod_phase(p) == "Running" && json::get_bool(first_container_status(p), "started");
      },
      &started);
  ASSERT_TRUE(started) << pod.dump();
  EXPECT_FALSE(pod_ready(pod));
  EXPECT_FALSE(json::get_bool(first_container_status(pod), "ready"));
  EXPECT_EQ(json::get_string(*condition(pod, "ContainersReady"), "status"), "False");
}

TEST(SimKubelet, ExitAfterEndsThePodPerRestartPolicy) {
  ClusterEnv env;
  env.create(kube::resources::kPods,
             pod_json("done", "sim-node-0", R"({"sim.berth.dev/exit-after":"200ms"})", "Never"));
  env.create(
      kube::resources::kPods,
      pod_json("broken", "sim-node-1",
               R"({"sim.berth.dev/exit-after":"200ms","sim.berth.dev/exit-code":"3"})", "Never"));
  env.create(kube::resources::kPods,
             pod_json("again", "sim-node-2",
                      R"({"sim.berth.dev/exit-after":"100ms","sim.berth.dev/exit-code":"2"})",
                      "OnFailure"));
  bool ok = false;
  auto done = env.wait_for(
      kube::resources::kPods, "default", "done",
      [](const kube::Object& p) { return pod_phase(p) == "Succeeded"; }, &ok);
  ASSERT_TRUE(ok) << done.dump();
  const json::Value* t = json::find_path(first_container_status(done), {"state", "terminated"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(json::get_int(*t, "exitCode", -1), 0);
  EXPECT_EQ(json::get_string(*t, "reason"), "Completed");
  EXPECT_EQ(json::get_string(*condition(done, "Ready"), "reason"), "PodCompleted");

  auto broken = env.wait_for(
      kube::resources::kPods, "default", "broken",
      [](const kube::Object& p) { return pod_phase(p) == "Failed"; }, &ok);
  ASSERT_TRUE(ok) << broken.dump();
  t = json::find_path(first_container_status(broken), {"state", "terminated"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(json::get_int(*t, "exitCode"), 3);
  EXPECT_EQ(json::get_string(*t, "reason"), "Error");

  // OnFailure with a failure restarts the container instead.
  auto again = env.wait_for(
      kube::resources::kPods, "default", "again",
      [](const kube::Object& p) {
        return json::get_int(first_container_status(p), "restartCount") >= 2;
      },
      &ok);
  ASSERT_TRUE(ok) << again.dump();
  EXPECT_EQ(pod_phase(again), "Running");
}

TEST(SimKubelet, GracefulDeletionTerminatesThenDeletes) {
  ClusterEnv env;
  env.create(kube::resources::kPods,
             pod_json("bye", "sim-node-0", R"({"sim.berth.dev/stop-delay":"300ms"})"));
  bool running = false;
  env.wait_for(kube::resources::kPods, "default", "bye", pod_ready, &running);
  ASSERT_TRUE(running);
  std::vector<std::string> seen;  // what a watcher of the pod observes after the delete
  std::mutex mu;
  PodWatch watch(env.client(), "default", "", [&](const PodWatch::Pods& pods) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = pods.find("bye");
    if (it == pods.end()) {
      if (!seen.empty() && seen.back() != "gone") seen.push_back("gone");
    } else if (it->second.being_deleted()) {
      std::string state =
          json::find_path(first_container_status(it->second), {"state", "terminated"}) != nullptr
              ? "terminated"
              : "terminating";
      if (seen.empty() || seen.back() != state) seen.push_back(state);
    }
    return std::string();
  });
  ASSERT_TRUE(wait_for([&] { return watch.synced(); }));
  auto deleted = env.client().remove(kube::resources::kPods, "default", "bye");
  ASSERT_TRUE(deleted.ok()) << deleted.error().to_string();
  // Graceful: the pod stays with a deletionTimestamp and the default 30 s grace period.
  EXPECT_TRUE(deleted->being_deleted());
  EXPECT_EQ(json::get_int(*deleted->metadata(), "deletionGracePeriodSeconds"), 30);
  ASSERT_TRUE(
      wait_for([&] { return !env.get(kube::resources::kPods, "default", "bye"); }, seconds(10)));
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !seen.empty() && seen.back() == "gone";
  }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"terminating", "terminated", "gone"}));
  EXPECT_EQ(env.cluster().kubelet()->pod_count(), 0u);
}

TEST(SimKubelet, PodIPsComeFromTheNodeRangeAndAreUnique) {
  ClusterEnv env(fast_options(1));
  for (int i = 0; i < 20; ++i) {
    env.create(kube::resources::kPods, pod_json("ip-" + std::to_string(i), "sim-node-0"));
  }
  ASSERT_TRUE(wait_for(
      [&] {
        auto pods = env.list(kube::resources::kPods, "default");
        return pods.size() == 20 && std::all_of(pods.begin(), pods.end(), pod_ready);
      },
      seconds(20)));
  std::set<std::string> ips;
  for (const auto& p : env.list(kube::resources::kPods, "default")) {
    std::string ip(json::get_string(*p.status(), "podIP"));
    EXPECT_TRUE(ip.starts_with("10.128.0.")) << ip;
    ips.insert(ip);
  }
  EXPECT_EQ(ips.size(), 20u);
}

}  // namespace
}  // namespace berth::sim::testing
