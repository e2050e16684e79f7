#include "controllers/rollout/analysis.h"

#include <gtest/gtest.h>

namespace berth::rollout {
namespace {

namespace json = kube::json;
using std::chrono::seconds;

RolloutSpec spec_from(std::string_view strategy) {
  std::string text = R"({"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c"}]}},
    "strategy":)" + std::string(strategy) +
                     "}";
  auto d = json::parse(text);
  EXPECT_TRUE(d.ok());
  auto s = parse_spec(*d, "web");
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s).value();
}

const kube::SystemTime kT0 = kube::parse_time("2026-01-01T00:00:00Z").value();

TEST(Analysis, StepRunPassesAfterCountMeasurements) {
  RolloutSpec spec = spec_from(R"({"canary":{"steps":[{"setWeight":10},{"analysis":{"checks":[
      {"name":"ready","podReadiness":{},"interval":"10s","count":3,"failureLimit":1}]}}]}})");
  const AnalysisSpec& a = spec.canary.steps[1].analysis;
  RolloutStatus status;
  status.canary_hash = "h";
  status.current_step_index = 1;
  status.analysis_runs.push_back(start_run(step_run_name(1), "h", a, kT0));

  // Nothing is due before the first interval has passed.
  EXPECT_TRUE(due_measurements(spec, status, kT0 + seconds(9)).empty());
  auto due = due_measurements(spec, status, kT0 + seconds(10));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].check->name, "ready");

  AnalysisRun& run = status.analysis_runs[0];
  RevisionPods pods;
  pods.ready = 2;
  record_measurement(run, a, measure_pods(due[0], pods, 3), kT0 + seconds(10));
  EXPECT_EQ(run.phase, RunPhase::kRunning);  // one failure is within failureLimit 1
  EXPECT_EQ(run.checks[0].message, "2/3 pods ready");
  EXPECT_EQ(next_measurement(run, a), kT0 + seconds(20));
  EXPECT_TRUE(due_measurements(spec, status, kT0 + seconds(19)).empty());
  pods.ready = 3;
  record_measurement(run, a, measure_pods(due[0], pods, 3), kT0 + seconds(20));
  EXPECT_EQ(run.phase, RunPhase::kRunning);
  record_measurement(run, a, measure_pods(due[0], pods, 3), kT0 + seconds(30));
  EXPECT_EQ(run.phase, RunPhase::kSuccessful);
  EXPECT_EQ(run.checks[0].successes, 2);
  EXPECT_EQ(run.checks[0].failures, 1);
  EXPECT_FALSE(next_measurement(run, a).has_value());
  EXPECT_TRUE(due_measurements(spec, status, kT0 + seconds(100)).empty());
}

TEST(Analysis, FailsOnceFailuresExceedTheLimit) {
  RolloutSpec spec = spec_from(R"({"canary":{"analysis":{"checks":[
      {"name":"restarts","restarts":{"maxRestarts":2}}]}}})");
  const AnalysisSpec& a = *spec.canary.analysis;
  AnalysisRun run = start_run(std::string(kBackgroundRun), "h", a, kT0);
  MeasurementRequest req{run.name, "h", &a.checks[0]};
  RevisionPods pods;
  pods.max_restarts = 2;
  pods.max_restarts_pod = "p1";
  Measurement ok = measure_pods(req, pods, 1);
  EXPECT_TRUE(ok.success);
  // A background run never completes on its own.
  for (int i = 0; i < 20; ++i)
    record_measurement(run, a, ok, kT0 + seconds(10 * (i + 1)));
  EXPECT_EQ(run.phase, RunPhase::kRunning);
  pods.crash_looping_pod = "p2";
  Measurement bad = measure_pods(req, pods, 1);
  EXPECT_FALSE(bad.success);
  EXPECT_EQ(bad.message, "pod p2 is in CrashLoopBackOff");
  record_measurement(run, a, bad, kT0 + seconds(300));
  EXPECT_EQ(run.phase, RunPhase::kFailed);
  EXPECT_EQ(run.message,
            "check restarts failed 1 time(s) (limit 0): pod p2 is in CrashLoopBackOff");
  pods.crash_looping_pod.clear();
  pods.max_restarts = 3;
  EXPECT_EQ(measure_pods(req, pods, 1).message, "pod p1 restarted 3 times (limit 2)");
}

