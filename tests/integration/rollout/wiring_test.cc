// The rollout controller against berth-sim's API server over HTTP, with StatusDriver standing in
// for the ReplicaSet and Deployment controllers: that the CRD installs and rejects what its
// schema can, and that the reconciler's writes (ReplicaSets, selectors, the Deployment, status,
// annotations, finalizer, events) are what the planner decided and land on a real apiserver.
#include <gtest/gtest.h>

#include <atomic>

#include "controllers/rollout/names.h"
#include "kube/http/server.h"
#include "tests/integration/rollout/rollout_env.h"
#include "tests/integration/rollout/rollout_objects.h"
#include "tests/support/wait.h"

namespace berth::rollout::testing {
namespace {

namespace json = kube::json;
using berth::testing::wait_for;
using std::chrono::seconds;

std::int64_t spec_replicas(RolloutEnv& env, const kube::ResourceType& type,
                           const std::string& name) {
  kube::Object o = env.get(type, name);
  return o ? json::get_int(*o.spec(), "replicas", -1) : -1;
}

std::vector<std::string> event_reasons(RolloutEnv& env, std::string_view object) {
  std::vector<std::string> out;
  auto list = env.client().list(kube::resources::kEvents, kNamespace);
  if (!list.ok()) return out;
  for (const kube::Object& e : list->items) {
    if (json::get_string(*json::find(e.json(), "involvedObject"), "name") == object) {
      out.emplace_back(json::get_string(e.json(), "reason"));
    }
  }
  return out;
}

TEST(RolloutWiring, SchemaRejectsOutOfRangeWeights) {
  RolloutEnv env(RolloutEnv::Options{.start_controller = false});
  auto doc =
      json::parse(rollout_json("bad", 2, "v1", R"({"canary":{"steps":[{"setWeight":120}]}})"));
  json::set_string(*json::find(*doc, "metadata"), "namespace", kNamespace, doc->GetAllocator());
  auto created = env.client().create(kRollouts, *doc);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, 422);
  EXPECT_EQ(created.error().message,
            "Rollout.berth.dev \"bad\" is invalid: spec.strategy.canary.steps[0].setWeight: "
            "Invalid value: 120: spec.strategy.canary.steps[0].setWeight in body should be less "
            "than or equal to 100");
  auto negative =
      json::parse(rollout_json("neg", 2, "v1", R"({"canary":{"steps":[{"setWeight":-5}]}})"));
  json::set_string(*json::find(*negative, "metadata"), "namespace", kNamespace,
                   negative->GetAllocator());
  created = env.client().create(kRollouts, *negative);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().message,
            "Rollout.berth.dev \"neg\" is invalid: spec.strategy.canary.steps[0].setWeight: "
            "Invalid value: -5: spec.strategy.canary.steps[0].setWeight in body should be greater "
            "than or equal to 0");
  // A missing selector is the schema's too.
  auto no_selector = json::parse(
      R"({"apiVersion":"berth.dev/v1alpha1","kind":"Rollout","metadata":{"name":"nosel","namespace":"demo"},
          "spec":{"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c"}]}}}})");
  created = env.client().create(kRollouts, *no_selector);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().message,
            "Rollout.berth.dev \"nosel\" is invalid: spec.selector: Required value");
}

TEST(RolloutWiring, CrossFieldErrorsReachTheStatus) {
  RolloutEnv env;
  // Both template and workloadRef: the CRD's CEL rule refuses it where the apiserver evaluates
  // CEL (1.25+); where it is stored anyway, the controller reports it and touches nothing.
  auto doc = json::parse(
      rollout_json("both", 2, "v1", R"({"canary":{}})", R"("workloadRef":{"name":"web"})"));
  json::set_string(*json::find(*doc, "metadata"), "namespace", kNamespace, doc->GetAllocator());
  auto created = env.client().create(kRollouts, *doc);
  if (!created.ok()) {
    EXPECT_NE(created.error().message.find("set exactly one of spec.template and spec.workloadRef"),
              std::string::npos)
        << created.error().message;
    return;
  }
  std::string failure = env.wait_rollout("both", [](const kube::Object& o) {
    return condition(o, "InvalidSpec", "status") == "True";
  });
  ASSERT_EQ(failure, "");
  kube::Object r = env.rollout("both");
  EXPECT_EQ(phase(r), "Degraded");
  EXPECT_EQ(condition(r, "InvalidSpec", "message"),
            "spec.workloadRef: Forbidden: may not be set together with spec.template; set "
            "exactly one");
  auto rss = env.client().list(kube::resources::kReplicaSets, kNamespace);
  ASSERT_TRUE(rss.ok());
  EXPECT_TRUE(rss->items.empty());
  EXPECT_TRUE(wait_for([&] {
    auto reasons = event_reasons(env, "both");
    return std::find(reasons.begin(), reasons.end(), "InvalidSpec") != reasons.end();
  }));
}

