// The ReplicaSet and Deployment controllers against the fixtures and under rollouts, scaling,
// pausing, deadlines and API faults.
#include <gtest/gtest.h>

#include <atomic>

#include "kube/api/resource.h"
#include "kube/core/json.h"
#include "tests/integration/simcluster/cluster_env.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

const kube::ResourceType& kDeployments = kube::resources::kDeployments;
const kube::ResourceType& kReplicaSets = kube::resources::kReplicaSets;
const kube::ResourceType& kPods = kube::resources::kPods;

// The body the fixtures' Deployment was created with, under another name and size.
std::string deployment(std::string_view name, int replicas, std::string_view strategy = "",
                       std::string_view extra_spec = "", std::string_view pod_annotations = "") {
  std::string template_meta = R"({"labels":{"app":")" + std::string(name) + "\"}";
  if (!pod_annotations.empty()) template_meta += ",\"annotations\":" + std::string(pod_annotations);
  template_meta += "}";
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + std::string(name) +
         R"(","namespace":"default","labels":{"app":")" + std::string(name) +
         R"("}},"spec":{"replicas":)" + std::to_string(replicas) +
         R"(,"selector":{"matchLabels":{"app":")" + std::string(name) + R"("}},)" +
         (strategy.empty() ? "" : "\"strategy\":" + std::string(strategy) + ",") +
         std::string(extra_spec) + R"("template":{"metadata":)" + template_meta +
         R"(,"spec":{"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":8080}],"resources":{"requests":{"cpu":"100m"}}}]}}}})";
}

std::int64_t status_int(const kube::Object& o, std::string_view key) {
  const json::Value* s = o.status();
  return s != nullptr ? json::get_int(*s, key) : 0;
}

const json::Value* condition(const kube::Object& o, std::string_view type) {
  const json::Value* conditions = json::find_path(o.json(), {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return nullptr;
  for (const auto& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == type) return &c;
  }
  return nullptr;
}

std::string condition_reason(const kube::Object& o, std::string_view type) {
  const json::Value* c = condition(o, type);
  return c != nullptr ? std::string(json::get_string(*c, "reason")) : "";
}

bool rolled_out(const kube::Object& d, int replicas) {
  return status_int(d, "observedGeneration") == d.generation() &&
         status_int(d, "updatedReplicas") == replicas && status_int(d, "replicas") == replicas &&
         status_int(d, "availableReplicas") == replicas &&
         condition_reason(d, "Progressing") == "NewReplicaSetAvailable";
}

json::Document without_managed_fields(const kube::Object& o) {
  json::Document doc = o.copy();
  json::remove(*json::find(doc, "metadata"), "managedFields");
  return doc;
}

TEST(SimControllers, DeploymentOfThreeBecomesReadyWithTheFixtureShapes) {
  ClusterEnv env;
  env.create(kDeployments, deployment("web", 3));
  bool ready = false;
  auto d = env.wait_for(
      kDeployments, "default", "web", [](const kube::Object& o) { return rolled_out(o, 3); },
      &ready);
  ASSERT_TRUE(ready) << d.dump();
  EXPECT_EQ(d.annotation("deployment.kubernetes.io/revision"), "1");
  EXPECT_EQ(status_int(d, "readyReplicas"), 3);
  EXPECT_EQ(status_int(d, "unavailableReplicas"), 0);
  EXPECT_EQ(condition_reason(d, "Available"), "MinimumReplicasAvailable");

  auto sets = env.list(kReplicaSets, "default", "app=web");
  ASSERT_EQ(sets.size(), 1u);
  const kube::Object& rs = sets[0];
  std::string hash(rs.label("pod-template-hash").value_or(""));
  ASSERT_FALSE(hash.empty());
  EXPECT_EQ(rs.name(), "web-" + hash);
  EXPECT_EQ(rs.annotation("deployment.kubernetes.io/desired-replicas"), "3");
  EXPECT_EQ(rs.annotation("deployment.kubernetes.io/max-replicas"), "4");  // 3 + ceil(25% of 3)
  EXPECT_EQ(rs.annotation("deployment.kubernetes.io/revision"), "1");
  EXPECT_EQ(rs.controller_uid(), d.uid());
  EXPECT_EQ(json::get_string(*json::find_path(rs.json(), {"spec", "selector", "matchLabels"}),
                             "pod-template-hash"),
            hash);
  const json::Value* progressing = condition(d, "Progressing");
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(json::get_string(*progressing, "message"),
            "ReplicaSet \"web-" + hash + "\" has successfully progressed.");

  auto pods = env.list(kPods, "default", "app=web");
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& p : pods) {
    EXPECT_EQ(p.generate_name(), "web-" + hash + "-");
    EXPECT_EQ(p.controller_uid(), rs.uid());
    EXPECT_EQ(p.label("pod-template-hash"), hash);
    EXPECT_TRUE(pod_ready(p));
    EXPECT_FALSE(json::get_string(*p.spec(), "nodeName").empty());
  }

  if (berth::testing::fixtures_dir()) {
    auto want_d = berth::testing::read_fixture_json("objects/deployment-after-pods-ready.json");
    auto want_rs = berth::testing::read_fixture_json("objects/replicaset-after-pods-ready.json");
    auto want_pod = berth::testing::read_fixture_json("objects/pod-created-by-replicaset.json");
    ASSERT_TRUE(want_d && want_rs && want_pod);
    expect_same_keys(*want_d, without_managed_fields(d), {"managedFields"});
    expect_same_keys(*want_rs, without_managed_fields(rs), {"managedFields"});
    // The fixture's pod was never started (no kubelet there): compare all but the status.
    json::Document pod = without_managed_fields(pods[0]);
    expect_same_keys(*json::find(*want_pod, "metadata"), *json::find(pod, "metadata"),
                     {"managedFields"});
    expect_same_keys(*json::find(*want_pod, "spec"), *json::find(pod, "spec"));
  }

  // Events: one ScalingReplicaSet from the deployment controller, one SuccessfulCreate per pod.
  ASSERT_TRUE(wait_for([&] {
    return env.list(kube::resources::kEvents, "default").size() >= 4 + 3;  // + Scheduled
  }));
  int scaling = 0, created = 0;
  for (const auto& e : env.list(kube::resources::kEvents, "default")) {
    std::string reason(json::get_string(e.json(), "reason"));
    std::string message(json::get_string(e.json(), "message"));
    if (reason == "ScalingReplicaSet") {
      ++scaling;
      EXPECT_EQ(message, "Scaled up replica set web-" + hash + " to 3");
      EXPECT_EQ(json::get_string(*json::find(e.json(), "source"), "component"),
                "deployment-controller");
    }
    if (reason == "SuccessfulCreate") {
      ++created;
      EXPECT_TRUE(message.starts_with("Created pod: web-" + hash + "-")) << message;
    }
  }
  EXPECT_EQ(scaling, 1);
  EXPECT_EQ(created, 3);
}