TEST(Analysis, OnlyTheCurrentStepsRunIsMeasured) {
  RolloutSpec spec = spec_from(R"({"canary":{"steps":[{"analysis":{"checks":[
      {"name":"r","podReadiness":{}}]}},{"pause":{}}]}})");
  RolloutStatus status;
  status.canary_hash = "h";
  status.current_step_index = 1;  // moved on (promoted past the analysis)
  status.analysis_runs.push_back(
      start_run(step_run_name(0), "h", spec.canary.steps[0].analysis, kT0));
  EXPECT_TRUE(due_measurements(spec, status, kT0 + seconds(60)).empty());
  status.current_step_index = 0;
  EXPECT_EQ(due_measurements(spec, status, kT0 + seconds(60)).size(), 1u);
  status.canary_hash = "other";  // a run of another revision is never measured
  EXPECT_TRUE(due_measurements(spec, status, kT0 + seconds(60)).empty());
}

TEST(Analysis, JudgesHttpAnswers) {
  RolloutSpec spec = spec_from(R"({"canary":{"analysis":{"checks":[
      {"name":"a","http":{"url":"http://x/h"}},
      {"name":"b","http":{"url":"http://x/h","successCondition":{"statusCodes":[200,503],
                                                                  "jsonField":"checks.0.status",
                                                                  "equals":"ok"}}},
      {"name":"c","http":{"url":"http://x/h","successCondition":{"jsonField":"errorRate",
                                                                  "lessThan":0.01}}},
      {"name":"d","http":{"url":"http://x/h","successCondition":{"jsonField":"ok",
                                                                  "equals":true}}}]}}})");
  const auto& checks = spec.canary.analysis->checks;
  auto req = [&](int i) { return MeasurementRequest{"background", "h", &checks[i]}; };

  EXPECT_TRUE(judge_http(req(0), 204, "").success);
  Measurement m = judge_http(req(0), 500, "boom");
  EXPECT_FALSE(m.success);
  EXPECT_EQ(m.message, "HTTP 500 is not an accepted status code");

  EXPECT_TRUE(judge_http(req(1), 503, R"({"checks":[{"status":"ok"}]})").success);
  m = judge_http(req(1), 200, R"({"checks":[{"status":"degraded"}]})");
  EXPECT_FALSE(m.success);
  EXPECT_EQ(m.message, "HTTP 200: checks.0.status = degraded, want ok");
  m = judge_http(req(1), 200, R"({"checks":[]})");
  EXPECT_EQ(m.message, "HTTP 200: field checks.0.status not found in the body");
  EXPECT_FALSE(judge_http(req(1), 204, R"({"checks":[{"status":"ok"}]})").success);
  m = judge_http(req(1), 200, "<html>");
  EXPECT_FALSE(m.success);
  EXPECT_TRUE(m.message.starts_with("HTTP 200: body is not JSON")) << m.message;

  EXPECT_TRUE(judge_http(req(2), 200, R"({"errorRate":0.001})").success);
  EXPECT_TRUE(judge_http(req(2), 200, R"({"errorRate":"0.001"})").success);
  m = judge_http(req(2), 200, R"({"errorRate":0.5})");
  EXPECT_EQ(m.message, "HTTP 200: errorRate = 0.5, want < 0.01");
  EXPECT_FALSE(judge_http(req(2), 200, R"({"errorRate":"high"})").success);

  EXPECT_TRUE(judge_http(req(3), 200, R"({"ok":true})").success);
  EXPECT_FALSE(judge_http(req(3), 200, R"({"ok":"yes"})").success);

  Measurement f = http_failure(req(0), kube::Error::transport("connection refused"));
  EXPECT_FALSE(f.success);
  EXPECT_EQ(f.message, "GET http://x/h: connection refused");
}

}  // namespace
}  // namespace berth::rollout
