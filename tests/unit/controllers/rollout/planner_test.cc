// Single planner decisions on hand-built states (planner_sim_test.cc drives whole rollouts).
#include "controllers/rollout/planner.h"

#include <gtest/gtest.h>

#include <list>

#include "controllers/rollout/template_hash.h"

namespace berth::rollout {
namespace {

namespace json = kube::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const kube::SystemTime kNow = kube::parse_time("2026-03-01T12:00:00Z").value();

// A Rollout "web" with image `image`, its spec parsed, and helpers to describe the world.
class Fixture {
 public:
  explicit Fixture(std::string_view strategy, int replicas = 4, std::string_view image = "v2") {
    std::string text = R"({"replicas":)" + std::to_string(replicas) +
                       R"(,"selector":{"matchLabels":{"app":"web"}},"template":)" +
                       template_json(image) + R"(,"strategy":)" + std::string(strategy) + "}";
    auto d = json::parse(text);
    EXPECT_TRUE(d.ok());
    auto s = parse_spec(*d, "web");
    EXPECT_TRUE(s.ok()) << s.error().message;
    spec = std::move(s).value();
    in.name = "web";
    in.spec = &spec;
    in.pod_template = &*spec.pod_template;
    in.replicas = replicas;
    in.generation = 3;
    in.now = kNow;
  }

  static std::string template_json(std::string_view image) {
    return R"({"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":")" +
           std::string(image) + R"("}]}})";
  }

  std::string hash_of(std::string_view image) {
    auto d = json::parse(template_json(image));
    templates.push_back(std::move(d).value());
    return template_hash(templates.back());
  }

  // A ReplicaSet of `image` at `replicas` with `available` available pods.
  // The reference is valid until the next rs() call.
  Workload& rs(std::string_view image, int revision, int replicas, int available) {
    std::string hash = hash_of(image);
    Workload w;
    w.name = "web-" + hash;
    w.hash = hash;
    w.revision = revision;
    w.replicas = replicas;
    w.pods = replicas;
    w.ready = available;
    w.available = available;
    w.pod_template = &templates.back();
    in.observed.replica_sets.push_back(w);
    in.observed.pods[hash].ready = available;
    in.observed.pods[hash].pods = replicas;
    return in.observed.replica_sets.back();
  }

  void service(const std::string& name, std::optional<std::string> pinned) {
    in.observed.services[name] = ServiceState{true, std::move(pinned)};
  }

  RolloutSpec spec;
  PlanInput in;
  std::list<json::Document> templates;
};

const PinService* pin_of(const Plan& p, std::string_view service) {
  for (const PinService& s : p.services) {
    if (s.service == service) return &s;
  }
  return nullptr;
}

const ScaleWorkload* scale_of(const Plan& p, std::string_view name) {
  for (const ScaleWorkload& s : p.scales) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(Planner, FirstRevisionIsCreatedAtFullSizeAndIsStableAtOnce) {
  Fixture f(R"({"canary":{"steps":[{"setWeight":50},{"pause":{}}]}})");
  Plan p = plan(f.in);
  ASSERT_EQ(p.creates.size(), 1u);
  EXPECT_EQ(p.creates[0].replicas, 4);
  EXPECT_EQ(p.creates[0].revision, 1);
  EXPECT_EQ(p.creates[0].name, "web-" + f.hash_of("v2"));
  EXPECT_EQ(p.status.stable_hash, f.hash_of("v2"));
  EXPECT_EQ(p.status.canary_hash, f.hash_of("v2"));
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
  EXPECT_EQ(p.status.observed_generation, 3);
  EXPECT_EQ(p.status.selector, "app=web");
  ASSERT_FALSE(p.status.history.empty());
  EXPECT_EQ(p.status.history.front().event, "NewRevision");
}

TEST(Planner, ActiveServiceWaitsForAFullyAvailableRevision) {
  // v2 was promoted, but its pods went unready before the switch was written: the active
  // Service stays on v1, which keeps serving whatever its scale-down delay says.
  Fixture f(R"({"blueGreen":{"activeService":"web","scaleDownDelaySeconds":0}})");
  std::string v1 = f.hash_of("v1");
  std::string v2 = f.hash_of("v2");
  f.rs("v1", 1, 4, 4);
  f.rs("v2", 2, 4, 1);
  f.service("web", v1);
  f.in.status.stable_hash = v2;
  f.in.status.canary_hash = v2;
  Plan p = plan(f.in);
  EXPECT_EQ(pin_of(p, "web"), nullptr);
  // v1 serves through the active Service: it is not scaled down, delay or not.
  EXPECT_EQ(scale_of(p, "web-" + v1), nullptr);
  EXPECT_NE(p.status.phase, Phase::kHealthy);

  f.in.observed.replica_sets[1].available = 4;
  f.in.observed.replica_sets[1].ready = 4;
  p = plan(f.in);
  ASSERT_NE(pin_of(p, "web"), nullptr);
  EXPECT_EQ(pin_of(p, "web")->hash, v2);
}

TEST(Planner, CanaryServiceMovesOnlyWhenTheCanaryHasItsPods) {
  Fixture f(R"({"canary":{"maxSurge":2,"canaryService":"c","stableService":"s",
                          "steps":[{"setWeight":50},{"pause":{}}]}})");
  std::string v1 = f.hash_of("v1");
  std::string v2 = f.hash_of("v2");
  f.rs("v1", 1, 4, 4);
  f.rs("v2", 2, 2, 1);
  f.service("c", v1);
  f.service("s", v1);
  f.in.status.stable_hash = v1;
  f.in.status.canary_hash = v2;
  Plan p = plan(f.in);
  EXPECT_EQ(pin_of(p, "c"), nullptr) << "1 of 2 canary pods available";
  EXPECT_EQ(pin_of(p, "s"), nullptr);
  f.in.observed.replica_sets[1].available = 2;
  p = plan(f.in);
  ASSERT_NE(pin_of(p, "c"), nullptr);
  EXPECT_EQ(pin_of(p, "c")->hash, v2);
  EXPECT_EQ(pin_of(p, "s"), nullptr);
  // With both canary pods available, the stable revision gives back two pods (no surge left).
  ASSERT_NE(scale_of(p, "web-" + v1), nullptr);
  EXPECT_EQ(scale_of(p, "web-" + v1)->to, 2);
}

