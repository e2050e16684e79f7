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
  // The shapes of deploy/crds and deploy/samples: canary steps with analysis checks,
  // blue-green with autoPromotion, a workloadRef.
  for (const std::string& r :
       {canary(R"([{"setWeight":20},{"pause":{"duration":"10m"}},{"setWeight":50},)"
               R"({"pause":{}},{"setWeight":100}])",
               R"(,"maxSurge":"25%","maxUnavailable":0,"canaryService":"c","stableService":"s",)"
               R"("analysis":{"checks":[{"name":"restarts","restarts":{"maxRestarts":2},)"
               R"("interval":"10s"},{"name":"http","interval":"15s","failureLimit":1,)"
               R"("http":{"url":"http://web-canary.app.svc:8080/healthz",)"
               R"("successCondition":{"statusCodes":[200]}}}]})"),
        rollout("{" + kSelector +
                R"(,"replicas":3,"workloadRef":{"apiVersion":"apps/v1","kind":"Deployment",)"
                R"("name":"web"},"strategy":{"blueGreen":{"activeService":"web-active",)"
                R"("previewService":"web-preview","autoPromotion":false,)"
                R"("scaleDownDelaySeconds":30}},"progressDeadlineSeconds":600})")}) {
    AdmissionResponse resp = validate(r);
    EXPECT_TRUE(resp.allowed) << resp.status_message;
  }
}

struct Case {
  std::string name;
  std::string object;
  std::vector<std::string> fields;  // every field the denial must name
};

class Invalid : public ::testing::TestWithParam<Case> {};

const std::string kPrefix = "Rollout.berth.dev \"web\" is invalid: ";

// The wording of each rule is the controller's (tests/unit/controllers/rollout/spec_test.cc);
// here: the webhook denies with the apiserver's 422 shape and names every offending field.
TEST_P(Invalid, IsDeniedWithFieldErrors) {
  AdmissionResponse r = validate(GetParam().object);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status_code, 422);
  EXPECT_EQ(r.status_reason, "Invalid");
  EXPECT_EQ(r.status_message.rfind(kPrefix, 0), 0u) << r.status_message;
  for (const std::string& field : GetParam().fields) {
    EXPECT_NE(r.status_message.find(field + ": "), std::string::npos)
        << field << " not in: " << r.status_message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rules, Invalid,
    ::testing::Values(
        Case{"no_spec", R"({"kind":"Rollout","metadata":{"name":"web"}})", {"spec"}},
        Case{"template_and_ref",
             rollout("{" + kSelector + "," + kTemplate +
                     R"(,"workloadRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"w"},)"
                     R"("strategy":{"canary":{"steps":[{"setWeight":50}]}}})"),
             {"spec.workloadRef"}},
        Case{"neither",
             rollout("{" + kSelector + R"(,"strategy":{"canary":{"steps":[{"setWeight":50}]}}})"),
             {"spec.template"}},
        Case{"no_selector",
             rollout("{" + kTemplate + R"(,"strategy":{"canary":{"steps":[{"setWeight":50}]}}})"),
             {"spec.selector"}},
        Case{"selector_mismatch",
             rollout(R"({"selector":{"matchLabels":{"app":"api"}},)" + kTemplate +
                     R"(,"strategy":{"canary":{"steps":[{"setWeight":50}]}}})"),
             {"spec.template.metadata.labels"}},
        Case{"weight_range",
             canary(R"([{"setWeight":20},{"setWeight":120}])"),
             {"spec.strategy.canary.steps[1].setWeight"}},
        Case{"weight_negative",
             canary(R"([{"setWeight":-1}])"),
             {"spec.strategy.canary.steps[0].setWeight"}},
        Case{"bad_duration",
             canary(R"([{"pause":{"duration":"ten minutes"}}])"),
             {"spec.strategy.canary.steps[0].pause.duration"}},
        Case{"both_strategies",
             rollout("{" + kSelector + "," + kTemplate +
                     R"(,"strategy":{"canary":{"steps":[{"setWeight":50}]},)"
                     R"("blueGreen":{"activeService":"a"}}})"),
             {"spec.strategy.blueGreen"}},
        Case{"several_errors",
             rollout(R"({"strategy":{"canary":{"steps":[{"setWeight":101}]}}})"),
             {"spec.selector", "spec.strategy.canary.steps[0].setWeight"}}),
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
