#include "controllers/rollout/spec.h"

#include <gtest/gtest.h>

#include <string>

#include "controllers/rollout/duration.h"

namespace berth::rollout {
namespace {

namespace json = kube::json;

json::Document doc(std::string_view text) {
  auto d = json::parse(text);
  EXPECT_TRUE(d.ok()) << text;
  return std::move(d).value();
}

constexpr std::string_view kTemplate =
    R"({"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}})";

std::string spec_with(std::string_view extra) {
  std::string s =
      R"({"selector":{"matchLabels":{"app":"web"}},"template":)" + std::string(kTemplate);
  if (!extra.empty()) s += "," + std::string(extra);
  return s + "}";
}

// The one error message for `spec_json`, or "<valid>".
std::string error_of(std::string_view spec_json) {
  json::Document d = doc(spec_json);
  auto r = parse_spec(d, "web");
  if (r.ok()) return "<valid>";
  EXPECT_EQ(r.error().code, 422);
  EXPECT_EQ(r.error().reason, kube::Reason::kInvalid);
  return r.error().message;
}

TEST(RolloutSpec, DefaultsForAMinimalCanary) {
  json::Document d = doc(spec_with(""));
  auto r = parse_spec(d, "web");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->replicas.has_value());
  EXPECT_TRUE(r->is_canary());
  EXPECT_EQ(r->revision_history_limit, 10);
  EXPECT_EQ(r->progress_deadline_seconds, 600);
  EXPECT_EQ(r->min_ready_seconds, 0);
  EXPECT_TRUE(r->canary.steps.empty());
  // 25% surge rounds up, no unavailability by default.
  EXPECT_EQ(r->max_surge(10), 3);
  EXPECT_EQ(r->max_unavailable(10), 0);
  EXPECT_EQ(r->selector.to_string(), "app=web");
  ASSERT_TRUE(r->pod_template.has_value());
}

TEST(RolloutSpec, ParsesAFullCanary) {
  json::Document d = doc(spec_with(R"(
    "replicas": 10, "minReadySeconds": 5, "revisionHistoryLimit": 3,
    "progressDeadlineSeconds": 120, "paused": true,
    "strategy": {"canary": {
      "maxSurge": 2, "maxUnavailable": "10%",
      "stableService": "web-stable", "canaryService": "web-canary",
      "steps": [{"setWeight": 20}, {"pause": {"duration": "1m30s"}}, {"pause": {}},
                {"analysis": {"checks": [{"name": "ready", "podReadiness": {}, "count": 3,
                                          "interval": 5}]}},
                {"setWeight": 100}],
      "analysis": {"checks": [
        {"name": "restarts", "restarts": {"maxRestarts": 1}},
        {"name": "health", "interval": "30s", "count": 4, "failureLimit": 1,
         "http": {"url": "http://web-canary:8080/health", "timeoutSeconds": 2,
                  "headers": [{"name": "X-Probe", "value": "berth"}],
                  "successCondition": {"statusCodes": [200, 204], "jsonField": "status",
                                       "equals": "ok"}}}]}}})"));
  auto r = parse_spec(d, "web");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->replicas, 10);
  EXPECT_TRUE(r->paused);
  EXPECT_EQ(r->max_surge(10), 2);
  EXPECT_EQ(r->max_unavailable(10), 1);
  EXPECT_EQ(r->max_unavailable(19), 1);  // 10% of 19 rounds down
  ASSERT_EQ(r->canary.steps.size(), 5u);
  EXPECT_EQ(r->canary.steps[0].describe(), "setWeight 20");
  EXPECT_EQ(r->canary.steps[1].describe(), "pause 1m30s");
  EXPECT_EQ(r->canary.steps[2].describe(), "pause");
  EXPECT_EQ(r->canary.steps[3].analysis.checks[0].interval, std::chrono::seconds(5));
  EXPECT_EQ(r->canary.steps[3].analysis.checks[0].count, 3);
  ASSERT_TRUE(r->canary.analysis.has_value());
  const AnalysisCheck& health = r->canary.analysis->checks[1];
  EXPECT_EQ(health.kind, AnalysisCheck::Kind::kHttp);
  EXPECT_EQ(health.failure_limit, 1);
  EXPECT_EQ(health.http.timeout, std::chrono::seconds(2));
  EXPECT_EQ(health.http.status_codes, (std::vector<int>{200, 204}));
  EXPECT_EQ(health.http.equals, "ok");
  ASSERT_EQ(health.http.headers.size(), 1u);
  EXPECT_EQ(r->canary.analysis->checks[0].max_restarts, 1);
}

TEST(RolloutSpec, ParsesBlueGreenWithAWorkloadRef) {
  json::Document d = doc(R"({"selector":{"matchLabels":{"app":"web"}},
    "workloadRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
    "strategy":{"blueGreen":{"activeService":"web","previewService":"web-preview",
                             "autoPromotion":false,"scaleDownDelaySeconds":10}}})");
  auto r = parse_spec(d, "web");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->is_canary());
  ASSERT_TRUE(r->workload_ref.has_value());
  EXPECT_EQ(r->workload_ref->name, "web");
  EXPECT_FALSE(r->blue_green.auto_promotion);
  EXPECT_EQ(r->blue_green.scale_down_delay_seconds, 10);
  // Blue-green keeps the active revision whole and lets the preview double the pods.
  EXPECT_EQ(r->max_unavailable(4), 0);
  EXPECT_EQ(r->max_surge(4), 4);
}