TEST(Planner, StaleStatusShrinksNothingThatServes) {
  Fixture f(R"({"canary":{"maxSurge":0,"maxUnavailable":1,"steps":[{"setWeight":50}]}})");
  std::string v1 = f.hash_of("v1");
  std::string v2 = f.hash_of("v2");
  f.rs("v1", 1, 4, 4);
  f.rs("v2", 2, 1, 1);
  f.in.status.stable_hash = v1;
  f.in.status.canary_hash = v2;
  Plan p = plan(f.in);
  // 5 available, floor 3: the stable revision may give back two pods.
  ASSERT_NE(scale_of(p, "web-" + v1), nullptr);
  EXPECT_EQ(scale_of(p, "web-" + v1)->to, 2);
  // The same counts from a status that predates the last scale change prove nothing.
  f.in.observed.replica_sets[0].status_current = false;
  p = plan(f.in);
  EXPECT_EQ(scale_of(p, "web-" + v1), nullptr);
}

TEST(Planner, PauseWakesAtItsEndAndAnalysisAtItsNextMeasurement) {
  Fixture f(R"({"canary":{"steps":[{"setWeight":25},{"pause":{"duration":"90s"}},
      {"analysis":{"checks":[{"name":"r","podReadiness":{},"interval":"7s","count":2}]}}]}})");
  std::string v1 = f.hash_of("v1");
  std::string v2 = f.hash_of("v2");
  f.rs("v1", 1, 3, 3);
  f.rs("v2", 2, 1, 1);
  f.in.status.stable_hash = v1;
  f.in.status.canary_hash = v2;
  f.in.status.current_step_index = 1;
  f.in.status.step_started = kNow - seconds(30);
  Plan p = plan(f.in);
  EXPECT_EQ(p.status.phase, Phase::kPaused);
  EXPECT_EQ(p.requeue_after, milliseconds(60'000));
  EXPECT_EQ(find_condition(p.status.conditions, "Paused")->reason, "PauseStep");

  f.in.status.step_started = kNow - seconds(90);
  p = plan(f.in);
  EXPECT_EQ(p.status.current_step_index, 2);
  ASSERT_EQ(p.status.analysis_runs.size(), 1u);
  EXPECT_EQ(p.status.analysis_runs[0].name, "step-2");
  EXPECT_EQ(p.requeue_after, milliseconds(7'000));
  EXPECT_EQ(p.status.phase, Phase::kProgressing);
}

TEST(Planner, AnAppliedActionIsNotAppliedTwice) {
  Fixture f(R"({"canary":{"steps":[{"setWeight":25},{"pause":{}},{"pause":{}}]}})");
  std::string v1 = f.hash_of("v1");
  std::string v2 = f.hash_of("v2");
  f.rs("v1", 1, 3, 3);
  f.rs("v2", 2, 1, 1);
  f.in.status.stable_hash = v1;
  f.in.status.canary_hash = v2;
  f.in.status.current_step_index = 1;
  f.in.action = "promote@bob";
  Plan p = plan(f.in);
  EXPECT_EQ(p.status.current_step_index, 2);
  EXPECT_EQ(p.status.action_ack, "promote@bob");
  // The status was written; the annotation is still there (its removal comes next).
  f.in.status = p.status;
  p = plan(f.in);
  EXPECT_EQ(p.status.current_step_index, 2);
  f.in.action.reset();
  p = plan(f.in);
  EXPECT_EQ(p.status.action_ack, "");
}

TEST(Planner, RollbackWritesTheTemplateUntilItLands) {
  Fixture f(R"({"canary":{"steps":[{"setWeight":50},{"pause":{}}]}})", 2, "v3");
  std::string v1 = f.hash_of("v1");
  std::string v2 = f.hash_of("v2");
  std::string v3 = f.hash_of("v3");
  f.rs("v1", 1, 0, 0);
  f.rs("v2", 2, 2, 2);
  f.in.status.stable_hash = v2;
  f.in.status.canary_hash = v2;
  f.in.action = "rollback:1@carol";
  Plan p = plan(f.in);
  ASSERT_TRUE(p.rollback_template.has_value());
  EXPECT_EQ(template_hash(*p.rollback_template), v1);
  ASSERT_TRUE(p.status.pending_rollback.has_value());
  EXPECT_EQ(p.status.pending_rollback->revision, 1);
  EXPECT_EQ(p.status.history.back().event, "RollbackRequested");
  EXPECT_EQ(p.status.history.back().by, "carol");
  // The template write failed: the next plan asks for it again.
  f.in.status = p.status;
  p = plan(f.in);
  EXPECT_TRUE(p.rollback_template.has_value());
  (void)v3;
}

TEST(Planner, OldRevisionsBeyondTheHistoryLimitAreDeleted) {
  Fixture f(R"({"canary":{}})", 2, "v5");
  std::string v5 = f.hash_of("v5");
  for (int i = 1; i <= 4; ++i)
    f.rs("v" + std::to_string(i), i, 0, 0);
  f.rs("v5", 5, 2, 2);
  f.in.status.stable_hash = v5;
  f.in.status.canary_hash = v5;
  std::string text =
      R"({"replicas":2,"revisionHistoryLimit":2,"selector":{"matchLabels":{"app":"web"}},"template":)" +
      Fixture::template_json("v5") + "}";
  auto d = json::parse(text);
  f.spec = std::move(parse_spec(*d, "web")).value();
  f.in.pod_template = &*f.spec.pod_template;
  Plan p = plan(f.in);
  ASSERT_EQ(p.deletes.size(), 2u);
  EXPECT_EQ(p.deletes[0], "web-" + f.hash_of("v2"));
  EXPECT_EQ(p.deletes[1], "web-" + f.hash_of("v1"));
  EXPECT_EQ(p.status.phase, Phase::kHealthy);
}

TEST(Planner, DeletionWithoutADeploymentReleasesAtOnce) {
  Fixture f(R"({"canary":{}})");
  f.in.deletion = kNow;
  Plan p = plan(f.in);
  EXPECT_TRUE(p.release);
  EXPECT_TRUE(p.scales.empty());
}

TEST(Planner, DeletionRestoresTheDeploymentBeforeUnpinning) {
  Fixture f(R"({"blueGreen":{"activeService":"web"}})");
  std::string v2 = f.hash_of("v2");
  f.rs("v2", 1, 4, 4);
  Workload d;
  d.kind = Workload::Kind::kDeployment;
  d.name = "web";
  f.in.observed.deployment = d;
  f.service("web", v2);
  f.in.status.stable_hash = v2;
  f.in.status.canary_hash = v2;
  f.in.deletion = kNow - seconds(5);
  Plan p = plan(f.in);
  ASSERT_NE(scale_of(p, "web"), nullptr);
  EXPECT_EQ(scale_of(p, "web")->kind, Workload::Kind::kDeployment);
  EXPECT_EQ(scale_of(p, "web")->to, 4);
  EXPECT_FALSE(p.release);
  EXPECT_EQ(pin_of(p, "web"), nullptr);

  f.in.observed.deployment->replicas = 4;
  f.in.observed.deployment->available = 4;
  p = plan(f.in);
  EXPECT_TRUE(p.release);
  ASSERT_NE(pin_of(p, "web"), nullptr);
  EXPECT_EQ(pin_of(p, "web")->hash, "");
}

TEST(Planner, InvalidSpecStatusKeepsEverythingElse) {
  RolloutStatus s;
  s.stable_hash = "abc";
  RolloutStatus out = invalid_spec_status(s, 9, "spec.x: Invalid value", kNow);
  EXPECT_EQ(out.phase, Phase::kDegraded);
  EXPECT_EQ(out.stable_hash, "abc");
  EXPECT_EQ(out.observed_generation, 9);
  EXPECT_EQ(find_condition(out.conditions, "InvalidSpec")->message, "spec.x: Invalid value");
}

}  // namespace
}  // namespace berth::rollout
