// kube::Client over a scripted transport: the requests it builds (paths, queries, headers,
// bodies), how it decodes answers, and its retry, re-authentication and rate-limiting rules.
// The cpprestsdk transport itself is exercised against a real HTTP server in
// client_http_test.cc.
#include "kube/client/client.h"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "kube/core/strings.h"
#include "tests/support/fixtures.h"
#include "tests/unit/kube/client/instant_clock.h"

namespace kube {
namespace {

HttpResponse reply(int status, std::string body, std::string retry_after = {}) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

class FakeTransport final : public Transport {
 public:
  Result<HttpResponse> send(const HttpRequest& request, const CancelToken& cancel) override {
    requests.push_back(request);
    if (cancel.cancelled()) return Error::make(Reason::kCancelled, "cancelled");
    if (responses.empty()) return Error::transport("no scripted response");
    HttpResponse r = std::move(responses.front());
    responses.pop_front();
    return r;
  }

  Result<Stream> stream(const HttpRequest& request, const CancelToken& cancel) override {
    auto response = send(request, cancel);
    if (!response.ok()) return std::move(response).error();
    Stream s;
    if (response->status >= 200 && response->status < 300) {
      s.lines = std::make_unique<Lines>(response->body);
    } else {
      s.response = std::move(response).value();
    }
    return s;
  }

  std::string header(std::size_t i, std::string_view name) const {
    for (const auto& [k, v] : requests.at(i).headers) {
      if (iequals(k, name)) return v;
    }
    return {};
  }

  std::deque<HttpResponse> responses;
  std::vector<HttpRequest> requests;

 private:
  class Lines final : public LineReader {
   public:
    explicit Lines(std::string body) : body_(std::move(body)) {}
    Result<std::optional<std::string_view>> next_line() override {
      if (pos_ >= body_.size()) return std::optional<std::string_view>();
      std::size_t nl = body_.find('\n', pos_);
      if (nl == std::string::npos) nl = body_.size();
      std::string_view line(body_.data() + pos_, nl - pos_);
      pos_ = nl + 1;
      return std::optional<std::string_view>(line);
    }
    void cancel() override {}

   private:
    std::string body_;
    std::size_t pos_ = 0;
  };
};

constexpr char kConfigMap[] =
    R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","namespace":"ns",)"
    R"("resourceVersion":"7"},"data":{"k":"v"}})";

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() { config_.bearer_token = "tok"; }

  Client& client() {
    if (!client_) {
      options_.clock = &clock_;
      auto transport = std::make_shared<FakeTransport>();
      transport_ = transport.get();
      client_ = std::make_unique<Client>(transport, config_, options_);
    }
    return *client_;
  }
  FakeTransport& transport() {
    client();
    return *transport_;
  }
  const HttpRequest& sent(std::size_t i) const { return transport_->requests.at(i); }
  json::Document sent_body(std::size_t i) const {
    auto doc = json::parse(sent(i).body);
    EXPECT_TRUE(doc.ok()) << sent(i).body;
    return doc.ok() ? std::move(doc).value() : json::Document();
  }

  Config config_;
  ClientOptions options_;
  berth::testing::InstantClock clock_;
  FakeTransport* transport_ = nullptr;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, GetAddressesTheObjectWithCredentialsAndUserAgent) {
  transport().responses.push_back(reply(200, kConfigMap));
  auto cm = client().get(resources::kConfigMaps, "ns", "cm");
  ASSERT_TRUE(cm.ok()) << cm.error().to_string();
  EXPECT_EQ(cm->name(), "cm");
  EXPECT_EQ(json::get_string(*json::find(cm->json(), "data"), "k"), "v");
  EXPECT_EQ(sent(0).method, "GET");
  EXPECT_EQ(sent(0).target, "/api/v1/namespaces/ns/configmaps/cm");
  EXPECT_EQ(transport_->header(0, "Authorization"), "Bearer tok");
  EXPECT_EQ(transport_->header(0, "Accept"), "application/json");
  EXPECT_EQ(transport_->header(0, "User-Agent").rfind("berth/", 0), 0u);
  EXPECT_NE(transport_->header(0, "User-Agent").find("(client)"), std::string::npos);
}

TEST_F(ClientTest, DefaultNamespaceAndClusterScopedPaths) {
  config_.namespace_ = "team-a";
  options_.user_agent = "custom/1.0";
  transport().responses.push_back(reply(200, kConfigMap));
  transport().responses.push_back(reply(200, R"({"kind":"Node","metadata":{"name":"n1"}})"));
  ASSERT_TRUE(client().get(resources::kConfigMaps, "", "cm").ok());
  ASSERT_TRUE(client().get(resources::kNodes, "ignored", "n1", {.resource_version = "0"}).ok());
  EXPECT_EQ(sent(0).target, "/api/v1/namespaces/team-a/configmaps/cm");
  EXPECT_EQ(sent(1).target, "/api/v1/nodes/n1?resourceVersion=0");
  EXPECT_EQ(transport_->header(1, "User-Agent"), "custom/1.0");
  EXPECT_EQ(client().default_namespace(), "team-a");
}

TEST_F(ClientTest, ErrorsAreDecodedFromStatus) {
  transport().responses.push_back(
      reply(404, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
                 R"("message":"configmaps \"x\" not found","reason":"NotFound",)"
                 R"("details":{"name":"x","kind":"configmaps"},"code":404})"));
  auto cm = client().get(resources::kConfigMaps, "ns", "x");
  ASSERT_FALSE(cm.ok());
  EXPECT_TRUE(cm.error().is_not_found());
  EXPECT_EQ(cm.error().name, "x");
  EXPECT_EQ(transport_->requests.size(), 1u);
}