TEST(RolloutSpec, RejectsWeightsOutOfRange) {
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"canary":{"steps":[{"setWeight":120}]}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.steps[0].setWeight: "
            "Invalid value: 120: must be between 0 and 100");
  EXPECT_EQ(
      error_of(spec_with(R"("strategy":{"canary":{"steps":[{"pause":{}},{"setWeight":-1}]}})")),
      "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.steps[1].setWeight: "
      "Invalid value: -1: must be between 0 and 100");
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"canary":{"steps":[{"setWeight":12.5}]}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.steps[0].setWeight: "
            "Invalid value: 12.5: must be an integer");
}

TEST(RolloutSpec, RejectsBothTemplateAndWorkloadRef) {
  EXPECT_EQ(error_of(spec_with(R"("workloadRef":{"name":"web"})")),
            "Rollout.berth.dev \"web\" is invalid: spec.workloadRef: Forbidden: may not be set "
            "together with spec.template; set exactly one");
  EXPECT_EQ(error_of(R"({"selector":{"matchLabels":{"app":"web"}}})"),
            "Rollout.berth.dev \"web\" is invalid: spec.template: Required value: set exactly "
            "one of spec.template and spec.workloadRef");
}

TEST(RolloutSpec, RejectsAMissingOrEmptySelector) {
  std::string no_selector = R"({"template":)" + std::string(kTemplate) + "}";
  EXPECT_EQ(error_of(no_selector),
            "Rollout.berth.dev \"web\" is invalid: spec.selector: Required value");
  std::string empty = R"({"selector":{},"template":)" + std::string(kTemplate) + "}";
  EXPECT_EQ(error_of(empty),
            "Rollout.berth.dev \"web\" is invalid: spec.selector: Invalid value: {}: empty "
            "selector is invalid for a Rollout");
}

TEST(RolloutSpec, RejectsASelectorThatMissesTheTemplate) {
  std::string s =
      R"({"selector":{"matchLabels":{"app":"api"}},"template":)" + std::string(kTemplate) + "}";
  EXPECT_EQ(error_of(s),
            "Rollout.berth.dev \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
            "{\"app\":\"web\"}: `selector` does not match template `labels`");
}

TEST(RolloutSpec, CollectsEveryProblemWithItsCause) {
  json::Document d = doc(R"({"replicas":-1,"selector":{"matchLabels":{"app":"web"}},
    "workloadRef":{"kind":"StatefulSet","name":"Web_1"},
    "strategy":{"canary":{"maxSurge":0,"maxUnavailable":0,"stableService":"Web"}}})");
  auto r = parse_spec(d, "web");
  ASSERT_FALSE(r.ok());
  const kube::Error& e = r.error();
  ASSERT_EQ(e.causes.size(), 5u) << e.message;
  EXPECT_EQ(e.causes[0].field, "spec.replicas");
  EXPECT_EQ(e.causes[0].reason, "FieldValueInvalid");
  EXPECT_EQ(e.causes[0].message, "Invalid value: -1: must be greater than or equal to 0");
  EXPECT_EQ(e.causes[1].field, "spec.workloadRef.kind");
  EXPECT_EQ(e.causes[1].reason, "FieldValueNotSupported");
  EXPECT_EQ(e.causes[1].message,
            "Unsupported value: \"StatefulSet\": supported values: \"Deployment\"");
  EXPECT_EQ(e.causes[2].field, "spec.workloadRef.name");
  EXPECT_EQ(e.causes[3].field, "spec.strategy.canary.maxUnavailable");
  EXPECT_EQ(e.causes[3].message, "Invalid value: 0: may not be 0 when maxSurge is 0");
  EXPECT_EQ(e.causes[4].field, "spec.strategy.canary.stableService");
  EXPECT_EQ(e.name, "web");
  EXPECT_EQ(e.kind, "Rollout");
  EXPECT_TRUE(e.message.starts_with("Rollout.berth.dev \"web\" is invalid: [spec.replicas: "))
      << e.message;
}

TEST(RolloutSpec, RejectsBadIntOrPercent) {
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"canary":{"maxSurge":"5"}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.maxSurge: Invalid value: "
            "\"5\": must be a non-negative integer or a percentage between 0% and 100% (e.g. 1 "
            "or \"25%\")");
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"canary":{"maxUnavailable":"120%"}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.maxUnavailable: Invalid "
            "value: \"120%\": must be a non-negative integer or a percentage between 0% and 100% "
            "(e.g. 1 or \"25%\")");
}