TEST(SimControllers, DeploymentStatusBeforePodsAreReadyMatchesTheFixture) {
  ClusterEnv env;
  env.create(kDeployments, deployment("slow", 2, "", "", R"({"sim.berth.dev/start-delay":"60s"})"));
  bool settled = false;
  auto d = env.wait_for(
      kDeployments, "default", "slow",
      [](const kube::Object& o) {
        return status_int(o, "updatedReplicas") == 2 && status_int(o, "unavailableReplicas") == 2 &&
               condition_reason(o, "Progressing") == "ReplicaSetUpdated";
      },
      &settled);
  ASSERT_TRUE(settled) << d.dump();
  EXPECT_EQ(condition_reason(d, "Available"), "MinimumReplicasUnavailable");
  EXPECT_EQ(json::get_string(*condition(d, "Available"), "message"),
            "Deployment does not have minimum availability.");
  // Available first, Progressing second, as kube-controller-manager leaves them.
  const json::Value& conditions = *json::find_path(d.json(), {"status", "conditions"});
  ASSERT_EQ(conditions.Size(), 2u);
  EXPECT_EQ(json::get_string(conditions[0], "type"), "Available");
  EXPECT_EQ(json::get_string(conditions[1], "type"), "Progressing");
  if (auto want = berth::testing::read_fixture_json("objects/deployment-after-controller.json")) {
    expect_same_keys(*json::find(*want, "status"), *d.status());
  }
}

struct RolloutBounds {
  int replicas;
  int max_total;      // replicas + maxSurge
  int min_available;  // replicas - maxUnavailable
};

