#include "sim/apiserver/webhook_review.h"

#include <gtest/gtest.h>

#include "kube/core/strings.h"
#include "sim/apiserver/builtins.h"
#include "sim/apiserver/registry.h"
#include "tests/support/fixtures.h"

namespace berth::sim {
namespace {

namespace json = kube::json;

class AdmissionReviewRequest : public ::testing::Test {
 protected:
  void SetUp() override { register_builtins(registry_); }

  // The request kube-apiserver sent in `fixture`, rebuilt from its own fields: our body must
  // be byte for byte the same.
  void expect_same_as(std::string_view fixture, std::string_view options_json = "") {
    auto text = berth::testing::read_fixture("admission/" + std::string(fixture) + ".request.json");
    ASSERT_TRUE(text.has_value());
    auto doc = json::parse(*text);
    ASSERT_TRUE(doc.ok());
    const json::Value& req = (*doc)["request"];
    const json::Value& resource = req["resource"];
    AdmissionRequest r;
    r.resource =
        registry_.find(json::get_string(resource, "group"), json::get_string(resource, "version"),
                       json::get_string(resource, "resource"));
    ASSERT_NE(r.resource, nullptr);
    std::string_view op = json::get_string(req, "operation");
    r.operation = op == "CREATE"   ? Operation::kCreate
                  : op == "UPDATE" ? Operation::kUpdate
                                   : Operation::kDelete;
    r.subresource = std::string(json::get_string(req, "subResource"));
    r.namespace_ = std::string(json::get_string(req, "namespace"));
    r.name = std::string(json::get_string(req, "name"));
    const json::Value& user = req["userInfo"];
    r.user.username = std::string(json::get_string(user, "username"));
    r.user.uid = std::string(json::get_string(user, "uid"));
    r.user.groups.clear();
    for (const auto& g : user["groups"].GetArray())
      r.user.groups.emplace_back(json::as_string(g));
    json::Document object;
    if (!req["object"].IsNull()) {
      object = json::copy(req["object"]);
      r.object = &object;
    }
    if (!req["oldObject"].IsNull()) r.old_object = &req["oldObject"];
    r.dry_run = json::get_bool(req, "dryRun");
    json::Document options;
    if (!options_json.empty()) {
      options = json::parse(options_json).value();
      r.options = &options;
    }
    std::string built = admission_review_request(r, json::get_string(req, "uid"), r.object);
    EXPECT_EQ(built, *text);
  }

  Registry registry_;
};

TEST_F(AdmissionReviewRequest, PodCreateAsTheApiserverSendsIt) {
  BERTH_REQUIRE_FIXTURES();
  expect_same_as("pod-CREATE-mutating");
  expect_same_as("pod-CREATE-validating");
}

TEST_F(AdmissionReviewRequest, GeneratedNameIsOmittedUntilValidation) {
  BERTH_REQUIRE_FIXTURES();
  expect_same_as("pod-CREATE-by-replicaset-mutating");
  expect_same_as("pod-CREATE-by-replicaset-validating");
}

TEST_F(AdmissionReviewRequest, UpdateFromAPatchCarriesUpdateOptionsOnly) {
  BERTH_REQUIRE_FIXTURES();
  // PatchOptions' force has no place in UpdateOptions.
  expect_same_as("pod-UPDATE-mutating", R"({"force":true})");
  expect_same_as("pod-status-UPDATE-validating");
}

TEST_F(AdmissionReviewRequest, DeleteBindingAndDryRun) {
  BERTH_REQUIRE_FIXTURES();
  expect_same_as(
      "pod-DELETE-graceful-validating",
      R"({"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","gracePeriodSeconds":30})");
  expect_same_as("pod-binding-CREATE-by-scheduler-validating");
  expect_same_as("pod-CREATE-dryrun-mutating", R"({"dryRun":["All"]})");
}

TEST(AdmissionReviewResponse, AcceptsTheFixtureAnswers) {
  BERTH_REQUIRE_FIXTURES();
  auto body = berth::testing::read_fixture("admission/pod-CREATE-mutating.response.json");
  ASSERT_TRUE(body.has_value());
  auto parsed =
      parse_admission_review_response(*body, "d86aaeb6-4e69-405b-97b5-6db41ecaff41", true);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed->allowed);
  EXPECT_EQ(parsed->patch,
            R"([{"op": "add", "path": "/metadata/labels/k8slab~1mutated", "value": "true"}])");
  EXPECT_EQ(parsed->warnings,
            std::vector<std::string>{"k8slab mutating webhook added label k8slab/mutated=true"});
}

TEST(AdmissionReviewResponse, DenialBecomesTheApiserversStatus) {
  BERTH_REQUIRE_FIXTURES();
  auto body =
      berth::testing::read_fixture("admission/configmap-CREATE-denied-validating.response.json");
  auto expected = berth::testing::read_fixture("errors/403-admission-webhook-denied.json");
  ASSERT_TRUE(body && expected);
  auto parsed =
      parse_admission_review_response(*body, "03133213-546c-4039-b920-ad7fc39dfa54", false);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_FALSE(parsed->allowed);
  ApiError e = webhook_denial("validate-configmaps.fx.example.com", *parsed);
  EXPECT_EQ(e.code, 403);
  EXPECT_EQ(e.to_json(), *expected);
}

std::string review(std::string_view response) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":)" +
         std::string(response) + "}";
}