TEST(RolloutWiring, CanaryCreatesPinsPausesAndPromotes) {
  RolloutEnv env;
  StatusDriver driver(env);
  env.create(kube::resources::kServices, service_json("web-stable", "web"));
  env.create(kube::resources::kServices, service_json("web-canary", "web"));
  env.create(kRollouts, rollout_json("web", 4, "v1", R"({"canary":{"maxSurge":1,"maxUnavailable":0,
      "stableService":"web-stable","canaryService":"web-canary",
      "steps":[{"setWeight":50},{"pause":{}}]}})"));
  std::string v1 = hash_of("web", "v1");
  ASSERT_EQ(env.wait_rollout("web", [](const kube::Object& o) { return phase(o) == "Healthy"; }),
            "");
  kube::Object rs = env.get(kube::resources::kReplicaSets, "web-" + v1);
  ASSERT_TRUE(rs);
  kube::Object rollout = env.rollout("web");
  EXPECT_EQ(rs.controller_uid(), rollout.uid());
  EXPECT_EQ(rs.label(kPodTemplateHashLabel), v1);
  EXPECT_EQ(rs.label(kRolloutLabel), "web");
  EXPECT_EQ(rs.annotation(kRevisionAnnotation), "1");
  EXPECT_EQ(json::get_string(*json::find_path(rs.json(), {"spec", "selector", "matchLabels"}),
                             kPodTemplateHashLabel),
            v1);
  EXPECT_EQ(json::get_string(
                *json::find_path(rs.json(), {"spec", "template", "metadata", "labels"}), "app"),
            "web");
  EXPECT_EQ(env.pinned("web-stable"), v1);
  EXPECT_EQ(env.pinned("web-canary"), v1);
  EXPECT_EQ(status_string(rollout, "selector"), "app=web");
  EXPECT_EQ(status_int(rollout, "replicas"), 4);

  ASSERT_TRUE(env.merge_patch(kRollouts, "web", image_patch("v2")).ok());
  std::string v2 = hash_of("web", "v2");
  ASSERT_EQ(env.wait_rollout("web",
                             [](const kube::Object& o) {
                               return phase(o) == "Paused" &&
                                      status_int(o, "currentStepIndex") == 1;
                             }),
            "");
  EXPECT_EQ(spec_replicas(env, kube::resources::kReplicaSets, "web-" + v2), 2);
  EXPECT_EQ(spec_replicas(env, kube::resources::kReplicaSets, "web-" + v1), 2);
  EXPECT_TRUE(wait_for([&] { return env.pinned("web-canary") == v2; }));
  EXPECT_EQ(env.pinned("web-stable"), v1);
  EXPECT_EQ(condition(env.rollout("web"), "Paused", "reason"), "PauseStep");

  env.annotate("web", kActionAnnotation, "promote@tester");
  ASSERT_EQ(env.wait_rollout("web",
                             [&](const kube::Object& o) {
                               return phase(o) == "Healthy" &&
                                      status_string(o, "stableHash") == v2 &&
                                      !o.annotation(kActionAnnotation).has_value();
                             }),
            "");
  EXPECT_TRUE(wait_for([&] { return env.pinned("web-stable") == v2; }));
  EXPECT_EQ(spec_replicas(env, kube::resources::kReplicaSets, "web-" + v1), 0);
  kube::Object done = env.rollout("web");
  bool by_tester = false;
  for (const json::Value& h : json::find(*done.status(), "history")->GetArray()) {
    by_tester |=
        json::get_string(h, "event") == "PromoteRequested" && json::get_string(h, "by") == "tester";
  }
  EXPECT_TRUE(by_tester) << done.dump();
  EXPECT_TRUE(wait_for([&] {
    auto reasons = event_reasons(env, "web");
    return std::find(reasons.begin(), reasons.end(), "Promoted") != reasons.end() &&
           std::find(reasons.begin(), reasons.end(), "StepCompleted") != reasons.end();
  }));
}

