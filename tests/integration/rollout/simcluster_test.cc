// The rollout controller on a whole simulated cluster: the ReplicaSet controller creates pods,
// the scheduler binds them, the kubelet simulator starts them (tens of milliseconds), makes them
// ready, never ready or crash-looping (sim.berth.dev/fail), and the API answers a share of the
// controller's requests with 500s and 429s while its watches are cut and its watch history
// expires. Throughout every rollout, ServingWatch checks after each change in the cluster that
// the Service carrying production traffic keeps replicas - maxUnavailable ready pods.
//
// Canary weights are replica ratios, so the traffic Service is the application's own one,
// selecting every revision (app=<name>); for blue-green it is the active Service, which the
// controller pins to one revision. What happened is read from the status, never from Events:
// event writes are best effort, and fault injection drops some (wiring_test checks them).
#include <gtest/gtest.h>

#include "controllers/rollout/names.h"
#include "tests/integration/rollout/rollout_env.h"
#include "tests/integration/rollout/rollout_objects.h"
#include "tests/integration/rollout/serving_watch.h"
#include "tests/support/wait.h"

namespace berth::rollout::testing {
namespace {

namespace json = kube::json;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

RolloutEnv::Options on_flaky_cluster() {
  RolloutEnv::Options o;
  o.cluster = fast_cluster();
  o.cluster->faults = flaky_api();
  return o;
}

std::int64_t spec_replicas(RolloutEnv& env, const std::string& replica_set) {
  kube::Object rs = env.get(kube::resources::kReplicaSets, replica_set);
  return rs ? json::get_int(*rs.spec(), "replicas", -1) : -1;
}

// Ready, non-terminating pods of one revision of the Rollout.
int ready_pods(RolloutEnv& env, std::string_view rollout, std::string_view hash) {
  int n = 0;
  for (const kube::Object& pod :
       env.list(kube::resources::kPods, "app=" + std::string(rollout) + "," +
                                            std::string(kPodTemplateHashLabel) + "=" +
                                            std::string(hash))) {
    if (pod_ready(pod)) ++n;
  }
  return n;
}

// `want` is a subsequence of `seen`.
bool in_order(const std::vector<int>& seen, const std::vector<int>& want) {
  std::size_t i = 0;
  for (int v : seen) {
    if (i < want.size() && v == want[i]) ++i;
  }
  return i == want.size();
}

// Every fault kind the options asked for actually happened (the test is not vacuous).
void expect_faults_injected(RolloutEnv& env) {
  berth::sim::FaultStats stats = env.cluster()->faults().stats();
  EXPECT_GT(stats.errors, 0u);
  EXPECT_GT(stats.watches_dropped, 0u);
  EXPECT_GT(stats.compactions, 0u);
}

// Right when a rollout starts: every watch cut and the history expired, so the controller
// resumes and relists while it acts (on top of the periodic faults).
void shake(RolloutEnv& env) {
  env.cluster()->faults().drop_watches();
  env.cluster()->faults().expire_history();
}

// A Healthy Rollout of v1 with its traffic Service, and the watch armed on it.
std::unique_ptr<ServingWatch> healthy(RolloutEnv& env, const std::string& name, int replicas,
                                      int floor, const std::string& service) {
  EXPECT_EQ(env.wait_rollout(name,
                             [&](const kube::Object& o) {
                               return phase(o) == "Healthy" &&
                                      status_int(o, "availableReplicas") == replicas;
                             }),
            "");
  auto watch = std::make_unique<ServingWatch>(*env.cluster(), std::string(kNamespace), service);
  EXPECT_TRUE(wait_for([&] { return watch->serving() >= replicas; }))
      << "serving " << watch->serving();
  EXPECT_GE(watch->arm(floor), floor);
  return watch;
}

void expect_served_throughout(const ServingWatch& watch, int floor) {
  EXPECT_EQ(watch.violation(), "");
  EXPECT_GE(watch.min_serving(), floor);
  // The invariant was checked on every pod and Service change, not once at the end.
  EXPECT_GT(watch.checks(), 10u);
}

TEST(RolloutOnSimCluster, CanaryOfTenThroughTwentyFiftyHundredWithPauses) {
  RolloutEnv env(on_flaky_cluster());
  for (const char* svc : {"web", "web-stable", "web-canary"}) {
    env.create(kube::resources::kServices, service_json(svc, "web"));
  }
  env.create(kRollouts, rollout_json("web", 10, "v1", R"({"canary":{
      "maxSurge":2,"maxUnavailable":1,"stableService":"web-stable","canaryService":"web-canary",
      "steps":[{"setWeight":20},{"pause":{}},{"setWeight":50},{"pause":{"duration":"1s"}},
               {"setWeight":100},{"pause":{}}]}})"));
  auto watch = healthy(env, "web", 10, 9, "web");
  std::string v1 = hash_of("web", "v1");
  std::string v2 = hash_of("web", "v2");

