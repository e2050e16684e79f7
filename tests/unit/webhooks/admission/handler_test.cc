#include "webhooks/admission/handler.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "kube/core/json.h"
#include "tests/unit/webhooks/pods/pod_test_util.h"
#include "tests/unit/webhooks/review_builder.h"
#include "webhooks/server/routes.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
using kube::http::Request;
using kube::http::Response;

Request post(std::string target, std::string body) {
  Request r;
  r.method = "POST";
  r.target = std::move(target);
  r.headers.add("Content-Type", "application/json");
  r.headers.add("User-Agent", "kube-apiserver-admission");
  r.body = std::move(body);
  return r;
}

class HandlerTest : public ::testing::Test {
 protected:
  std::shared_ptr<WebhooksConfig> config_ = std::make_shared<WebhooksConfig>();
  NamespaceLabelMap namespaces_;
  kube::metrics::Registry registry_;
  AdmissionHandler handler_{berth_routes(config_, namespaces_), registry_};
};

TEST_F(HandlerTest, RoutesOnThePathIgnoringTheQuery) {
  std::string body =
      testing::review_json({.object = testing::pod(R"("berth.dev/log-sidecar":"true")")});
  Response r = handler_.handle(post("/mutate/pods?timeout=10s", body));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  auto doc = json::parse(r.body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(json::get_string(*doc, "apiVersion"), "admission.k8s.io/v1");
  EXPECT_EQ(json::get_string(*doc, "kind"), "AdmissionReview");
  const json::Value& resp = (*doc)["response"];
  EXPECT_EQ(json::get_string(resp, "uid"), "4b0a3b6e-1c1d-4b4e-9a55-000000000001");
  EXPECT_TRUE(resp["allowed"].GetBool());
  EXPECT_EQ(json::get_string(resp, "patchType"), "JSONPatch");

  Response v = handler_.handle(post("/validate/pods?timeout=5s", body));
  ASSERT_EQ(v.status, 200);
  auto vdoc = json::parse(v.body);
  EXPECT_EQ(json::find((*vdoc)["response"], "patchType"), nullptr);
  EXPECT_NE(json::find((*vdoc)["response"], "warnings"), nullptr);  // warn-mode findings
}

TEST_F(HandlerTest, HttpErrorsCarryAStatus) {
  Response missing = handler_.handle(post("/mutate-pods", "{}"));
  EXPECT_EQ(missing.status, 404);
  auto doc = json::parse(missing.body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(json::get_string(*doc, "kind"), "Status");
  EXPECT_EQ(json::get_string(*doc, "reason"), "NotFound");
  EXPECT_EQ((*doc)["code"].GetInt(), 404);
  EXPECT_EQ(json::get_string(*doc, "message"),
            "no admission webhook at /mutate-pods; served paths: /mutate/pods, /validate/pods, "
            "/validate/berth");

  Request get = post("/mutate/pods", "");
  get.method = "GET";
  Response wrong_method = handler_.handle(get);
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers.get("Allow"), "POST");

  Request yaml = post("/mutate/pods", "a: b");
  yaml.headers.set("Content-Type", "application/yaml");
  EXPECT_EQ(handler_.handle(yaml).status, 415);
  Request with_charset = post("/validate/berth", "{}");
  with_charset.headers.set("Content-Type", "Application/JSON; charset=utf-8");
  EXPECT_EQ(handler_.handle(with_charset).status, 400) << "JSON with parameters is accepted";

  Response bad = handler_.handle(post("/mutate/pods", R"({"kind":"AdmissionReview"})"));
  EXPECT_EQ(bad.status, 400);
  auto bad_doc = json::parse(bad.body);
  EXPECT_EQ(json::get_string(*bad_doc, "reason"), "BadRequest");
  EXPECT_NE(json::get_string(*bad_doc, "message").find("unsupported apiVersion"),
            std::string::npos);
}

TEST_F(HandlerTest, GarbageNeverCrashes) {
  for (const std::string& body :
       {std::string(""), std::string("\0\0\0", 3), std::string(100000, '['),
        std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":)") +
            std::string(300, '{'),
        std::string("\xff\xfe{}"), std::string(R"({"a":"\ud800"})")}) {
    for (const char* path : {"/mutate/pods", "/validate/pods", "/validate/berth"}) {
      Response r = handler_.handle(post(path, body));
      EXPECT_EQ(r.status, 400) << path;
    }
  }
}

TEST_F(HandlerTest, PodRoutesAnswerOtherKindsWithADenial) {
  std::string body = testing::review_json({.object = R"({"kind":"ConfigMap","data":{}})",
                                           .kind = "ConfigMap",
                                           .resource = "configmaps"});
  for (const char* path : {"/mutate/pods", "/validate/pods"}) {
    Response r = handler_.handle(post(path, body));
    ASSERT_EQ(r.status, 200);
    auto doc = json::parse(r.body);
    const json::Value& resp = (*doc)["response"];
    EXPECT_FALSE(resp["allowed"].GetBool());
    EXPECT_EQ(resp["status"]["code"].GetInt(), 400);
  }
}

class Throwing final : public AdmissionWebhook {
 public:
  AdmissionResponse review(const AdmissionRequest&) const override {
    throw std::runtime_error("boom");
  }
};

TEST(Handler, AThrowingWebhookIsA500) {
  kube::metrics::Registry registry;
  AdmissionHandler handler({{"/x", "x", std::make_shared<Throwing>()}}, registry);
  Response r = handler.handle(post("/x", testing::review_json({.object = "{}"})));
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("admission webhook x failed internally"), std::string::npos);
}

TEST_F(HandlerTest, CountsDecisions) {
  namespaces_.set("app", {{"berth.dev/policy-mode", "enforce"}});
  std::string annotated =
      testing::review_json({.object = testing::pod(R"("berth.dev/log-sidecar":"true")")});
  std::string plain = testing::review_json({.object = testing::pod()});
  handler_.handle(post("/mutate/pods", annotated));
  handler_.handle(post("/mutate/pods", plain));
  handler_.handle(post("/validate/pods", plain));  // denied: enforce mode, findings
  // Warn mode elsewhere: the same four findings become warnings.
  handler_.handle(post("/validate/pods",
                       testing::review_json({.namespace_ = "other", .object = testing::pod()})));
  std::string text = registry_.render();
  EXPECT_NE(
      text.find(
          R"(berth_webhook_admission_decisions_total{webhook="mutate-pods",result="patched"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(berth_webhook_admission_decisions_total{webhook="mutate-pods",result="allowed"} 1)"),
      std::string::npos);
  EXPECT_NE(
      text.find(
          R"(berth_webhook_admission_decisions_total{webhook="validate-pods",result="denied"} 1)"),
      std::string::npos);
  EXPECT_NE(text.find(R"(berth_webhook_admission_warnings_total{webhook="validate-pods"} 4)"),
            std::string::npos)
      << text;
}

TEST(Handler, ErrorResponseForTheServer) {
  Response r = AdmissionHandler::error_response(413, "request body too large");
  EXPECT_EQ(r.status, 413);
  auto doc = json::parse(r.body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(json::get_string(*doc, "reason"), "RequestEntityTooLarge");
  EXPECT_EQ(json::get_string(*doc, "message"), "request body too large");
}

}  // namespace
}  // namespace berth::webhooks