TEST(RolloutWiring, UnreadyCanaryIsAbortedAtTheProgressDeadline) {
  RolloutEnv env;
  StatusDriver driver(env);
  driver.set_unready("v2", true);
  env.create(kRollouts,
             rollout_json("api", 3, "v1", R"({"canary":{"steps":[{"setWeight":34},{"pause":{}}]}})",
                          R"("progressDeadlineSeconds":2)"));
  ASSERT_EQ(env.wait_rollout("api", [](const kube::Object& o) { return phase(o) == "Healthy"; }),
            "");
  ASSERT_TRUE(env.merge_patch(kRollouts, "api", image_patch("v2")).ok());
  std::string v2 = hash_of("api", "v2");
  ASSERT_EQ(env.wait_rollout(
                "api", [](const kube::Object& o) { return phase(o) == "Aborted"; }, seconds(20)),
            "");
  kube::Object r = env.rollout("api");
  EXPECT_EQ(json::get_string(*json::find(*r.status(), "abort"), "reason"),
            "ProgressDeadlineExceeded");
  EXPECT_EQ(condition(r, "Progressing", "status"), "False");
  EXPECT_EQ(condition(r, "Progressing", "reason"), "RolloutAborted");
  EXPECT_TRUE(wait_for(
      [&] { return spec_replicas(env, kube::resources::kReplicaSets, "api-" + v2) == 0; }));
  EXPECT_EQ(spec_replicas(env, kube::resources::kReplicaSets, "api-" + hash_of("api", "v1")), 3);
}

TEST(RolloutWiring, TakesOverADeploymentOnceAndHandsItBack) {
  RolloutEnv env;
  StatusDriver driver(env);
  env.create(kube::resources::kDeployments, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"shop"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"shop"}},
      "template":{"metadata":{"labels":{"app":"shop"}},
                  "spec":{"containers":[{"name":"app","image":"v1"}]}}}})");
  env.create(kube::resources::kServices, service_json("shop", "shop"));
  std::string ref_rollout = R"({"apiVersion":"berth.dev/v1alpha1","kind":"Rollout",
      "metadata":{"name":"NAME"},"spec":{"selector":{"matchLabels":{"app":"shop"}},
      "workloadRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"shop"},
      "strategy":{"blueGreen":{"activeService":"shop","scaleDownDelaySeconds":0}}}})";
  auto named = [&](std::string_view name) {
    std::string s = ref_rollout;
    s.replace(s.find("NAME"), 4, name);
    return s;
  };
  env.create(kRollouts, named("shop"));
  ASSERT_EQ(env.wait_rollout("shop", [](const kube::Object& o) { return phase(o) == "Healthy"; }),
            "");
  EXPECT_TRUE(
      wait_for([&] { return spec_replicas(env, kube::resources::kDeployments, "shop") == 0; }));
  kube::Object deployment = env.get(kube::resources::kDeployments, "shop");
  EXPECT_EQ(deployment.annotation(kManagedByAnnotation), "shop");
  EXPECT_EQ(deployment.annotation(kOriginalReplicasAnnotation), "3");
  // Its pods counted with the Rollout's until they were gone.
  ASSERT_EQ(env.wait_rollout("shop",
                             [](const kube::Object& o) {
                               return status_int(o, "readyReplicas") == 3 &&
                                      status_int(o, "replicas") == 3;
                             }),
            "");
  kube::Object rollout = env.rollout("shop");
  EXPECT_TRUE(rollout.has_finalizer(kFinalizer));
  std::string hash = status_string(rollout, "stableHash");
  EXPECT_EQ(env.pinned("shop"), hash);

  // A second Rollout of the same Deployment is refused, precisely.
  env.create(kRollouts, named("shop-two"));
  ASSERT_EQ(env.wait_rollout("shop-two",
                             [](const kube::Object& o) {
                               return condition(o, "InvalidSpec", "status") == "True";
                             }),
            "");
  EXPECT_EQ(condition(env.rollout("shop-two"), "InvalidSpec", "message"),
            "spec.workloadRef: Deployment shop is already managed by Rollout shop");
  EXPECT_EQ(phase(env.rollout("shop-two")), "Degraded");
  EXPECT_TRUE(wait_for([&] {
    auto reasons = event_reasons(env, "shop-two");
    return std::find(reasons.begin(), reasons.end(), "DeploymentManagedElsewhere") != reasons.end();
  }));
  // The first Rollout keeps the Deployment.
  EXPECT_EQ(env.get(kube::resources::kDeployments, "shop").annotation(kManagedByAnnotation),
            "shop");
  auto removed = env.client().remove(kRollouts, kNamespace, "shop-two");
  ASSERT_TRUE(removed.ok());

  // Deleting the Rollout gives the Deployment its pods back before it lets go.
  ASSERT_TRUE(env.client().remove(kRollouts, kNamespace, "shop").ok());
  EXPECT_TRUE(wait_for([&] { return !env.rollout("shop"); }, seconds(20)));
  deployment = env.get(kube::resources::kDeployments, "shop");
  EXPECT_EQ(json::get_int(*deployment.spec(), "replicas", -1), 3);
  EXPECT_EQ(json::get_int(*deployment.status(), "availableReplicas", -1), 3);
  EXPECT_FALSE(deployment.annotation(kManagedByAnnotation).has_value());
  EXPECT_FALSE(deployment.annotation(kOriginalReplicasAnnotation).has_value());
  EXPECT_EQ(env.pinned("shop"), std::nullopt);
}