  ASSERT_TRUE(env.merge_patch(kRollouts, "web", image_patch("v2")).ok());
  shake(env);
  auto paused_at = [&](int step) {
    return env.wait_rollout("web", [step](const kube::Object& o) {
      return phase(o) == "Paused" && status_int(o, "currentStepIndex") == step;
    });
  };
  ASSERT_EQ(paused_at(1), "");
  // The status is written before the writes it decides: these follow it.
  EXPECT_TRUE(wait_for([&] {
    return spec_replicas(env, "web-" + v2) == 2 && spec_replicas(env, "web-" + v1) == 8 &&
           env.pinned("web-canary") == v2;
  }));
  EXPECT_EQ(ready_pods(env, "web", v2), 2);
  EXPECT_EQ(env.pinned("web-stable"), v1);
  EXPECT_EQ(condition(env.rollout("web"), "Paused", "reason"), "PauseStep");

  env.annotate("web", kActionAnnotation, "promote@tester");
  // The timed pause at 50% ends by itself.
  ASSERT_EQ(paused_at(5), "");
  // The ReplicaSets went through every weight: 2/8, 5/5, 10/0.
  EXPECT_TRUE(wait_for([&] {
    auto canary = watch->replica_history("web-" + v2);
    auto stable = watch->replica_history("web-" + v1);
    return !canary.empty() && canary.back() == 10 && !stable.empty() && stable.back() == 0;
  }));
  EXPECT_TRUE(in_order(watch->replica_history("web-" + v2), {2, 5, 10}))
      << ::testing::PrintToString(watch->replica_history("web-" + v2));
  EXPECT_TRUE(in_order(watch->replica_history("web-" + v1), {10, 8, 5, 0}))
      << ::testing::PrintToString(watch->replica_history("web-" + v1));
  EXPECT_EQ(spec_replicas(env, "web-" + v2), 10);
  EXPECT_EQ(spec_replicas(env, "web-" + v1), 0);
  EXPECT_EQ(ready_pods(env, "web", v2), 10);
  // Traffic on the stable Service stays on v1 until the last promotion.
  EXPECT_EQ(env.pinned("web-stable"), v1);

  env.annotate("web", kActionAnnotation, "promote@tester");
  ASSERT_EQ(env.wait_rollout("web",
                             [&](const kube::Object& o) {
                               return phase(o) == "Healthy" &&
                                      status_string(o, "stableHash") == v2 &&
                                      !o.annotation(kActionAnnotation).has_value();
                             }),
            "");
  EXPECT_TRUE(wait_for([&] { return env.pinned("web-stable") == v2; }));
  EXPECT_TRUE(wait_for([&] { return ready_pods(env, "web", v1) == 0; }));
  kube::Object done = env.rollout("web");
  EXPECT_EQ(history_count(done, "NewRevision", v2), 1);
  EXPECT_EQ(history_count(done, "PromoteRequested", v2), 2);
  EXPECT_EQ(history_count(done, "Promoted", v2), 1);
  expect_served_throughout(*watch, 9);
  expect_faults_injected(env);
}

TEST(RolloutOnSimCluster, BlueGreenSwitchesOnlyToAReadyPreviewAndDelaysTheScaleDown) {
  RolloutEnv env(on_flaky_cluster());
  env.create(kube::resources::kServices, service_json("shop-active", "shop"));
  env.create(kube::resources::kServices, service_json("shop-preview", "shop"));
  env.create(kRollouts, rollout_json("shop", 4, "v1", R"({"blueGreen":{
      "activeService":"shop-active","previewService":"shop-preview","autoPromotion":false,
      "scaleDownDelaySeconds":1}})"));
  auto watch = healthy(env, "shop", 4, 4, "shop-active");
  std::string v1 = hash_of("shop", "v1");
  // The new pods take 600 ms to start: a promotion asked for at once must wait for them.
  std::string slow = R"({"sim.berth.dev/start-delay":"600ms"})";
  std::string v2 = hash_of("shop", "v2", slow);
  ASSERT_TRUE(env.merge_patch(kRollouts, "shop", image_patch("v2", slow)).ok());
  shake(env);
  ASSERT_EQ(
      env.wait_rollout("shop",
                       [&](const kube::Object& o) { return status_string(o, "canaryHash") == v2; }),
      "");
  env.annotate("shop", kActionAnnotation, "promote@tester");
  ASSERT_EQ(env.wait_rollout("shop",
                             [&](const kube::Object& o) {
                               return phase(o) == "Healthy" && status_string(o, "stableHash") == v2;
                             }),
            "");
  EXPECT_TRUE(wait_for([&] { return env.pinned("shop-active") == v2; }));

