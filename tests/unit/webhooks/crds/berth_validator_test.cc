#include "webhooks/crds/berth_validator.h"

#include <gtest/gtest.h>

#include "kube/core/json.h"
#include "tests/unit/webhooks/review_builder.h"
#include "webhooks/crds/rollout.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
using testing::Review;
using testing::ReviewSpec;

std::string rollout(const std::string& spec) {
  return R"({"apiVersion":"berth.dev/v1alpha1","kind":"Rollout","metadata":{"name":"web",)"
         R"("namespace":"app"},"spec":)" +
         spec + "}";
}

const std::string kTemplate = R"("template":{"metadata":{"labels":{"app":"web","tier":"front"}},)"
                              R"("spec":{"containers":[{"name":"app","image":"nginx:1.25"}]}})";
const std::string kSelector = R"("selector":{"matchLabels":{"app":"web"}})";

std::string canary(const std::string& steps, const std::string& extra = "") {
  return rollout("{" + kSelector + "," + kTemplate + R"(,"strategy":{"canary":{"steps":)" + steps +
                 extra + "}}}");
}

AdmissionResponse validate(const std::string& object, ReviewSpec spec = {}) {
  spec.object = object;
  if (spec.kind == "Pod") spec.kind = "Rollout";
  if (spec.group.empty()) spec.group = "berth.dev";
  if (spec.resource == "pods") spec.resource = "rollouts";
  BerthValidator validator;
  Review review(spec);
  return validator.review(review.request());
}

TEST(BerthValidator, ValidRolloutsAreAllowed) {
  for (const std::string& r :
       {canary(R"([{"setWeight":20},{"pause":{"duration":"10m"}},{"setWeight":50},)"
               R"({"pause":{}},{"analysis":{"templates":[{"templateName":"rate"}]}},)"
               R"({"pause":{"duration":30}},{"setWeight":100}])",
               R"(,"maxSurge":"25%","maxUnavailable":0,"canaryService":"c","stableService":"s")"),
        rollout("{" + kSelector +
                R"(,"replicas":3,"workloadRef":{"apiVersion":"apps/v1","kind":"Deployment",)"
                R"("name":"web"},"strategy":{"blueGreen":{"activeService":"web-active",)"
                R"("previewService":"web-preview","autoPromotionEnabled":false,)"
                R"("scaleDownDelaySeconds":30}},"progressDeadlineSeconds":600})")}) {
    AdmissionResponse resp = validate(r);
    EXPECT_TRUE(resp.allowed) << resp.status_message;
  }
}

struct Case {
  std::string name;
  std::string object;
  std::string message;  // exact denial message
};

class Invalid : public ::testing::TestWithParam<Case> {};

TEST_P(Invalid, IsDeniedWithFieldErrors) {
  AdmissionResponse r = validate(GetParam().object);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status_code, 422);
  EXPECT_EQ(r.status_reason, "Invalid");
  EXPECT_EQ(r.status_message, GetParam().message);
}

const std::string kPrefix = "Rollout.berth.dev \"web\" is invalid: ";

