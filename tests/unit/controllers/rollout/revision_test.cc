#include <gtest/gtest.h>

#include <set>

#include "controllers/rollout/action.h"
#include "controllers/rollout/status.h"
#include "controllers/rollout/template_hash.h"

namespace berth::rollout {
namespace {

namespace json = kube::json;

json::Document doc(std::string_view text) {
  auto d = json::parse(text);
  EXPECT_TRUE(d.ok()) << text;
  return std::move(d).value();
}

TEST(TemplateHash, IgnoresMemberOrderAndControllerLabels) {
  json::Document a = doc(R"({"metadata":{"labels":{"app":"web","tier":"fe"}},
                             "spec":{"containers":[{"name":"c","image":"i:1"}]}})");
  json::Document b = doc(R"({"spec":{"containers":[{"image":"i:1","name":"c"}]},
                             "metadata":{"creationTimestamp":null,
                                         "labels":{"tier":"fe","app":"web",
                                                   "berth.dev/pod-template-hash":"x",
                                                   "berth.dev/rollout":"web"}}})");
  EXPECT_EQ(template_hash(a), template_hash(b));
  EXPECT_EQ(template_hash(a).size(), 10u);
  for (char c : template_hash(a)) {
    EXPECT_NE(std::string_view("bcdfghjklmnpqrstvwxz2456789").find(c), std::string_view::npos);
  }
}

TEST(TemplateHash, ChangesWithAnyField) {
  std::set<std::string> seen;
  for (std::string_view t :
       {R"({"spec":{"containers":[{"name":"c","image":"i:1"}]}})",
        R"({"spec":{"containers":[{"name":"c","image":"i:2"}]}})",
        R"({"spec":{"containers":[{"name":"c","image":"i:1","args":["a"]}]}})",
        R"({"spec":{"containers":[{"name":"c","image":"i:1"}],"nodeName":"n"}})",
        R"({"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}})",
        R"({"spec":{"containers":[{"name":"d","image":"i:1"},{"name":"c","image":"i:1"}]}})",
        R"({"spec":{"containers":[{"name":"c","image":"i:1"},{"name":"d","image":"i:1"}]}})"}) {
    json::Document d = doc(t);
    EXPECT_TRUE(seen.insert(template_hash(d)).second) << t;
  }
}

TEST(TemplateHash, CanonicalJsonSortsDeeplyAndHandlesDeepInput) {
  json::Document d = doc(R"({"b":[{"y":1,"x":[true,null]}],"a":"\u003c"})");
  EXPECT_EQ(canonical_json(d), R"({"a":"\u003c","b":[{"x":[true,null],"y":1}]})");
  std::string deep;
  for (int i = 0; i < 200; ++i)
    deep += "[";
  for (int i = 0; i < 200; ++i)
    deep += "]";
  json::Document dd = doc(deep);
  EXPECT_EQ(canonical_json(dd), deep);
}

TEST(RolloutStatus, RoundTripsThroughJson) {
  RolloutStatus s;
  kube::SystemTime t = kube::parse_time("2026-11-25T04:02:28.123456Z").value();
  s.observed_generation = 7;
  s.phase = Phase::kPaused;
  s.message = "paused";
  s.stable_hash = "aaaa";
  s.canary_hash = "bbbb";
  s.current_step_index = 2;
  s.step_started = t;
  s.last_progress = t;
  s.replicas = 11;
  s.ready_replicas = 10;
  s.available_replicas = 9;
  s.updated_replicas = 2;
  s.updated_available_replicas = 1;
  s.stable_available_replicas = 8;
  s.selector = "app=web";
  s.abort = AbortInfo{"bbbb", "AnalysisFailed", "check x failed", t};
  s.promote_full_hash = "cccc";
  s.promoted_hash = "dddd";
  s.pending_rollback = PendingRollback{3, "eeee"};
  s.action_ack = "promote@me";
  s.degraded_since = t;
  AnalysisRun run;
  run.name = "step-2";
  run.revision = "bbbb";
  run.phase = RunPhase::kFailed;
  run.started = t;
  run.message = "m";
  run.checks.push_back({"health", 3, 1, 2, t, "HTTP 500"});
  s.analysis_runs.push_back(run);
  s.history.push_back({4, "bbbb", "NewRevision", "image bump", "ci", t});
  s.scale_down_deadlines.push_back({"ReplicaSet/web-aaaa", t});
  set_condition(s.conditions, "Available", "True", "MinimumReplicasAvailable", "ok",
                kube::parse_time("2026-11-25T04:02:28Z").value(), 7);

  json::Document j = s.to_json();
  RolloutStatus back = RolloutStatus::from_json(&j);
  EXPECT_TRUE(same_status(s, back)) << json::dump(j) << "\n" << json::dump(back.to_json());
  EXPECT_EQ(back.analysis_runs.at(0).checks.at(0).failures, 2);
  EXPECT_EQ(back.abort->reason, "AnalysisFailed");
  EXPECT_EQ(back.pending_rollback->revision, 3);
  EXPECT_EQ(back.phase, Phase::kPaused);
}