  std::vector<ServingWatch::PinChange> switches;
  ASSERT_TRUE(wait_for([&] {
    switches = watch->pin_changes();
    return !switches.empty() && switches.back().to == v2;
  }));
  const ServingWatch::PinChange& to_v2 = switches.back();
  EXPECT_EQ(to_v2.from, v1);
  EXPECT_EQ(to_v2.to, v2);
  EXPECT_GE(to_v2.ready_to, 4);
  // The old revision is whole when the Service leaves it and stays so for
  // scaleDownDelaySeconds (a rollback meanwhile is instant), then goes.
  EXPECT_GE(to_v2.ready_from, 4);
  ASSERT_TRUE(
      wait_for([&] { return watch->scaled_to_zero("shop-" + v1).has_value(); }, seconds(20)));
  auto zeroed = watch->scaled_to_zero("shop-" + v1);
  // The delay runs from the promotion, which the status records with the same clock.
  auto promoted = history_time(env.rollout("shop"), "Promoted", v2);
  ASSERT_TRUE(promoted.has_value());
  EXPECT_GE(*zeroed, *promoted + seconds(1));
  EXPECT_TRUE(wait_for([&] { return ready_pods(env, "shop", v1) == 0; }));
  expect_served_throughout(*watch, 4);
  expect_faults_injected(env);
}

TEST(RolloutOnSimCluster, NeverReadyCanaryIsRolledBackAtTheProgressDeadline) {
  RolloutEnv env(on_flaky_cluster());
  env.create(kube::resources::kServices, service_json("api", "api"));
  env.create(kRollouts, rollout_json("api", 10, "v1", R"({"canary":{"maxSurge":2,"maxUnavailable":1,
                 "steps":[{"setWeight":20},{"pause":{}}]}})",
                                     R"("progressDeadlineSeconds":2)"));
  auto watch = healthy(env, "api", 10, 9, "api");
  std::string v1 = hash_of("api", "v1");
  std::string never = R"({"sim.berth.dev/fail":"never-ready"})";
  std::string v2 = hash_of("api", "v2", never);
  ASSERT_TRUE(env.merge_patch(kRollouts, "api", image_patch("v2", never)).ok());
  shake(env);
  // The canary's pods run but never turn ready.
  ASSERT_TRUE(wait_for([&] {
    auto pods = env.list(kube::resources::kPods, std::string(kPodTemplateHashLabel) + "=" + v2);
    return pods.size() == 2 && pod_phase(pods[0]) == "Running" && pod_phase(pods[1]) == "Running";
  }));
  ASSERT_EQ(env.wait_rollout("api", [](const kube::Object& o) { return phase(o) == "Aborted"; }),
            "");
  kube::Object r = env.rollout("api");
  EXPECT_EQ(abort_field(r, "reason"), "ProgressDeadlineExceeded");
  EXPECT_EQ(abort_field(r, "revision"), v2);
  EXPECT_EQ(condition(r, "Progressing", "reason"), "RolloutAborted");
  EXPECT_EQ(status_string(r, "stableHash"), v1);
  ASSERT_TRUE(wait_for([&] { return spec_replicas(env, "api-" + v2) == 0; }));
  EXPECT_EQ(spec_replicas(env, "api-" + v1), 10);
  EXPECT_TRUE(wait_for([&] {
    return env.list(kube::resources::kPods, std::string(kPodTemplateHashLabel) + "=" + v2).empty();
  }));
  expect_served_throughout(*watch, 9);
  expect_faults_injected(env);
}