TEST_F(ClientTest, ListEncodesOptionsAndFillsItemKinds) {
  BERTH_REQUIRE_FIXTURES();
  auto page = berth::testing::read_fixture("lists/configmaps-limit2-page1.json");
  ASSERT_TRUE(page);
  transport().responses.push_back(reply(200, *page));
  auto list = client().list(resources::kConfigMaps, "fx-lists",
                            {.label_selector = "env in (prod,staging),!canary",
                             .field_selector = "metadata.name!=cm-3",
                             .limit = 2,
                             .resource_version = "0",
                             .resource_version_match = "NotOlderThan",
                             .timeout_seconds = 30});
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  EXPECT_EQ(sent(0).target,
            "/api/v1/namespaces/fx-lists/configmaps?labelSelector=env%20in%20%28prod%2Cstaging%29%"
            "2C%21canary&fieldSelector=metadata.name%21%3Dcm-3&resourceVersion=0&"
            "resourceVersionMatch=NotOlderThan&limit=2&timeoutSeconds=30");
  EXPECT_EQ(list->kind, "ConfigMapList");
  EXPECT_EQ(list->api_version, "v1");
  EXPECT_FALSE(list->resource_version.empty());
  EXPECT_FALSE(list->continue_.empty());
  EXPECT_EQ(list->remaining_item_count, 4);
  ASSERT_EQ(list->items.size(), 2u);
  for (const Object& item : list->items) {
    EXPECT_EQ(item.kind(), "ConfigMap");
    EXPECT_EQ(item.api_version(), "v1");
    EXPECT_EQ(item.namespace_(), "fx-lists");
    // kind and apiVersion come first, as in the apiserver's encoding of a single object.
    EXPECT_EQ(item.dump().rfind(R"({"kind":"ConfigMap","apiVersion":"v1","metadata":)", 0), 0u)
        << item.dump();
  }
  EXPECT_EQ(list->items[0].name(), "cm-1");
}

TEST_F(ClientTest, ListAllFollowsContinueTokensFromOneSnapshot) {
  BERTH_REQUIRE_FIXTURES();
  for (const char* name :
       {"configmaps-limit2-page1", "configmaps-limit2-page2", "configmaps-limit2-page3-last"}) {
    auto page = berth::testing::read_fixture(std::string("lists/") + name + ".json");
    ASSERT_TRUE(page) << name;
    transport().responses.push_back(reply(200, *page));
  }
  auto all = client().list_all(resources::kConfigMaps, "fx-lists",
                               {.label_selector = "a=b", .limit = 2, .resource_version = "0"});
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(transport_->requests.size(), 3u);
  ASSERT_EQ(all->items.size(), 6u);
  std::vector<std::string> names;
  for (const Object& item : all->items)
    names.emplace_back(item.name());
  EXPECT_EQ(names,
            (std::vector<std::string>{"cm-1", "cm-2", "cm-3", "cm-4", "cm-5", "kube-root-ca.crt"}));
  EXPECT_EQ(all->resource_version, "750");
  EXPECT_TRUE(all->continue_.empty());
  EXPECT_FALSE(all->remaining_item_count.has_value());
  EXPECT_NE(sent(0).target.find("resourceVersion=0"), std::string::npos);
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_NE(sent(i).target.find("continue="), std::string::npos) << sent(i).target;
    EXPECT_NE(sent(i).target.find("labelSelector=a%3Db"), std::string::npos) << sent(i).target;
    EXPECT_EQ(sent(i).target.find("resourceVersion="), std::string::npos) << sent(i).target;
  }
}