// Rolls a deployment to a new image while a watcher checks, after every pod event, that the
// pods never exceed the surge bound and ready pods never drop below the availability bound.
void check_rolling_update(std::string_view name, std::string_view strategy, RolloutBounds b) {
  ClusterEnv env;
  env.create(kDeployments, deployment(name, b.replicas, strategy));
  bool ready = false;
  env.wait_for(
      kDeployments, "default", name,
      [&](const kube::Object& o) { return rolled_out(o, b.replicas); }, &ready);
  ASSERT_TRUE(ready);

  std::atomic<int> max_total{0};
  std::atomic<int> min_ready{b.replicas};
  PodWatch watch(env.client(), "default", "app=" + std::string(name),
                 [&](const PodWatch::Pods& pods) -> std::string {
                   int total = 0, ready_pods = 0;
                   for (const auto& [n, p] : pods) {
                     if (p.being_deleted()) continue;
                     ++total;
                     if (pod_ready(p)) ++ready_pods;
                   }
                   max_total = std::max(max_total.load(), total);
                   min_ready = std::min(min_ready.load(), ready_pods);
                   if (total > b.max_total) {
                     return std::to_string(total) +
                            " pods exceed replicas + maxSurge = " + std::to_string(b.max_total);
                   }
                   if (ready_pods < b.min_available) {
                     return std::to_string(ready_pods) +
                            " ready pods are below replicas - maxUnavailable = " +
                            std::to_string(b.min_available);
                   }
                   return "";
                 });
  ASSERT_TRUE(wait_for([&] { return watch.synced(); }));
  env.merge_patch(
      kDeployments, "default", name,
      R"({"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}})");
  auto d = env.wait_for(
      kDeployments, "default", name,
      [&](const kube::Object& o) { return o.generation() == 2 && rolled_out(o, b.replicas); },
      &ready, seconds(60));
  ASSERT_TRUE(ready) << d.dump();
  ASSERT_TRUE(wait_for(
      [&] {
        auto pods = watch.pods();
        int current = 0;
        for (const auto& [n, p] : pods) {
          std::string image(json::get_string((*json::find(*p.spec(), "containers"))[0], "image"));
          if (!p.being_deleted() && image == "nginx:1.26" && pod_ready(p)) ++current;
        }
        return pods.size() == static_cast<std::size_t>(b.replicas) && current == b.replicas;
      },
      seconds(30)));
  EXPECT_EQ(watch.first_violation(), "");
  // The rollout did use its surge (so the bound above was really exercised).
  EXPECT_GT(max_total.load(), b.replicas);
  EXPECT_GE(min_ready.load(), b.min_available);
  EXPECT_EQ(d.annotation("deployment.kubernetes.io/revision"), "2");
  auto sets = env.list(kReplicaSets, "default", "app=" + std::string(name));
  ASSERT_EQ(sets.size(), 2u);
  for (const auto& rs : sets) {
    std::int64_t spec = json::get_int(*rs.spec(), "replicas");
    EXPECT_TRUE(spec == 0 || spec == b.replicas) << rs.dump();
  }
}

TEST(SimControllers, RollingUpdateRespectsIntegerSurgeAndUnavailability) {
  check_rolling_update(
      "ints", R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":1}})",
      {4, 5, 3});
}

TEST(SimControllers, RollingUpdateRoundsPercentagesLikeKubernetes) {
  // 30% of 5: surge rounds up to 2, unavailability rounds down to 1.
  check_rolling_update(
      "percent",
      R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":"30%","maxUnavailable":"30%"}})",
      {5, 7, 4});
}

TEST(SimControllers, RollingUpdateWithoutUnavailabilityKeepsEveryReplicaReady) {
  check_rolling_update(
      "zero", R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}})",
      {3, 4, 3});
}

