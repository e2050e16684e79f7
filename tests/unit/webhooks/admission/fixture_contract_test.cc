// Replays every AdmissionReview a real kube-apiserver v1.26 sent (fixtures admission/) through
// the handler and checks each answer against what kube-apiserver accepts.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/strings.h"
#include "tests/support/fixtures.h"
#include "tests/unit/webhooks/review_builder.h"
#include "webhooks/admission/handler.h"
#include "webhooks/pods/annotations.h"
#include "webhooks/server/routes.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;

struct Capture {
  std::string name;
  std::string path;  // as captured: /mutate-pods, /validate-configmaps, /mutate, ...
  std::string body;
  json::Document request;
};

std::vector<Capture> captures() {
  std::vector<Capture> out;
  auto dir = berth::testing::fixtures_dir();
  if (!dir) return out;
  for (const auto& entry : std::filesystem::directory_iterator(*dir / "admission")) {
    std::string file = entry.path().filename().string();
    const std::string suffix = ".request.json";
    if (file.size() <= suffix.size() || !file.ends_with(suffix)) continue;
    std::string name = file.substr(0, file.size() - suffix.size());
    Capture c;
    c.name = name;
    c.body = berth::testing::read_file(entry.path());
    auto meta = berth::testing::read_fixture_json("admission/" + name + ".meta.json");
    auto request = json::parse(c.body);
    if (!meta || !request.ok()) continue;
    c.path = std::string(json::get_string(*meta, "path"));
    c.request = std::move(request).value();
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// The captured webhooks were at /mutate-*, /validate-*; Berth's are /mutate/pods and
// /validate/pods, with the query string kube-apiserver adds.
std::string berth_target(const std::string& captured_path) {
  return (captured_path.starts_with("/mutate") ? "/mutate/pods" : "/validate/pods") +
         std::string("?timeout=10s");
}

kube::http::Request post(std::string target, std::string body) {
  kube::http::Request r;
  r.method = "POST";
  r.target = std::move(target);
  r.headers.add("Content-Type", "application/json");
  r.headers.add("Accept", "application/json, */*");
  r.headers.add("User-Agent", "kube-apiserver-admission");
  r.body = std::move(body);
  return r;
}

class FixtureContract : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_FIXTURES();
    all_ = captures();
    ASSERT_GE(all_.size(), 20u) << "admission captures missing";
  }

  // Checks the envelope kube-apiserver requires and returns the response object's JSON.
  json::Document answer(const Capture& c) {
    kube::http::Response r = handler_.handle(post(berth_target(c.path), c.body));
    EXPECT_EQ(r.status, 200) << c.name << ": " << r.body;
    auto doc = json::parse(r.body);
    EXPECT_TRUE(doc.ok()) << c.name;
    if (!doc.ok()) return json::Document();
    EXPECT_EQ(json::get_string(*doc, "apiVersion"), json::get_string(c.request, "apiVersion"))
        << c.name;
    EXPECT_EQ(json::get_string(*doc, "kind"), "AdmissionReview") << c.name;
    const json::Value* resp = json::find(*doc, "response");
    EXPECT_TRUE(resp != nullptr && resp->IsObject()) << c.name;
    if (resp == nullptr) return json::Document();
    EXPECT_EQ(json::get_string(*resp, "uid"), json::get_string(c.request["request"], "uid"))
        << c.name;
    EXPECT_TRUE(json::find(*resp, "allowed") != nullptr && (*resp)["allowed"].IsBool()) << c.name;
    const json::Value* patch_type = json::find(*resp, "patchType");
    const json::Value* patch = json::find(*resp, "patch");
    EXPECT_EQ(patch_type != nullptr, patch != nullptr) << c.name << ": patchType only with a patch";
    if (patch != nullptr) {
      EXPECT_EQ(json::as_string(*patch_type), "JSONPatch");
      EXPECT_TRUE(c.path.starts_with("/mutate")) << "validating answers never carry a patch";
      auto decoded = kube::base64_decode(json::as_string(*patch));
      EXPECT_TRUE(decoded.has_value()) << c.name;
      const json::Value* object = json::find(c.request["request"], "object");
      if (decoded && object != nullptr) testing::apply_patch(*object, *decoded);
    }
    if (const json::Value* status = json::find(*resp, "status")) {
      EXPECT_FALSE((*resp)["allowed"].GetBool()) << c.name;
      EXPECT_TRUE((*status)["code"].IsInt()) << c.name;
      EXPECT_FALSE(json::get_string(*status, "message").empty()) << c.name;
    }
    json::Document out;
    out.CopyFrom(*resp, out.GetAllocator());
    return out;
  }

  std::shared_ptr<WebhooksConfig> config_ = std::make_shared<WebhooksConfig>();
  NamespaceLabelMap namespaces_;
  kube::metrics::Registry registry_;
  AdmissionHandler handler_{berth_routes(config_, namespaces_), registry_};
  std::vector<Capture> all_;
};