TEST(RolloutStatus, ToleratesGarbage) {
  json::Document j = doc(R"({"phase":5,"currentStepIndex":"x","replicas":-4,
    "analysisRuns":[1,{"checks":"no"},{"name":"r","checks":[{"name":"c","failures":"2"}]}],
    "conditions":{"a":1},"history":[null]})");
  RolloutStatus s = RolloutStatus::from_json(&j);
  EXPECT_EQ(s.phase, Phase::kProgressing);
  EXPECT_EQ(s.current_step_index, 0);
  EXPECT_EQ(s.replicas, 0);
  ASSERT_EQ(s.analysis_runs.size(), 1u);
  EXPECT_EQ(s.analysis_runs[0].checks.at(0).failures, 0);
  EXPECT_TRUE(s.conditions.empty());
  EXPECT_TRUE(RolloutStatus::from_json(nullptr).history.empty());
}

TEST(Conditions, TransitionTimeMovesOnlyOnStatusChange) {
  std::vector<Condition> c;
  kube::SystemTime t1 = kube::parse_time("2026-01-01T00:00:00Z").value();
  kube::SystemTime t2 = t1 + std::chrono::hours(1);
  set_condition(c, "Available", "True", "A", "m1", t1, 1);
  set_condition(c, "Available", "True", "B", "m2", t2, 2);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].last_transition, t1);
  EXPECT_EQ(c[0].reason, "B");
  set_condition(c, "Available", "False", "C", "m3", t2, 2);
  EXPECT_EQ(c[0].last_transition, t2);
  EXPECT_EQ(find_condition(c, "Available")->message, "m3");
  EXPECT_EQ(find_condition(c, "Paused"), nullptr);
}

TEST(Action, ParsesEveryForm) {
  auto a = parse_action("promote");
  ASSERT_TRUE(a.action);
  EXPECT_EQ(a.action->kind, Action::Kind::kPromote);
  EXPECT_EQ(a.action->requester, "");

  a = parse_action(" Rollback:3 @ alice@example.com ");
  ASSERT_TRUE(a.action) << a.error;
  EXPECT_EQ(a.action->kind, Action::Kind::kRollback);
  EXPECT_EQ(a.action->revision, 3);
  EXPECT_EQ(a.action->requester, "alice@example.com");

  a = parse_action("promote-full@ci");
  ASSERT_TRUE(a.action);
  EXPECT_EQ(a.action->kind, Action::Kind::kPromoteFull);
  EXPECT_EQ(parse_action("abort").action->kind, Action::Kind::kAbort);
  EXPECT_EQ(parse_action("retry").action->kind, Action::Kind::kRetry);
  EXPECT_FALSE(parse_action("rollback").action->revision.has_value());
}

TEST(Action, RejectsWithAReason) {
  EXPECT_EQ(parse_action("pause").error,
            "unknown action \"pause\"; expected promote, promote-full, abort, retry or "
            "rollback[:<revision>]");
  EXPECT_EQ(parse_action("abort:1").error, "abort takes no argument");
  EXPECT_EQ(parse_action("rollback:x").error,
            "rollback needs a positive revision number, got \"x\"");
  EXPECT_EQ(parse_action("rollback:0").error,
            "rollback needs a positive revision number, got \"0\"");
  EXPECT_FALSE(parse_action("").action.has_value());
}

}  // namespace
}  // namespace berth::rollout