INSTANTIATE_TEST_SUITE_P(
    Rules, Invalid,
    ::testing::Values(
        Case{"no_spec", R"({"kind":"Rollout","metadata":{"name":"web"}})",
             kPrefix + "spec: Required value"},
        Case{"template_and_ref",
             rollout("{" + kSelector + "," + kTemplate +
                     R"(,"workloadRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"w"},)"
                     R"("strategy":{"canary":{}}})"),
             kPrefix + "spec.workloadRef: Forbidden: may not be set together with "
                       "spec.template; keep one"},
        Case{"neither", rollout("{" + kSelector + R"(,"strategy":{"canary":{}}})"),
             kPrefix + "spec.template: Required value: set either template (a pod template) "
                       "or workloadRef (an existing Deployment)"},
        Case{"no_selector", rollout("{" + kTemplate + R"(,"strategy":{"canary":{}}})"),
             kPrefix + "spec.selector: Required value: set matchLabels that select the "
                       "rollout's pods"},
        Case{"empty_selector",
             rollout(R"({"selector":{},)" + kTemplate + R"(,"strategy":{"canary":{}}})"),
             kPrefix + "spec.selector: Invalid value: {}: empty selector would select every pod "
                       "in the namespace; set matchLabels"},
        Case{"selector_mismatch",
             rollout(R"({"selector":{"matchLabels":{"app":"api"}},)" + kTemplate +
                     R"(,"strategy":{"canary":{}}})"),
             kPrefix + "spec.template.metadata.labels: Invalid value: "
                       "{\"app\":\"web\",\"tier\":\"front\"}: `selector` does not match template "
                       "`labels`; add the selector's labels (app=api) to the template"},
        Case{"weight_range", canary(R"([{"setWeight":20},{"setWeight":120}])"),
             kPrefix + "spec.strategy.canary.steps[1].setWeight: Invalid value: 120: must be an "
                       "integer between 0 and 100"},
        Case{"weight_negative", canary(R"([{"setWeight":-1}])"),
             kPrefix + "spec.strategy.canary.steps[0].setWeight: Invalid value: -1: must be an "
                       "integer between 0 and 100"},
        Case{"weight_string", canary(R"([{"setWeight":"50"}])"),
             kPrefix + "spec.strategy.canary.steps[0].setWeight: Invalid value: \"50\": must be "
                       "an integer between 0 and 100"},
        Case{"two_actions", canary(R"([{"setWeight":10,"pause":{}}])"),
             kPrefix + "spec.strategy.canary.steps[0]: Invalid value: "
                       "{\"setWeight\":10,\"pause\":{}}: must set only one of setWeight, pause or "
                       "analysis; split it into separate steps"},
        Case{"empty_step", canary(R"([{}])"),
             kPrefix + "spec.strategy.canary.steps[0]: Invalid value: {}: must set one of "
                       "setWeight, pause or analysis"},
        Case{"bad_duration", canary(R"([{"pause":{"duration":"ten minutes"}}])"),
             kPrefix + "spec.strategy.canary.steps[0].pause.duration: Invalid value: \"ten "
                       "minutes\": must be a duration such as 30s, 10m, 1h30m, or whole "
                       "seconds"},
        Case{"analysis_without_templates", canary(R"([{"analysis":{"templates":[]}}])"),
             kPrefix + "spec.strategy.canary.steps[0].analysis.templates: Required value: list "
                       "at least one {templateName: <name>}"},
        Case{"steps_not_list", canary(R"({"setWeight":1})"),
             kPrefix + "spec.strategy.canary.steps: Invalid value: {\"setWeight\":1}: must be a "
                       "list of steps"},
        Case{"surge_and_unavailable_zero", canary("[]", R"(,"maxSurge":"0%","maxUnavailable":0)"),
             kPrefix + "spec.strategy.canary.maxUnavailable: Invalid value: 0: may not be 0 when "
                       "maxSurge is 0: the rollout could never make progress"},
        Case{"bad_surge", canary("[]", R"(,"maxSurge":"150%")"),
             kPrefix + "spec.strategy.canary.maxSurge: Invalid value: \"150%\": must be a "
                       "non-negative integer or a percentage between 0% and 100%"},
        Case{"same_services", canary("[]", R"(,"canaryService":"s","stableService":"s")"),
             kPrefix + "spec.strategy.canary.stableService: Invalid value: \"s\": must differ "
                       "from canaryService"},
        Case{"blue_green_without_active",
             rollout("{" + kSelector + "," + kTemplate + R"(,"strategy":{"blueGreen":{}}})"),
             kPrefix + "spec.strategy.blueGreen.activeService: Required value: name the Service "
                       "that receives production traffic"},
        Case{"blue_green_same",
             rollout("{" + kSelector + "," + kTemplate +
                     R"(,"strategy":{"blueGreen":{"activeService":"a","previewService":"a"}}})"),
             kPrefix + "spec.strategy.blueGreen.previewService: Invalid value: \"a\": must differ "
                       "from activeService"},
        Case{"both_strategies",
             rollout("{" + kSelector + "," + kTemplate +
                     R"(,"strategy":{"canary":{},"blueGreen":{"activeService":"a"}}})"),
             kPrefix + "spec.strategy.blueGreen: Forbidden: may not be set together with "
                       "spec.strategy.canary; keep one"},
        Case{"no_strategy", rollout("{" + kSelector + "," + kTemplate + "}"),
             kPrefix + "spec.strategy: Required value: set canary or blueGreen"},
        Case{"bad_workload_kind",
             rollout("{" + kSelector +
                     R"(,"workloadRef":{"apiVersion":"apps/v1","kind":"StatefulSet","name":"w"},)"
                     R"("strategy":{"canary":{}}})"),
             kPrefix + "spec.workloadRef.kind: Invalid value: \"StatefulSet\": only apps/v1 "
                       "Deployment can be referenced"},
        Case{"negative_replicas",
             rollout("{" + kSelector + "," + kTemplate +
                     R"(,"replicas":-1,"strategy":{"canary":{}}})"),
             kPrefix + "spec.replicas: Invalid value: -1: must be greater than or equal to 0"},
        Case{
            "several_errors",
            rollout(
                R"({"progressDeadlineSeconds":0,"strategy":{"canary":{"steps":[{"setWeight":101}]}}})"),
            kPrefix + "[spec.progressDeadlineSeconds: Invalid value: 0: must be greater than 0, "
                      "spec.selector: Required value: set matchLabels that select the rollout's "
                      "pods, spec.template: Required value: set either template (a pod "
                      "template) or workloadRef (an existing Deployment), "
                      "spec.strategy.canary.steps[0].setWeight: Invalid value: 101: must be an "
                      "integer between 0 and 100]"}),
    [](const auto& p) { return p.param.name; });