TEST(RolloutSpec, StepsNeedExactlyOneKind) {
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"canary":{"steps":[{}]}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.steps[0]: Invalid value: "
            "{}: must set one of setWeight, pause or analysis");
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"canary":{"steps":[{"setWeight":5,"pause":{}}]}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.steps[0]: Invalid value: "
            "{\"setWeight\":5,\"pause\":{}}: must set only one of setWeight, pause or analysis");
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"canary":{"steps":[{"pause":{"duration":"5x"}}]}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.steps[0].pause.duration: "
            "Invalid value: \"5x\": must be a duration such as \"30s\", \"5m\" or \"1h30m\" "
            "(units ms, s, m, h), or a number of seconds");
}

TEST(RolloutSpec, ValidatesAnalysisChecks) {
  auto with_checks = [](std::string_view checks) {
    return spec_with(R"("strategy":{"canary":{"analysis":{"checks":)" + std::string(checks) +
                     "}}}");
  };
  EXPECT_EQ(error_of(with_checks("[]")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.analysis.checks: Invalid "
            "value: []: must be a non-empty array");
  EXPECT_EQ(error_of(with_checks(R"([{"name":"a","podReadiness":{}},{"name":"a","restarts":{}}])")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.analysis.checks[1].name: "
            "Duplicate value: \"a\"");
  EXPECT_EQ(error_of(with_checks(R"([{"name":"h","http":{"url":"ftp://x"}}])")),
            "Rollout.berth.dev \"web\" is invalid: "
            "spec.strategy.canary.analysis.checks[0].http.url: Invalid value: \"ftp://x\": must "
            "be an http:// or https:// URL with a host");
  EXPECT_EQ(error_of(with_checks(
                R"([{"name":"h","http":{"url":"http://x","successCondition":{"equals":"ok"}}}])")),
            "Rollout.berth.dev \"web\" is invalid: "
            "spec.strategy.canary.analysis.checks[0].http.successCondition.jsonField: Required "
            "value: equals, lessThan and greaterThan compare a JSON field");
  EXPECT_EQ(error_of(with_checks(R"([{"name":"r","restarts":{},"interval":"100ms"}])")),
            "Rollout.berth.dev \"web\" is invalid: "
            "spec.strategy.canary.analysis.checks[0].interval: Invalid value: \"100ms\": must be "
            "at least 1s");
  EXPECT_EQ(error_of(with_checks(R"([{"name":"r"}])")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.canary.analysis.checks[0]: "
            "Invalid value: {\"name\":\"r\"}: must set one of podReadiness, restarts or http");
}

TEST(RolloutSpec, BlueGreenNeedsAnActiveService) {
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"blueGreen":{}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.blueGreen.activeService: "
            "Required value");
  EXPECT_EQ(error_of(spec_with(
                R"("strategy":{"blueGreen":{"activeService":"web","previewService":"web"}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.blueGreen.previewService: "
            "Invalid value: \"web\": must differ from activeService");
  EXPECT_EQ(error_of(spec_with(R"("strategy":{"blueGreen":{"activeService":"a"},"canary":{}})")),
            "Rollout.berth.dev \"web\" is invalid: spec.strategy.blueGreen: Forbidden: may not be "
            "set together with spec.strategy.canary; set exactly one");
}

TEST(RolloutSpec, ProgressDeadlineMustExceedMinReadySeconds) {
  EXPECT_EQ(error_of(spec_with(R"("minReadySeconds":30,"progressDeadlineSeconds":30)")),
            "Rollout.berth.dev \"web\" is invalid: spec.progressDeadlineSeconds: Invalid value: "
            "30: must be greater than minReadySeconds");
}

TEST(RolloutSpec, NonObjectInputIsReportedNotCrashed) {
  for (std::string_view bad : {"null", "[]", "3", R"({"selector":[],"template":"x"})",
                               R"({"selector":{"matchLabels":{"app":"web"}},"template":{},
                                   "strategy":{"canary":{"steps":"x","analysis":[]}}})"}) {
    json::Document d = doc(bad);
    EXPECT_FALSE(validate_spec(d).empty()) << bad;
  }
}

TEST(IntOrPercent, RoundsLikeDeployments) {
  EXPECT_EQ((IntOrPercent{25, true}).resolve(10, true), 3);
  EXPECT_EQ((IntOrPercent{25, true}).resolve(10, false), 2);
  EXPECT_EQ((IntOrPercent{4, false}).resolve(10, false), 4);
  // Both rounding to zero would deadlock a rollout: a surge of one is used instead.
  json::Document d =
      doc(spec_with(R"("strategy":{"canary":{"maxSurge":"10%","maxUnavailable":"10%"}})"));
  auto r = parse_spec(d, "web");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_surge(5), 1);
  EXPECT_EQ(r->max_unavailable(5), 0);
}

TEST(Duration, ParsesGoSyntaxAndSeconds) {
  using std::chrono::milliseconds;
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("1.5h"), milliseconds(5'400'000));
  EXPECT_EQ(parse_duration("45"), milliseconds(45'000));
  for (std::string_view bad : {"", "s", "-5s", "5 s", "5d", "1.s2", ".s", "99999999999999"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(7'205'500)), "2h0m5.5s");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
}

}  // namespace
}  // namespace berth::rollout
