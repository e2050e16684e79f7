#include "webhooks/admission/review.h"

#include <gtest/gtest.h>

#include "kube/core/json.h"
#include "kube/core/strings.h"
#include "tests/unit/webhooks/review_builder.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
using testing::review_json;
using testing::ReviewSpec;

TEST(Review, DecodesTheRequest) {
  ReviewSpec spec{.operation = "UPDATE",
                  .namespace_ = "prod",
                  .name = "web-0",
                  .object = R"({"kind":"Pod","metadata":{"name":"web-0"}})",
                  .old_object = R"({"kind":"Pod"})",
                  .sub_resource = "status",
                  .dry_run = true};
  auto review = AdmissionReview::decode(review_json(spec));
  ASSERT_TRUE(review.ok()) << review.error().message;
  const AdmissionRequest& r = review->request();
  EXPECT_EQ(review->api_version(), "admission.k8s.io/v1");
  EXPECT_EQ(r.uid, spec.uid);
  EXPECT_EQ(r.kind.kind, "Pod");
  EXPECT_EQ(r.kind.version, "v1");
  EXPECT_EQ(r.resource.resource, "pods");
  EXPECT_EQ(r.sub_resource, "status");
  EXPECT_EQ(r.name, "web-0");
  EXPECT_EQ(r.namespace_, "prod");
  EXPECT_EQ(r.operation, Operation::kUpdate);
  EXPECT_EQ(r.username, "alice");
  EXPECT_TRUE(r.dry_run);
  ASSERT_NE(r.object, nullptr);
  EXPECT_EQ(json::get_string(*json::find(*r.object, "metadata"), "name"), "web-0");
  ASSERT_NE(r.old_object, nullptr);

  // The object pointers survive moving the review.
  AdmissionReview moved = std::move(review).value();
  EXPECT_EQ(json::get_string(*moved.request().object, "kind"), "Pod");
}

TEST(Review, DeleteHasNoObject) {
  auto review = AdmissionReview::decode(
      review_json({.operation = "DELETE", .object = "null", .old_object = R"({"kind":"Pod"})"}));
  ASSERT_TRUE(review.ok()) << review.error().message;
  EXPECT_EQ(review->request().object, nullptr);
  EXPECT_NE(review->request().old_object, nullptr);
  EXPECT_EQ(review->request().operation, Operation::kDelete);
}

TEST(Review, AcceptsV1beta1AndEchoesIt) {
  std::string body = review_json({.object = "{}"});
  body.replace(body.find("admission.k8s.io/v1"), 19, "admission.k8s.io/v1beta1");
  auto review = AdmissionReview::decode(body);
  ASSERT_TRUE(review.ok()) << review.error().message;
  EXPECT_EQ(review->api_version(), "admission.k8s.io/v1beta1");
  std::string out = encode_response(review->api_version(), "u", AdmissionResponse::allow());
  EXPECT_NE(out.find(R"("apiVersion":"admission.k8s.io/v1beta1")"), std::string::npos);
}

struct BadCase {
  std::string body;
  std::string message;
};

class BadReview : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadReview, IsRejectedWithAReason) {
  auto review = AdmissionReview::decode(GetParam().body);
  ASSERT_FALSE(review.ok());
  EXPECT_EQ(review.error().code, 400);
  EXPECT_NE(review.error().message.find(GetParam().message), std::string::npos)
      << review.error().message;
}

std::string with(std::string body, std::string_view from, std::string_view to) {
  body.replace(body.find(from), from.size(), to);
  return body;
}

const std::string kGood = review_json({.object = "{}"});