TEST_F(ClientTest, ListOfAllNamespacesAndEmptyItems) {
  transport().responses.push_back(reply(
      200,
      R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[]})"));
  auto list = client().list(resources::kPods, "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(sent(0).target, "/api/v1/pods");
  EXPECT_TRUE(list->items.empty());
  EXPECT_EQ(list->resource_version, "9");
  transport().responses.push_back(reply(200, R"({"kind":"PodList","metadata":{}})"));
  EXPECT_EQ(client().list(resources::kPods, "").error().reason, Reason::kParse);
}

TEST_F(ClientTest, CreateUpdateAndStatusWrites) {
  options_.field_manager = "berth-rollout";
  for (int i = 0; i < 4; ++i)
    transport().responses.push_back(reply(201, kConfigMap));
  auto doc = json::parse(kConfigMap);
  ASSERT_TRUE(doc.ok());
  ASSERT_TRUE(client().create(resources::kConfigMaps, *doc).ok());
  ASSERT_TRUE(client()
                  .create(resources::kConfigMaps, *doc,
                          {.field_manager = "other", .dry_run = true, .field_validation = "Strict"})
                  .ok());
  ASSERT_TRUE(client().update(resources::kConfigMaps, *doc).ok());
  ASSERT_TRUE(client().update_status(resources::kDeployments, *doc).ok());
  EXPECT_EQ(sent(0).method, "POST");
  EXPECT_EQ(sent(0).target, "/api/v1/namespaces/ns/configmaps?fieldManager=berth-rollout");
  EXPECT_EQ(sent(0).content_type, "application/json");
  EXPECT_TRUE(json::equal(sent_body(0), *doc));
  EXPECT_EQ(
      sent(1).target,
      "/api/v1/namespaces/ns/configmaps?fieldManager=other&dryRun=All&fieldValidation=Strict");
  EXPECT_EQ(sent(2).method, "PUT");
  EXPECT_EQ(sent(2).target, "/api/v1/namespaces/ns/configmaps/cm?fieldManager=berth-rollout");
  EXPECT_EQ(sent(3).target,
            "/apis/apps/v1/namespaces/ns/deployments/cm/status?fieldManager=berth-rollout");

  auto nameless = json::parse(R"({"metadata":{}})");
  auto bad = client().update(resources::kConfigMaps, *nameless);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, Reason::kInvalid);
  EXPECT_EQ(transport_->requests.size(), 4u);
}

TEST_F(ClientTest, PatchTypesAndOptions) {
  for (int i = 0; i < 5; ++i)
    transport().responses.push_back(reply(200, kConfigMap));
  ASSERT_TRUE(client()
                  .patch(resources::kConfigMaps, "ns", "cm", PatchType::kMerge, R"({"data":null})")
                  .ok());
  ASSERT_TRUE(client().patch(resources::kConfigMaps, "ns", "cm", PatchType::kJson, "[]").ok());
  ASSERT_TRUE(
      client().patch(resources::kDeployments, "ns", "d", PatchType::kStrategicMerge, "{}").ok());
  ASSERT_TRUE(client()
                  .patch(resources::kDeployments, "ns", "d", PatchType::kApply, "spec: {}\n",
                         {.field_manager = "berth", .force = true})
                  .ok());
  ASSERT_TRUE(client()
                  .patch(resources::kDeployments, "ns", "d", PatchType::kMerge,
                         R"({"spec":{"replicas":3}})", {.dry_run = true, .subresource = "scale"})
                  .ok());
  EXPECT_EQ(sent(0).content_type, "application/merge-patch+json");
  EXPECT_EQ(sent(0).body, R"({"data":null})");
  EXPECT_EQ(sent(1).content_type, "application/json-patch+json");
  EXPECT_EQ(sent(2).content_type, "application/strategic-merge-patch+json");
  EXPECT_EQ(sent(3).content_type, "application/apply-patch+yaml");
  EXPECT_EQ(sent(3).target,
            "/apis/apps/v1/namespaces/ns/deployments/d?fieldManager=berth&force=true");
  EXPECT_EQ(sent(4).target, "/apis/apps/v1/namespaces/ns/deployments/d/scale?dryRun=All");
  for (std::size_t i = 0; i < 5; ++i)
    EXPECT_EQ(sent(i).method, "PATCH");

  // Apply without any field manager is refused before a request is made.
  auto apply = client().patch(resources::kDeployments, "ns", "d", PatchType::kApply, "{}");
  ASSERT_FALSE(apply.ok());
  EXPECT_NE(apply.error().message.find("field manager"), std::string::npos);
  EXPECT_EQ(transport_->requests.size(), 5u);
}