TEST(BerthValidator, SelectorIsImmutable) {
  std::string old_r = canary("[]");
  std::string new_r = old_r;
  new_r.replace(new_r.find(kSelector), kSelector.size(),
                R"("selector":{"matchLabels":{"app":"web","tier":"front"}})");
  AdmissionResponse r = validate(new_r, {.operation = "UPDATE", .old_object = old_r});
  EXPECT_FALSE(r.allowed);
  EXPECT_NE(r.status_message.find("spec.selector: Invalid value: "
                                  "{\"matchLabels\":{\"app\":\"web\",\"tier\":\"front\"}}: field "
                                  "is immutable"),
            std::string::npos)
      << r.status_message;
  EXPECT_TRUE(validate(old_r, {.operation = "UPDATE", .old_object = old_r}).allowed);
}

TEST(BerthValidator, SkipsWhatItDoesNotJudge) {
  std::string bad = canary(R"([{"setWeight":500}])");
  EXPECT_TRUE(
      validate(bad, {.operation = "UPDATE", .old_object = bad, .sub_resource = "status"}).allowed);
  EXPECT_TRUE(validate("null", {.operation = "DELETE", .old_object = bad}).allowed);
  // A Berth kind without rules yet.
  EXPECT_TRUE(validate(R"({"kind":"LogPipeline","spec":{}})", {.kind = "LogPipeline"}).allowed);
  // A core object sent to the Berth route by a wrong configuration.
  ReviewSpec spec{.object = R"({"kind":"Pod"})"};
  BerthValidator validator;
  Review review(spec);
  AdmissionResponse core = validator.review(review.request());
  EXPECT_FALSE(core.allowed);
  EXPECT_EQ(core.status_code, 400);
  EXPECT_NE(core.status_message.find("received a core Pod"), std::string::npos);
}

TEST(BerthValidator, TableDrivenKindsAreEasyToAdd) {
  static constexpr KindValidation kTable[] = {
      {"Widget",
       [](const json::Value& object, const json::Value*, FieldErrors& errors) {
         if (json::find_path(object, {"spec", "size"}) == nullptr) errors.required("spec.size");
       }},
  };
  BerthValidator validator(kTable);
  Review review(ReviewSpec{.name = "w1",
                           .object = R"({"kind":"Widget","spec":{}})",
                           .group = "berth.dev",
                           .kind = "Widget"});
  AdmissionResponse r = validator.review(review.request());
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status_message, "Widget.berth.dev \"w1\" is invalid: spec.size: Required value");
}

TEST(BerthValidator, Durations) {
  for (const char* ok : {"30s", "10m", "1h30m", "500ms", "2h"})
    EXPECT_TRUE(valid_duration(ok)) << ok;
  for (const char* bad : {"", "10", "m", "1.5h", "10x", "-1s", "1h 30m"}) {
    EXPECT_FALSE(valid_duration(bad)) << bad;
  }
}

TEST(BerthValidator, SurvivesMalformedObjects) {
  for (const char* o :
       {R"({"spec":[]})", R"({"spec":{"selector":"x","template":5,"strategy":{"canary":[]}}})",
        R"({"spec":{"selector":{"matchExpressions":[{"key":"a","operator":"Bogus"}]},)"
        R"("workloadRef":"w","strategy":{"blueGreen":7}}})",
        R"({"spec":{"strategy":{"canary":{"steps":[1,null,{"analysis":5},{"pause":[]}]}}}})"}) {
    AdmissionResponse r = validate(o);
    EXPECT_FALSE(r.allowed) << o;
    EXPECT_EQ(r.status_code, 422) << o;
  }
}

}  // namespace
}  // namespace berth::webhooks