INSTANTIATE_TEST_SUITE_P(
    Envelope, BadReview,
    ::testing::Values(
        BadCase{"", "malformed AdmissionReview"}, BadCase{"{", "malformed AdmissionReview"},
        BadCase{"[1,2]", "must be a JSON object"}, BadCase{"null", "must be a JSON object"},
        BadCase{with(kGood, "admission.k8s.io/v1", "admission.k8s.io/v2"),
                "unsupported apiVersion \"admission.k8s.io/v2\""},
        BadCase{with(kGood, R"("apiVersion":"admission.k8s.io/v1",)", ""),
                "unsupported apiVersion \"\""},
        BadCase{with(kGood, R"("kind":"AdmissionReview")", R"("kind":"Review")"),
                "unsupported kind \"Review\""},
        BadCase{R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"})",
                "no request object"},
        BadCase{R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":7})",
                "no request object"},
        BadCase{with(kGood, R"("uid":"4b0a3b6e-1c1d-4b4e-9a55-000000000001",)", ""),
                "request.uid is missing"},
        BadCase{with(kGood, R"("uid":"4b0a3b6e-1c1d-4b4e-9a55-000000000001")", R"("uid":5)"),
                "request.uid must be a string"},
        BadCase{with(kGood, R"("operation":"CREATE")", R"("operation":"PATCH")"),
                "request.operation \"PATCH\""},
        BadCase{with(kGood, R"("object":{})", R"("object":"pod")"),
                "request.object must be an object or null"},
        BadCase{with(kGood, R"("object":{})", R"("object":null)"),
                "request.object is missing for CREATE"},
        BadCase{with(kGood, R"("dryRun":false)", R"("dryRun":"yes")"),
                "request.dryRun must be a boolean"},
        BadCase{with(kGood, R"("namespace":"app")", R"("namespace":["a"])"),
                "request.namespace must be a string"},
        BadCase{with(kGood, R"("kind":{"group")", R"("kind":{"group":1,"x")"),
                "request.kind.group must be a string"},
        BadCase{review_json({.operation = "UPDATE", .object = "{}"}),
                "request.oldObject is missing for UPDATE"}));

TEST(Review, RejectsDeepNesting) {
  std::string deep = std::string(1000, '[') + std::string(1000, ']');
  auto review =
      AdmissionReview::decode(with(kGood, R"("object":{})", R"("object":{"a":)" + deep + "}"));
  ASSERT_FALSE(review.ok());
  EXPECT_NE(review.error().message.find("depth"), std::string::npos) << review.error().message;
  // Realistic depth is fine.
  std::string ok = std::string(40, '[') + std::string(40, ']');
  EXPECT_TRUE(
      AdmissionReview::decode(with(kGood, R"("object":{})", R"("object":{"a":)" + ok + "}")).ok());
}

TEST(Review, RejectsOversizedBodies) {
  std::string body =
      with(kGood, R"("object":{})", R"("object":{"a":")" + std::string(2048, 'x') + R"("})");
  auto review = AdmissionReview::decode(body, {.max_bytes = 1024});
  ASSERT_FALSE(review.ok());
  EXPECT_NE(review.error().message.find("exceeds the limit of 1024"), std::string::npos);
}

TEST(Encode, AllowedWithoutPatchHasNoPatchType) {
  std::string out = encode_response(kAdmissionV1, "abc", AdmissionResponse::allow());
  EXPECT_EQ(
      out,
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"abc","allowed":true}})");
}

TEST(Encode, PatchIsBase64WithPatchType) {
  AdmissionResponse r;
  r.patch = R"([{"op":"add","path":"/metadata/labels/a~1b","value":"x"}])";
  r.warnings = {"one", "two <b>"};
  std::string out = encode_response(kAdmissionV1, "abc", r);
  auto doc = json::parse(out);
  ASSERT_TRUE(doc.ok());
  const json::Value& resp = (*doc)["response"];
  EXPECT_EQ(json::get_string(resp, "patchType"), "JSONPatch");
  EXPECT_EQ(kube::base64_decode(json::get_string(resp, "patch")), r.patch);
  ASSERT_TRUE(resp["warnings"].IsArray());
  EXPECT_EQ(resp["warnings"].Size(), 2u);
  EXPECT_EQ(json::as_string(resp["warnings"][1]), "two <b>");
  EXPECT_EQ(json::find(resp, "status"), nullptr);
}

TEST(Encode, DenialCarriesStatus) {
  std::string out = encode_response(
      kAdmissionV1, "abc", AdmissionResponse::deny(403, "Forbidden", "no privileged pods"));
  auto doc = json::parse(out);
  ASSERT_TRUE(doc.ok());
  const json::Value& resp = (*doc)["response"];
  EXPECT_FALSE(resp["allowed"].GetBool());
  EXPECT_EQ(resp["status"]["code"].GetInt(), 403);
  EXPECT_EQ(json::get_string(resp["status"], "reason"), "Forbidden");
  EXPECT_EQ(json::get_string(resp["status"], "message"), "no privileged pods");
  EXPECT_EQ(json::find(resp, "patchType"), nullptr);
}

TEST(Encode, DenialNeverCarriesAPatch) {
  AdmissionResponse r = AdmissionResponse::deny(400, "BadRequest", "x");
  r.patch = "[]";
  EXPECT_EQ(encode_response(kAdmissionV1, "u", r).find("patch"), std::string::npos);
}

}  // namespace
}  // namespace berth::webhooks