TEST_F(ClientTest, DeleteSendsDeleteOptionsAndReturnsObjectOrStatus) {
  transport().responses.push_back(reply(
      200,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"cm","kind":"configmaps","uid":"u1"}})"));
  transport().responses.push_back(reply(200, kConfigMap));
  auto status = client().remove(resources::kConfigMaps, "ns", "cm",
                                {.propagation_policy = PropagationPolicy::kForeground,
                                 .grace_period_seconds = 0,
                                 .precondition_uid = "u1",
                                 .precondition_resource_version = "7",
                                 .dry_run = true});
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_EQ(status->kind(), "Status");
  EXPECT_EQ(sent(0).method, "DELETE");
  EXPECT_EQ(sent(0).target, "/api/v1/namespaces/ns/configmaps/cm");
  auto expected = json::parse(
      R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground",)"
      R"("gracePeriodSeconds":0,"preconditions":{"uid":"u1","resourceVersion":"7"},"dryRun":["All"]})");
  EXPECT_TRUE(json::equal(sent_body(0), *expected)) << sent(0).body;
  auto object = client().remove(resources::kConfigMaps, "ns", "cm");
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->kind(), "ConfigMap");
  EXPECT_EQ(sent(1).body, R"({"kind":"DeleteOptions","apiVersion":"v1"})");
}

TEST_F(ClientTest, GenericRequestForSubresources) {
  transport().responses.push_back(reply(
      201, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201})"));
  auto r = client().request("POST", "/api/v1/namespaces/ns/pods/p/binding",
                            R"({"kind":"Binding","target":{"kind":"Node","name":"n1"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(sent(0).content_type, "application/json");
  transport().responses.push_back(reply(
      429,
      R"({"kind":"Status","status":"Failure","reason":"TooManyRequests","message":"pdb","code":429})"));
  auto evict = client().request("POST", "/api/v1/namespaces/ns/pods/p/eviction", "{}");
  ASSERT_FALSE(evict.ok());
  EXPECT_TRUE(evict.error().is_too_many_requests());
}

TEST_F(ClientTest, IdempotentReadsRetryAfterTheServersDelay) {
  std::string throttled =
      R"({"kind":"Status","status":"Failure","reason":"TooManyRequests","message":"slow","code":429})";
  transport().responses.push_back(reply(429, throttled, "2"));
  transport().responses.push_back(reply(503, "unavailable", "3"));
  transport().responses.push_back(reply(200, kConfigMap));
  auto cm = client().get(resources::kConfigMaps, "ns", "cm");
  ASSERT_TRUE(cm.ok()) << cm.error().to_string();
  EXPECT_EQ(transport_->requests.size(), 3u);
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(5));
}

TEST_F(ClientTest, RetriesAreBoundedAndDelaysCapped) {
  options_.max_retries = 2;
  options_.max_retry_delay = std::chrono::seconds(10);
  for (int i = 0; i < 5; ++i)
    transport().responses.push_back(reply(429, "", "100"));
  auto cm = client().get(resources::kConfigMaps, "ns", "cm");
  ASSERT_FALSE(cm.ok());
  EXPECT_TRUE(cm.error().is_too_many_requests());
  EXPECT_EQ(cm.error().retry_after, std::chrono::seconds(100));
  EXPECT_EQ(transport_->requests.size(), 3u);
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(20));
}

TEST_F(ClientTest, NonIdempotentWritesAreNeverRetried) {
  for (int i = 0; i < 4; ++i)
    transport().responses.push_back(reply(429, "", "1"));
  auto doc = json::parse(kConfigMap);
  EXPECT_FALSE(client().create(resources::kConfigMaps, *doc).ok());
  EXPECT_FALSE(client().patch(resources::kConfigMaps, "ns", "cm", PatchType::kMerge, "{}").ok());
  EXPECT_FALSE(client().remove(resources::kConfigMaps, "ns", "cm").ok());
  auto unconditional = json::parse(R"({"metadata":{"name":"cm","namespace":"ns"}})");
  EXPECT_FALSE(client().update(resources::kConfigMaps, *unconditional).ok());
  EXPECT_EQ(transport_->requests.size(), 4u);
  EXPECT_EQ(clock_.slept(), Clock::duration::zero());
  // A PUT with a resourceVersion cannot apply twice, so it is retried.
  transport().responses.push_back(reply(429, "", "1"));
  transport().responses.push_back(reply(200, kConfigMap));
  EXPECT_TRUE(client().update(resources::kConfigMaps, *doc).ok());
  EXPECT_EQ(transport_->requests.size(), 6u);
  // 5xx without Retry-After is returned as is.
  transport().responses.push_back(reply(500, ""));
  EXPECT_EQ(client().get(resources::kConfigMaps, "ns", "cm").error().reason,
            Reason::kInternalError);
  EXPECT_EQ(transport_->requests.size(), 7u);
}