TEST(RolloutOnSimCluster, CrashLoopingCanaryIsRolledBackByItsAnalysis) {
  RolloutEnv env(on_flaky_cluster());
  env.create(kube::resources::kServices, service_json("pay", "pay"));
  // The progress deadline is far away: what stops this canary is its restarts check.
  env.create(kRollouts, rollout_json("pay", 6, "v1", R"({"canary":{"maxSurge":1,"maxUnavailable":0,
      "steps":[{"setWeight":50},{"pause":{}}],
      "analysis":{"checks":[{"name":"restarts","interval":"1s","restarts":{"maxRestarts":1}}]}}})",
                                     R"("progressDeadlineSeconds":600)"));
  auto watch = healthy(env, "pay", 6, 6, "pay");
  std::string v1 = hash_of("pay", "v1");
  std::string crash = R"({"sim.berth.dev/fail":"crash-loop"})";
  std::string v2 = hash_of("pay", "v2", crash);
  ASSERT_TRUE(env.merge_patch(kRollouts, "pay", image_patch("v2", crash)).ok());
  shake(env);
  ASSERT_EQ(env.wait_rollout("pay", [](const kube::Object& o) { return phase(o) == "Aborted"; }),
            "");
  kube::Object r = env.rollout("pay");
  EXPECT_EQ(abort_field(r, "reason"), "AnalysisFailed");
  std::string message = abort_field(r, "message");
  EXPECT_TRUE(message.find("CrashLoopBackOff") != std::string::npos ||
              message.find("restarted") != std::string::npos)
      << message;
  ASSERT_TRUE(wait_for([&] { return spec_replicas(env, "pay-" + v2) == 0; }));
  EXPECT_EQ(spec_replicas(env, "pay-" + v1), 6);
  EXPECT_EQ(status_string(r, "stableHash"), v1);
  expect_served_throughout(*watch, 6);
  expect_faults_injected(env);
}

TEST(RolloutOnSimCluster, AbortRetryAndPromoteMidway) {
  RolloutEnv env(on_flaky_cluster());
  env.create(kube::resources::kServices, service_json("cart", "cart"));
  env.create(kube::resources::kServices, service_json("cart-stable", "cart"));
  env.create(kRollouts, rollout_json("cart", 10, "v1", R"({"canary":{"maxSurge":"20%",
      "maxUnavailable":"10%","stableService":"cart-stable",
      "steps":[{"setWeight":30},{"pause":{}},{"setWeight":60},{"pause":{}}]}})"));
  auto watch = healthy(env, "cart", 10, 9, "cart");
  std::string v1 = hash_of("cart", "v1");
  std::string v2 = hash_of("cart", "v2");
  ASSERT_TRUE(env.merge_patch(kRollouts, "cart", image_patch("v2")).ok());
  shake(env);
  auto paused_at = [&](int step) {
    return env.wait_rollout("cart", [step](const kube::Object& o) {
      return phase(o) == "Paused" && status_int(o, "currentStepIndex") == step;
    });
  };
  ASSERT_EQ(paused_at(1), "");
  EXPECT_TRUE(wait_for([&] {
    return spec_replicas(env, "cart-" + v2) == 3 && spec_replicas(env, "cart-" + v1) == 7;
  }));

  env.annotate("cart", kActionAnnotation, "abort@alice");
  ASSERT_EQ(env.wait_rollout("cart", [](const kube::Object& o) { return phase(o) == "Aborted"; }),
            "");
  EXPECT_EQ(abort_field(env.rollout("cart"), "reason"), "AbortRequested");
  ASSERT_TRUE(wait_for([&] {
    return spec_replicas(env, "cart-" + v2) == 0 && spec_replicas(env, "cart-" + v1) == 10 &&
           ready_pods(env, "cart", v1) == 10;
  }));
  EXPECT_EQ(env.pinned("cart-stable"), v1);

  env.annotate("cart", kActionAnnotation, "retry@alice");
  ASSERT_EQ(paused_at(1), "");
  env.annotate("cart", kActionAnnotation, "promote@bob");
  ASSERT_EQ(paused_at(3), "");
  EXPECT_TRUE(wait_for([&] {
    return spec_replicas(env, "cart-" + v2) == 6 && spec_replicas(env, "cart-" + v1) == 4;
  }));
  env.annotate("cart", kActionAnnotation, "promote-full@bob");
  ASSERT_EQ(env.wait_rollout("cart",
                             [&](const kube::Object& o) {
                               return phase(o) == "Healthy" && status_string(o, "stableHash") == v2;
                             }),
            "");
  EXPECT_TRUE(wait_for([&] { return spec_replicas(env, "cart-" + v1) == 0; }));
  kube::Object done = env.rollout("cart");
  EXPECT_EQ(history_count(done, "Aborted", v2, "alice"), 1);
  EXPECT_EQ(history_count(done, "Retried", v2, "alice"), 1);
  EXPECT_EQ(history_count(done, "PromoteRequested", v2, "bob"), 1);
  EXPECT_EQ(history_count(done, "PromoteFullRequested", v2), 1);
  expect_served_throughout(*watch, 9);
  expect_faults_injected(env);
}

}  // namespace
}  // namespace berth::rollout::testing