TEST(RolloutWiring, HttpAnalysisPassesThenAbortsOnABadAnswer) {
  std::atomic<int> status_code{200};
  std::atomic<bool> healthy{true};
  std::atomic<int> requests{0};
  auto server = kube::http::Server::start(
      {.bind_address = "127.0.0.1:0"},
      [&](kube::http::Request&& request, kube::http::Responder responder) {
        requests++;
        if (request.path() != "/health") {
          responder.send(kube::http::Response::json(404, "{}"));
          return;
        }
        responder.send(kube::http::Response::json(
            status_code.load(), healthy ? R"({"status":"ok"})" : R"({"status":"bad"})"));
      });
  ASSERT_TRUE(server.ok());
  RolloutEnv env;
  StatusDriver driver(env);
  std::string strategy = R"({"canary":{"steps":[{"setWeight":50},{"pause":{"duration":"3s"}}],
      "analysis":{"checks":[{"name":"health","interval":"1s",
        "http":{"url":")" +
                         (*server)->url() + R"(/health","timeoutSeconds":2,
                "successCondition":{"jsonField":"status","equals":"ok"}}}]}}})";
  env.create(kRollouts, rollout_json("pay", 2, "v1", strategy));
  ASSERT_EQ(env.wait_rollout("pay", [](const kube::Object& o) { return phase(o) == "Healthy"; }),
            "");
  ASSERT_TRUE(env.merge_patch(kRollouts, "pay", image_patch("v2")).ok());
  std::string v2 = hash_of("pay", "v2");
  ASSERT_EQ(env.wait_rollout("pay",
                             [&](const kube::Object& o) {
                               return phase(o) == "Healthy" && status_string(o, "stableHash") == v2;
                             }),
            "");
  EXPECT_GE(requests.load(), 2);

  healthy = false;
  ASSERT_TRUE(env.merge_patch(kRollouts, "pay", image_patch("v3")).ok());
  ASSERT_EQ(env.wait_rollout("pay", [](const kube::Object& o) { return phase(o) == "Aborted"; }),
            "");
  kube::Object r = env.rollout("pay");
  std::string message(json::get_string(*json::find(*r.status(), "abort"), "message"));
  EXPECT_NE(message.find("HTTP 200: status = bad, want ok"), std::string::npos) << message;
  EXPECT_EQ(status_string(r, "stableHash"), v2);
  (*server)->stop();
}

TEST(RolloutWiring, ARestartedControllerCarriesOn) {
  RolloutEnv env;
  StatusDriver driver(env);
  env.create(kRollouts, rollout_json("cart", 4, "v1", R"({"canary":{"maxSurge":1,
      "steps":[{"setWeight":25},{"pause":{}},{"setWeight":75},{"pause":{}}]}})"));
  ASSERT_EQ(env.wait_rollout("cart", [](const kube::Object& o) { return phase(o) == "Healthy"; }),
            "");
  ASSERT_TRUE(env.merge_patch(kRollouts, "cart", image_patch("v2")).ok());
  ASSERT_EQ(env.wait_rollout("cart",
                             [](const kube::Object& o) {
                               return phase(o) == "Paused" &&
                                      status_int(o, "currentStepIndex") == 1;
                             }),
            "");
  env.stop_controller();
  env.start_controller();
  env.annotate("cart", kActionAnnotation, "promote@restart");
  ASSERT_EQ(env.wait_rollout("cart",
                             [](const kube::Object& o) {
                               return phase(o) == "Paused" &&
                                      status_int(o, "currentStepIndex") == 3;
                             }),
            "");
  std::string v2 = hash_of("cart", "v2");
  EXPECT_EQ(spec_replicas(env, kube::resources::kReplicaSets, "cart-" + v2), 3);
  auto rss = env.client().list(kube::resources::kReplicaSets, kNamespace,
                               {.label_selector = "berth.dev/rollout=cart"});
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(rss->items.size(), 2u);
}

}  // namespace
}  // namespace berth::rollout::testing