TEST(SimControllers, RecreateStopsOldPodsBeforeStartingNewOnes) {
  ClusterEnv env;
  env.create(kDeployments, deployment("rec", 3, R"({"type":"Recreate"})"));
  bool ready = false;
  env.wait_for(
      kDeployments, "default", "rec", [](const kube::Object& o) { return rolled_out(o, 3); },
      &ready);
  ASSERT_TRUE(ready);
  auto old_rs = env.list(kReplicaSets, "default", "app=rec");
  ASSERT_EQ(old_rs.size(), 1u);
  std::string old_hash(old_rs[0].label("pod-template-hash").value_or(""));
  PodWatch watch(env.client(), "default", "app=rec", [&](const PodWatch::Pods& pods) {
    bool old_pods = false, new_pods = false;
    for (const auto& [n, p] : pods) {
      (p.label("pod-template-hash") == old_hash ? old_pods : new_pods) = true;
    }
    return old_pods && new_pods ? std::string("old and new pods exist at the same time") : "";
  });
  ASSERT_TRUE(wait_for([&] { return watch.synced(); }));
  env.merge_patch(
      kDeployments, "default", "rec",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}})");
  auto d = env.wait_for(
      kDeployments, "default", "rec",
      [](const kube::Object& o) { return o.generation() == 2 && rolled_out(o, 3); }, &ready,
      seconds(30));
  ASSERT_TRUE(ready) << d.dump();
  EXPECT_EQ(watch.first_violation(), "");
  EXPECT_EQ(watch.distinct_pods(), 6u);
}

TEST(SimControllers, RollbackReusesTheOldReplicaSetAndHistoryIsTrimmed) {
  ClusterEnv env;
  env.create(kDeployments, deployment("hist", 1, "", R"("revisionHistoryLimit":2,)"));
  bool ok = false;
  // Strategic merge, as kubectl set image does: only the image changes, so going back to
  // 1.25 is going back to the first template exactly.
  auto image = [&](std::string_view tag, int generation) {
    env.merge_patch(
        kDeployments, "default", "hist",
        R"({"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:)" +
            std::string(tag) + R"("}]}}}})",
        {}, kube::PatchType::kStrategicMerge);
    env.wait_for(
        kDeployments, "default", "hist",
        [&](const kube::Object& o) { return o.generation() == generation && rolled_out(o, 1); },
        &ok, seconds(30));
    ASSERT_TRUE(ok);
  };
  env.wait_for(
      kDeployments, "default", "hist", [](const kube::Object& o) { return rolled_out(o, 1); }, &ok);
  ASSERT_TRUE(ok);
  std::string first(env.list(kReplicaSets, "default", "app=hist")[0].name());
  image("1.26", 2);
  image("1.27", 3);
  // Back to the first template: its ReplicaSet returns with the next revision.
  image("1.25", 4);
  auto d = env.get(kDeployments, "default", "hist");
  EXPECT_EQ(d.annotation("deployment.kubernetes.io/revision"), "4");
  auto rs = env.get(kReplicaSets, "default", first);
  ASSERT_TRUE(rs) << "the first ReplicaSet was not reused";
  EXPECT_EQ(rs.annotation("deployment.kubernetes.io/revision"), "4");
  EXPECT_EQ(json::get_int(*rs.spec(), "replicas"), 1);
  EXPECT_EQ(env.list(kReplicaSets, "default", "app=hist").size(), 3u);
  // A shorter history: the oldest revision (1.26's ReplicaSet, revision 2) goes.
  env.merge_patch(kDeployments, "default", "hist", R"({"spec":{"revisionHistoryLimit":1}})");
  ASSERT_TRUE(wait_for([&] { return env.list(kReplicaSets, "default", "app=hist").size() == 2; },
                       seconds(20)));
  std::set<std::string> revisions;
  for (const auto& r : env.list(kReplicaSets, "default", "app=hist"))
    revisions.insert(std::string(r.annotation("deployment.kubernetes.io/revision").value_or("")));
  EXPECT_EQ(revisions, (std::set<std::string>{"3", "4"}));
}

TEST(SimControllers, ScaleSubresourceResizesThroughTheReplicaSet) {
  ClusterEnv env;
  env.create(kDeployments, deployment("scaled", 2));
  bool ok = false;
  env.wait_for(
      kDeployments, "default", "scaled", [](const kube::Object& o) { return rolled_out(o, 2); },
      &ok);
  ASSERT_TRUE(ok);
  auto scale = env.http("PATCH", "/apis/apps/v1/namespaces/default/deployments/scaled/scale",
                        R"({"spec":{"replicas":5}})", "application/merge-patch+json");
  ASSERT_EQ(scale.status, 200) << scale.body;
  auto d = env.wait_for(
      kDeployments, "default", "scaled", [](const kube::Object& o) { return rolled_out(o, 5); },
      &ok);
  ASSERT_TRUE(ok) << d.dump();
  auto sets = env.list(kReplicaSets, "default", "app=scaled");
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(json::get_int(*sets[0].spec(), "replicas"), 5);
  EXPECT_EQ(sets[0].annotation("deployment.kubernetes.io/desired-replicas"), "5");
  EXPECT_EQ(env.list(kPods, "default", "app=scaled").size(), 5u);
  // And down again.
  env.merge_patch(kDeployments, "default", "scaled", R"({"spec":{"replicas":1}})");
  ASSERT_TRUE(
      wait_for([&] { return env.list(kPods, "default", "app=scaled").size() == 1; }, seconds(20)));
}