TEST_F(FixtureContract, EveryCaptureGetsAWellFormedAnswer) {
  for (const Capture& c : all_) {
    SCOPED_TRACE(c.name);
    json::Document resp = answer(c);
    if (!resp.IsObject()) continue;
    const json::Value& req = c.request["request"];
    std::string_view kind = json::get_string(req["kind"], "kind");
    bool allowed = resp["allowed"].GetBool();
    if (kind == "ConfigMap") {
      // Not a pod: the pod webhooks say so instead of guessing.
      if (json::get_string(req, "operation") == "DELETE") {
        EXPECT_TRUE(allowed);
      } else {
        EXPECT_FALSE(allowed);
        EXPECT_EQ(resp["status"]["code"].GetInt(), 400);
      }
      continue;
    }
    // Pods (and their subresources) in an unlabelled namespace in warn mode: always admitted,
    // never patched.
    EXPECT_TRUE(allowed) << json::dump(resp);
    EXPECT_EQ(json::find(resp, "patch"), nullptr);
    if (!json::get_string(req, "subResource").empty() ||
        json::get_string(req, "operation") == "DELETE") {
      EXPECT_EQ(json::find(resp, "warnings"), nullptr) << "left untouched";
    }
  }
}

TEST_F(FixtureContract, DeleteReviewsCarryNoObject) {
  int deletes = 0;
  for (const Capture& c : all_) {
    const json::Value& req = c.request["request"];
    if (json::get_string(req, "operation") != "DELETE") continue;
    ++deletes;
    EXPECT_TRUE(req["object"].IsNull()) << c.name;
    json::Document resp = answer(c);
    EXPECT_TRUE(resp["allowed"].GetBool()) << c.name;
  }
  EXPECT_GE(deletes, 3);
}

TEST_F(FixtureContract, InjectionEnabledPatchesApplyToTheCapturedPods) {
  namespaces_.set("fx-admission", {{std::string(kInjectionLabel), "enabled"}});
  config_->registry.global.mirrors["docker.io"] = Mirror{"mirror.corp:5000", "hub"};
  config_->registry.global.pull_secrets = {"mirror-pull"};
  int patched = 0;
  for (const Capture& c : all_) {
    SCOPED_TRACE(c.name);
    const json::Value& req = c.request["request"];
    if (!c.path.starts_with("/mutate") || json::get_string(req["kind"], "kind") != "Pod") {
      continue;
    }
    json::Document resp = answer(c);  // applies the patch to the captured object
    if (json::get_string(req, "operation") == "CREATE") {
      ASSERT_NE(json::find(resp, "patch"), nullptr);
      std::string patch = *kube::base64_decode(json::get_string(resp, "patch"));
      json::Document out = testing::apply_patch(req["object"], patch);
      EXPECT_EQ(json::get_string((*json::find_path(out, {"spec", "containers"}))[0], "image"),
                "mirror.corp:5000/hub/library/nginx:1.25");
      ++patched;
    } else {
      // UPDATE of an already-running pod whose image did not change: untouched.
      EXPECT_EQ(json::find(resp, "patch"), nullptr);
    }
  }
  EXPECT_GE(patched, 3);  // plain, generateName (ReplicaSet) and dry-run CREATEs
}

TEST_F(FixtureContract, GenerateNamePodIsMutatedWithoutAName) {
  namespaces_.set("fx-admission", {{std::string(kInjectionLabel), "enabled"}});
  for (const Capture& c : all_) {
    if (c.name != "pod-CREATE-by-replicaset-mutating") continue;
    std::string body = c.body;
    // Ask for a sidecar the way a Deployment's pod template would.
    const std::string labels = R"("labels":{"app":"adm-web")";
    body.replace(body.find(labels), labels.size(),
                 R"("annotations":{"berth.dev/log-sidecar":"true"},)" + labels);
    auto review = json::parse(body);
    ASSERT_TRUE(review.ok());
    EXPECT_EQ(json::find((*review)["request"], "name"), nullptr);
    kube::http::Response r = handler_.handle(post("/mutate/pods?timeout=10s", body));
    ASSERT_EQ(r.status, 200);
    auto doc = json::parse(r.body);
    const json::Value& resp = (*doc)["response"];
    ASSERT_TRUE(resp["allowed"].GetBool());
    std::string patch = *kube::base64_decode(json::get_string(resp, "patch"));
    json::Document out = testing::apply_patch((*review)["request"]["object"], patch);
    EXPECT_EQ(json::find_path(out, {"spec", "containers"})->Size(), 2u);
    return;
  }
  FAIL() << "pod-CREATE-by-replicaset-mutating not found";
}

TEST_F(FixtureContract, EnforceModeDenialsUseAStatusKubeApiserverAccepts) {
  namespaces_.set("fx-admission", {{std::string(kPolicyModeLabel), "enforce"}});
  for (const Capture& c : all_) {
    if (c.name != "pod-CREATE-validating") continue;
    json::Document resp = answer(c);
    EXPECT_FALSE(resp["allowed"].GetBool());
    EXPECT_EQ(resp["status"]["code"].GetInt(), 403);
    EXPECT_EQ(json::get_string(resp["status"], "reason"), "Forbidden");
    // The captured pod runs nginx:1.25 without resources or runAsNonRoot.
    std::string message(json::get_string(resp["status"], "message"));
    EXPECT_NE(message.find("resources.requests.cpu is not set"), std::string::npos) << message;
    EXPECT_NE(message.find("may run as root"), std::string::npos) << message;
    return;
  }
  FAIL() << "pod-CREATE-validating not found";
}

}  // namespace
}  // namespace berth::webhooks