TEST_F(ClientTest, RotatedTokenFileIsReReadAfterA401) {
  auto dir = std::filesystem::temp_directory_path() / ("berth-client-test-" + random_suffix(8));
  std::filesystem::create_directories(dir);
  auto token_path = dir / "token";
  std::ofstream(token_path) << "old\n";
  config_.bearer_token.clear();
  config_.bearer_token_file = token_path.string();
  transport().responses.push_back(reply(200, kConfigMap));
  ASSERT_TRUE(client().get(resources::kConfigMaps, "ns", "cm").ok());
  std::ofstream(token_path, std::ios::trunc) << "new\n";
  transport().responses.push_back(
      reply(401, R"({"kind":"Status","reason":"Unauthorized","code":401})"));
  transport().responses.push_back(reply(200, kConfigMap));
  ASSERT_TRUE(client().get(resources::kConfigMaps, "ns", "cm").ok());
  ASSERT_EQ(transport_->requests.size(), 3u);
  EXPECT_EQ(transport_->header(1, "Authorization"), "Bearer old");
  EXPECT_EQ(transport_->header(2, "Authorization"), "Bearer new");
  // An unchanged token is not retried: the 401 stands.
  transport().responses.push_back(
      reply(401, R"({"kind":"Status","reason":"Unauthorized","code":401})"));
  auto denied = client().get(resources::kConfigMaps, "ns", "cm");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().reason, Reason::kUnauthorized);
  EXPECT_EQ(transport_->requests.size(), 4u);
  std::filesystem::remove_all(dir);
}

TEST_F(ClientTest, BasicAuthHeader) {
  config_.bearer_token.clear();
  config_.username = "admin";
  config_.password = "pw";
  transport().responses.push_back(reply(200, kConfigMap));
  ASSERT_TRUE(client().get(resources::kConfigMaps, "ns", "cm").ok());
  EXPECT_EQ(transport_->header(0, "Authorization"), "Basic " + base64_encode("admin:pw"));
}

TEST_F(ClientTest, EveryRequestPassesTheRateLimiter) {
  options_.qps = 2;
  options_.burst = 3;
  for (int i = 0; i < 7; ++i)
    transport().responses.push_back(reply(200, kConfigMap));
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(client().get(resources::kConfigMaps, "ns", "cm").ok());
  // 3 pass at once, the other 4 wait 0.5 s each.
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(2));
}

TEST_F(ClientTest, CancelledCallsFailWithoutARequest) {
  CancelSource source;
  source.cancel();
  auto list = client().list(resources::kPods, "ns", {.cancel = source.token()});
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().reason, Reason::kCancelled);
  EXPECT_TRUE(transport_->requests.empty());
}

TEST_F(ClientTest, WatchRequestAndEvents) {
  transport().responses.push_back(reply(
      200,
      R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"11"}}})"
      "\n"
      R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}})"
      "\n"));
  auto stream = client().watch(
      resources::kPods, "ns",
      {.label_selector = "app=web", .resource_version = "10", .timeout_seconds = 300});
  ASSERT_TRUE(stream.ok()) << stream.error().to_string();
  EXPECT_EQ(
      sent(0).target,
      "/api/v1/namespaces/ns/pods?watch=true&allowWatchBookmarks=true&labelSelector=app%3Dweb&"
      "resourceVersion=10&timeoutSeconds=300");
  EXPECT_EQ(sent(0).timeout, std::chrono::seconds(360));
  auto first = (*stream)->next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->type, WatchEventType::kAdded);
  auto second = (*stream)->next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->type, WatchEventType::kBookmark);
  EXPECT_EQ((*second)->object.resource_version(), "12");
  auto end = (*stream)->next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());

  transport().responses.push_back(reply(
      410,
      R"({"kind":"Status","status":"Failure","reason":"Expired","message":"too old","code":410})"));
  auto gone = client().watch(resources::kPods, "", {.resource_version = "1"});
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.error().is_gone());
  EXPECT_EQ(sent(1).target, "/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=1");
}

}  // namespace
}  // namespace kube