TEST(SimControllers, PausedDeploymentScalesButDoesNotRollOut) {
  ClusterEnv env;
  env.create(kDeployments, deployment("paused", 2));
  bool ok = false;
  env.wait_for(
      kDeployments, "default", "paused", [](const kube::Object& o) { return rolled_out(o, 2); },
      &ok);
  ASSERT_TRUE(ok);
  env.merge_patch(kDeployments, "default", "paused", R"({"spec":{"paused":true}})");
  auto d = env.wait_for(
      kDeployments, "default", "paused",
      [](const kube::Object& o) {
        return condition_reason(o, "Progressing") == "DeploymentPaused";
      },
      &ok);
  ASSERT_TRUE(ok) << d.dump();
  EXPECT_EQ(json::get_string(*condition(d, "Progressing"), "status"), "Unknown");
  env.merge_patch(
      kDeployments, "default", "paused",
      R"({"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}})");
  // Scaling still happens; the template change waits.
  d = env.wait_for(
      kDeployments, "default", "paused",
      [](const kube::Object& o) {
        return status_int(o, "observedGeneration") == o.generation() &&
               status_int(o, "availableReplicas") == 3;
      },
      &ok);
  ASSERT_TRUE(ok) << d.dump();
  EXPECT_EQ(env.list(kReplicaSets, "default", "app=paused").size(), 1u);
  env.merge_patch(kDeployments, "default", "paused", R"({"spec":{"paused":false}})");
  d = env.wait_for(
      kDeployments, "default", "paused", [](const kube::Object& o) { return rolled_out(o, 3); },
      &ok, seconds(30));
  ASSERT_TRUE(ok) << d.dump();
  EXPECT_EQ(env.list(kReplicaSets, "default", "app=paused").size(), 2u);
}

TEST(SimControllers, ProgressDeadlineExceededWhenPodsNeverBecomeReady) {
  ClusterEnv env;
  env.create(kDeployments, deployment("stuck", 2, "", R"("progressDeadlineSeconds":1,)",
                                      R"({"sim.berth.dev/fail":"never-ready"})"));
  bool ok = false;
  auto d = env.wait_for(
      kDeployments, "default", "stuck",
      [](const kube::Object& o) {
        return condition_reason(o, "Progressing") == "ProgressDeadlineExceeded";
      },
      &ok, seconds(20));
  ASSERT_TRUE(ok) << d.dump();
  const json::Value* c = condition(d, "Progressing");
  EXPECT_EQ(json::get_string(*c, "status"), "False");
  EXPECT_TRUE(json::get_string(*c, "message").ends_with("has timed out progressing."));
  EXPECT_EQ(condition_reason(d, "Available"), "MinimumReplicasUnavailable");
}