TEST(AdmissionReviewResponse, RejectsAnswersTheApiserverRejects) {
  auto error = [](std::string_view body, bool mutating = true) {
    auto r = parse_admission_review_response(body, "u1", mutating);
    return r.ok() ? std::string("<accepted>") : r.error().message;
  };
  EXPECT_EQ(error(review(R"({"uid":"u2","allowed":true})")),
            R"(expected response.uid="u1", got "u2")");
  EXPECT_EQ(error(review(R"({"allowed":true})")), R"(expected response.uid="u1", got "")");
  EXPECT_EQ(error(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"),
            "webhook response was absent");
  EXPECT_EQ(error(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview",)"
                  R"("response":{"uid":"u1","allowed":true}})"),
            "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got "
            "admission.k8s.io/v1beta1, Kind=AdmissionReview");
  std::string patch = kube::base64_encode(R"([{"op":"add","path":"/a","value":1}])");
  EXPECT_EQ(error(review(R"({"uid":"u1","allowed":true,"patch":")" + patch + R"("})")),
            "webhook returned response.patch but not response.patchType");
  EXPECT_EQ(error(review(R"({"uid":"u1","allowed":true,"patchType":"Merge","patch":")" + patch +
                         R"("})")),
            R"(webhook returned invalid response.patchType of "Merge")");
  EXPECT_EQ(error(review(R"({"uid":"u1","allowed":true,"patchType":"JSONPatch","patch":")" + patch +
                         R"("})"),
                  false),
            "validating webhooks may not return patches");
  EXPECT_EQ(error(review(R"({"uid":"u1","allowed":true,"patchType":"JSONPatch","patch":"@@"})")),
            "response.patch is not valid base64");
  EXPECT_EQ(error(review(R"({"uid":"u1","allowed":"yes"})")), "response.allowed is not a boolean");
  EXPECT_NE(error("not json").find("decoding the response"), std::string::npos);
  EXPECT_EQ(error("[1,2]"), "the response is not a JSON object");
  EXPECT_NE(error(std::string(1000, '[') + std::string(1000, ']')).find("decoding"),
            std::string::npos)
      << "deep nesting is refused, not recursed into";
  EXPECT_EQ(error(review(R"({"uid":"u1","allowed":true})")), "<accepted>");
  EXPECT_EQ(error(review(R"({"uid":"u1"})")), "<accepted>") << "allowed defaults to false";
}

TEST(AdmissionReviewResponse, DenialMessagesAndCodes) {
  auto denial = [](std::string_view response) {
    auto parsed = parse_admission_review_response(review(response), "u", false);
    EXPECT_TRUE(parsed.ok());
    return webhook_denial("w.berth.dev", *parsed);
  };
  ApiError bare = denial(R"({"uid":"u","allowed":false})");
  EXPECT_EQ(bare.code, 400);
  EXPECT_EQ(bare.message,
            R"(admission webhook "w.berth.dev" denied the request without explanation)");
  EXPECT_TRUE(bare.reason.empty());

  ApiError reason_only =
      denial(R"({"uid":"u","allowed":false,"status":{"code":200,"reason":"Nope"}})");
  EXPECT_EQ(reason_only.code, 400) << "a rejection is never below 400";
  EXPECT_EQ(reason_only.reason, "Nope");
  EXPECT_EQ(reason_only.message, R"(admission webhook "w.berth.dev" denied the request: Nope)");

  ApiError detailed = denial(
      R"({"uid":"u","allowed":false,"status":{"code":422,"reason":"Invalid","message":"bad image",)"
      R"("details":{"name":"p","kind":"pods","causes":[{"reason":"FieldValueInvalid",)"
      R"("message":"no :latest","field":"spec.containers[0].image"}]}}})");
  EXPECT_EQ(detailed.code, 422);
  EXPECT_EQ(detailed.message, R"(admission webhook "w.berth.dev" denied the request: bad image)");
  ASSERT_TRUE(detailed.details.has_value());
  EXPECT_EQ(detailed.details->name, "p");
  ASSERT_EQ(detailed.details->causes.size(), 1u);
  EXPECT_EQ(detailed.details->causes[0].field, "spec.containers[0].image");
}

}  // namespace
}  // namespace berth::sim