TEST(SimControllers, MinReadySecondsDelaysAvailability) {
  ClusterEnv env;
  env.create(
      kReplicaSets,
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"mrs","namespace":"default"},
    "spec":{"replicas":2,"minReadySeconds":1,"selector":{"matchLabels":{"app":"mrs"}},
    "template":{"metadata":{"labels":{"app":"mrs"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
  bool ready_not_available = false;
  auto rs = env.wait_for(
      kReplicaSets, "default", "mrs",
      [](const kube::Object& o) {
        return status_int(o, "readyReplicas") == 2 && status_int(o, "availableReplicas") < 2;
      },
      &ready_not_available);
  ASSERT_TRUE(ready_not_available) << rs.dump();
  bool available = false;
  rs = env.wait_for(
      kReplicaSets, "default", "mrs",
      [](const kube::Object& o) { return status_int(o, "availableReplicas") == 2; }, &available);
  EXPECT_TRUE(available) << rs.dump();
}

TEST(SimControllers, ReplicaSetAdoptsOrphansAndDeletesUnreadyPodsFirst) {
  ClusterEnv env;
  env.create(kPods,
             R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"orphan","namespace":"default",
    "labels":{"app":"adopt"},"annotations":{"sim.berth.dev/fail":"never-ready"}},
    "spec":{"nodeName":"sim-node-0","containers":[{"name":"c","image":"busybox"}]}})");
  env.create(
      kReplicaSets,
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"adopter","namespace":"default"},
    "spec":{"replicas":2,"selector":{"matchLabels":{"app":"adopt"}},
    "template":{"metadata":{"labels":{"app":"adopt"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
  auto rs = env.get(kReplicaSets, "default", "adopter");
  bool adopted = false;
  env.wait_for(
      kPods, "default", "orphan",
      [&](const kube::Object& p) { return p.controller_uid() == rs.uid(); }, &adopted);
  ASSERT_TRUE(adopted);
  ASSERT_TRUE(wait_for([&] {
    auto pods = env.list(kPods, "default", "app=adopt");
    return pods.size() == 2 && std::count_if(pods.begin(), pods.end(), pod_ready) == 1;
  }));
  env.merge_patch(kReplicaSets, "default", "adopter", R"({"spec":{"replicas":1}})");
  ASSERT_TRUE(wait_for(
      [&] {
        auto pods = env.list(kPods, "default", "app=adopt");
        return pods.size() == 1 && pod_ready(pods[0]);
      },
      seconds(20)));
  EXPECT_FALSE(env.get(kPods, "default", "orphan"));
}

TEST(SimControllers, ReplicaSetNeverDoubleCreatesUnderApiFaults) {
  SimClusterOptions o = fast_options();
  // Half the controller's pod creations fail, and every create is slow, so syncs overlap
  // with creations the cache has not seen yet.
  FaultRule rule;
  rule.verbs = {"create"};
  rule.resources = {"pods"};
  rule.error_rate = 0.5;
  rule.code = 500;
  rule.latency = milliseconds(20);
  rule.internal = true;
  o.faults.rules.push_back(rule);
  o.faults.seed = 99;
  ClusterEnv env(o);
  PodWatch watch(env.client(), "default", "app=burst", [](const PodWatch::Pods& pods) {
    int active = 0;
    for (const auto& [n, p] : pods) {
      if (!p.being_deleted()) ++active;
    }
    return active > 12 ? "more pods than replicas: " + std::to_string(active) : std::string();
  });
  ASSERT_TRUE(wait_for([&] { return watch.synced(); }));
  env.create(
      kReplicaSets,
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"burst","namespace":"default"},
    "spec":{"replicas":12,"selector":{"matchLabels":{"app":"burst"}},
    "template":{"metadata":{"labels":{"app":"burst"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
  bool ok = false;
  auto rs = env.wait_for(
      kReplicaSets, "default", "burst",
      [](const kube::Object& r) { return status_int(r, "readyReplicas") == 12; }, &ok, seconds(60));
  ASSERT_TRUE(ok) << rs.dump();
  ASSERT_TRUE(wait_for([&] { return watch.pods().size() == 12; }));
  EXPECT_EQ(watch.first_violation(), "");
  // Exactly 12 pods ever existed: failed creations were retried, none was duplicated.
  EXPECT_EQ(watch.distinct_pods(), 12u);
  auto& controller = env.cluster().controllers()->replicasets();
  EXPECT_GT(controller.creations(), 12u) << "the faults did not make any creation fail";
  EXPECT_GT(env.cluster().faults().stats().errors, 0u);
}

TEST(SimControllers, DeletingADeploymentCollectsItsReplicaSetsAndPods) {
  ClusterEnv env;
  env.create(kDeployments, deployment("gone", 2));
  bool ok = false;
  env.wait_for(
      kDeployments, "default", "gone", [](const kube::Object& o) { return rolled_out(o, 2); }, &ok);
  ASSERT_TRUE(ok);
  ASSERT_TRUE(env.client().remove(kDeployments, "default", "gone").ok());
  EXPECT_TRUE(wait_for(
      [&] {
        return env.list(kReplicaSets, "default", "app=gone").empty() &&
               env.list(kPods, "default", "app=gone").empty();
      },
      seconds(20)));
  for (const auto& o : env.list(kReplicaSets, "default", "app=gone"))
    ADD_FAILURE() << o.dump();
  for (const auto& o : env.list(kPods, "default", "app=gone"))
    ADD_FAILURE() << o.dump();
}

}  // namespace
}  // namespace berth::sim::testing
