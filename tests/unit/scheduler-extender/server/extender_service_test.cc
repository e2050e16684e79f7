#include "scheduler-extender/server/extender_service.h"

#include <gtest/gtest.h>

#include "kube/core/json.h"
#include "scheduler-extender/policies/inter_pod_affinity.h"
#include "tests/unit/scheduler-extender/support/builders.h"

namespace berth::extender {
namespace {

namespace json = kube::json;
namespace http = kube::http;
using test::labels;
using test::node;
using test::pod;

const std::string kHost = "kubernetes.io/hostname";

class FakeBinder : public Binder {
 public:
  void bind(const protocol::BindingArgs& args, std::function<void(kube::Status)> done) override {
    calls.push_back(args);
    pending = std::move(done);
  }
  std::vector<protocol::BindingArgs> calls;
  std::function<void(kube::Status)> pending;
};

class ExtenderServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state.write().upsert_node(node("n1", labels({{kHost, "n1"}})));
    state.write().upsert_node(node("n2", labels({{kHost, "n2"}})));
    state.write().upsert_pod(pod("ns", "web-0", labels({{"app", "web"}}), "n1"));
  }
  ExtenderService& service(bool bind = false) {
    config.bind_enabled = bind;
    config.explain_decisions = 8;
    svc = std::make_unique<ExtenderService>(state, policies, config, registry, &binder,
                                            [this] { return ready; });
    return *svc;
  }
  http::Response call(std::string method, std::string target, std::string body = "") {
    http::Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    std::optional<http::Response> out;
    svc->handle(std::move(r), [&](http::Response resp) { out = std::move(resp); });
    EXPECT_TRUE(out.has_value());
    return out ? std::move(*out) : http::Response{};
  }
  static json::Document parse(const http::Response& r) {
    auto doc = json::parse(r.body);
    EXPECT_TRUE(doc.ok()) << r.body;
    return doc.ok() ? std::move(*doc) : json::Document();
  }

  ClusterState state;
  PolicySet policies{state, [] {
                       std::vector<WeightedPolicy> p;
                       p.push_back({std::make_unique<InterPodAffinityPolicy>(), 1});
                       return p;
                     }()};
  ExtenderConfig config;
  kube::metrics::Registry registry;
  FakeBinder binder;
  bool ready = true;
  std::unique_ptr<ExtenderService> svc;
};

constexpr std::string_view kWebPod =
    R"({"metadata":{"name":"web-1","namespace":"ns","uid":"u-web-1","labels":{"app":"web"}},)"
    R"("spec":{"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)"
    R"({"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}]}},)"
    R"("containers":[{"name":"c","image":"i"}]}})";

std::string args(std::string_view nodes_json) {
  return std::string(R"({"Pod":)") + std::string(kWebPod) + "," + std::string(nodes_json) + "}";
}

TEST_F(ExtenderServiceTest, FilterAnswersWithReasonsAndRecordsTheDecision) {
  service();
  http::Response r = call("POST", "/filter", args(R"("Nodes":null,"NodeNames":["n1","n2"])"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            R"({"Nodes":null,"NodeNames":["n2"],"FailedNodes":{"n1":"node(s) didn't match pod )"
            R"(anti-affinity rules"},"FailedAndUnresolvableNodes":{},"Error":""})");
  json::Document explain = parse(call("GET", "/explain?pod=ns/web-1"));
  ASSERT_EQ(explain["decisions"].Size(), 1u);
  const json::Value& d = explain["decisions"][0];
  EXPECT_EQ(json::get_string(d, "verb"), "filter");
  EXPECT_EQ(json::get_int(d, "candidates"), 2);
  EXPECT_EQ(json::get_int(d, "feasible"), 1);
  EXPECT_EQ(json::get_string(d["nodes"][0], "policy"), "InterPodAffinity");
  EXPECT_EQ(parse(call("GET", "/explain?pod=ns/other"))["decisions"].Size(), 0u);
  EXPECT_EQ(parse(call("GET", "/explain?verb=prioritize"))["decisions"].Size(), 0u);
  EXPECT_EQ(call("GET", "/explain?limit=zero").status, 400);
  std::string metrics = call("GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(berth_extender_rejected_nodes_total{policy="InterPodAffinity"} 1)"),
            std::string::npos)
      << metrics;
}

TEST_F(ExtenderServiceTest, PrioritizeIsABareListOverTheSentNodes) {
  service();
  state.write().upsert_node(node("n3", labels({{kHost, "n3"}})));
  std::string body =
      std::string(R"({"Pod":{"metadata":{"name":"a","namespace":"ns","uid":"ua"},)") +
      R"("spec":{"affinity":{"podAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[)" +
      R"({"weight":5,"podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"web"}},)" +
      R"("topologyKey":"kubernetes.io/hostname"}}]}}}},"NodeNames":["n2","n1","ghost"]})";
  http::Response r = call("POST", "/prioritize", body);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"([{"Host":"n2","Score":0},{"Host":"n1","Score":10},{"Host":"ghost","Score":0}])");
}

TEST_F(ExtenderServiceTest, BadInputIsA4xxAndTheServiceKeepsAnswering) {
  service();
  struct Case {
    std::string method, target, body;
    int status;
  };
  const Case cases[] = {
      {"POST", "/filter", "{", 400},
      {"POST", "/filter", R"({"NodeNames":["n1"]})", 400},
      {"POST", "/prioritize", R"({"Pod":null,"NodeNames":["n1"]})", 400},
      {"POST", "/filter", args(R"("NodeNames":[1])"), 400},
      {"POST", "/preempt", R"({"Pod":{"metadata":{}},"NodeNameToMetaVictims":[]})", 400},
      {"POST", "/filter", std::string(R"({"Pod":)") + std::string(100, '['), 400},
      {"GET", "/filter", "", 405},
      {"POST", "/explain", "", 405},
      {"POST", "/bind", R"({"PodName":"p"})", 404},  // bind disabled
      {"GET", "/nothing", "", 404},
  };
  for (const Case& c : cases) {
    http::Response r = call(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body.substr(0, 60);
    json::Document doc = parse(r);
    EXPECT_FALSE(json::get_string(doc, "Error").empty()) << r.body;
  }
  EXPECT_EQ(call("POST", "/filter", args(R"("NodeNames":["n2"])")).status, 200);
  std::string metrics = call("GET", "/metrics").body;
  EXPECT_NE(
      metrics.find(R"(berth_extender_decisions_total{verb="filter",outcome="bad_request"} 4)"),
      std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(berth_extender_cache_objects{kind="pods"} 1)"), std::string::npos);
}

TEST_F(ExtenderServiceTest, NotReadyUntilTheCachesSync) {
  service();
  ready = false;
  http::Response r = call("POST", "/filter", args(R"("NodeNames":["n2"])"));
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(json::get_string(parse(r), "Error").find("not synced"), std::string::npos);
  EXPECT_EQ(call("GET", "/readyz").status, 500);
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  ready = true;
  EXPECT_EQ(call("GET", "/readyz").status, 200);
  EXPECT_NE(call("GET", "/readyz?verbose").body.find("[+]cache-sync ok"), std::string::npos);
  EXPECT_EQ(call("GET", "/readyz/cache-sync").status, 200);
}

TEST_F(ExtenderServiceTest, NodeObjectsTheCacheLacksAreLearned) {
  service();
  std::string body = args(
      R"("Nodes":{"metadata":{},"items":[{"metadata":{"name":"n9","labels":{"kubernetes.io/hostname":"n9"}},)"
      R"("status":{"allocatable":{"cpu":"2","pods":"10"}}},{"metadata":{"name":"n1"}}]},"NodeNames":null)");
  http::Response r = call("POST", "/filter", body);
  ASSERT_EQ(r.status, 200);
  json::Document doc = parse(r);
  ASSERT_EQ(doc["Nodes"]["items"].Size(), 1u);
  EXPECT_EQ(json::get_string(doc["Nodes"]["items"][0]["metadata"], "name"), "n9");
  EXPECT_EQ(json::as_string(doc["NodeNames"][0]), "n9");
  // n1 was already cached (with its labels): the cached version decides.
  EXPECT_EQ(json::get_string(doc["FailedNodes"], "n1"),
            "node(s) didn't match pod anti-affinity rules");
  EXPECT_NE(state.read().find_node("n9"), kNoSlot);
}

TEST_F(ExtenderServiceTest, PreemptKeepsOnlyNodesWhereEvictionHelps) {
  service();
  std::string body = std::string(R"({"Pod":)") + std::string(kWebPod) +
                     R"(,"NodeNameToVictims":null,"NodeNameToMetaVictims":{)"
                     R"("n1":{"Pods":[{"UID":"ns/web-0"}],"NumPDBViolations":1},)"
                     R"("n2":{"Pods":[],"NumPDBViolations":0}}})";
  http::Response r = call("POST", "/preempt", body);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"NodeNameToMetaVictims":{"n1":{"Pods":[{"UID":"ns/web-0"}],"NumPDBViolations":1},)"
            R"("n2":{"Pods":[],"NumPDBViolations":0}}})");
  body = std::string(R"({"Pod":)") + std::string(kWebPod) +
         R"(,"NodeNameToMetaVictims":{"n1":{"Pods":[],"NumPDBViolations":0}}})";
  EXPECT_EQ(call("POST", "/preempt", body).body, R"({"NodeNameToMetaVictims":{}})");
}

TEST_F(ExtenderServiceTest, BindAssumesThePodUntilTheBinderAnswers) {
  service(true);
  ASSERT_EQ(call("POST", "/filter", args(R"("NodeNames":["n2"])")).status, 200);
  std::optional<http::Response> reply;
  http::Request r;
  r.method = "POST";
  r.target = "/bind";
  r.body = R"({"PodName":"web-1","PodNamespace":"ns","PodUID":"u-web-1","Node":"n2"})";
  svc->handle(std::move(r), [&](http::Response resp) { reply = std::move(resp); });
  ASSERT_EQ(binder.calls.size(), 1u);
  EXPECT_EQ(binder.calls[0].node, "n2");
  EXPECT_FALSE(reply.has_value());  // answered when the API has
  // Assumed at once: a second web pod is now kept off n2 too.
  http::Response again = call("POST", "/filter", args(R"("NodeNames":["n2"])"));
  EXPECT_NE(again.body.find(R"("NodeNames":[])"), std::string::npos) << again.body;
  EXPECT_EQ(state.stats().assumed_pods, 1u);

  binder.pending(kube::Error::make(kube::Reason::kConflict, "pod web-1 is already assigned", 409));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, R"({"Error":"pod web-1 is already assigned"})");
  EXPECT_EQ(state.stats().assumed_pods, 0u);  // forgotten on failure

  reply.reset();
  http::Request ok;
  ok.method = "POST";
  ok.target = "/bind";
  ok.body = R"({"PodName":"web-1","PodNamespace":"ns","PodUID":"u-web-1","Node":"n2"})";
  svc->handle(std::move(ok), [&](http::Response resp) { reply = std::move(resp); });
  binder.pending(kube::Status());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->body, R"({"Error":""})");
  EXPECT_EQ(state.stats().assumed_pods, 1u);
  EXPECT_EQ(parse(call("GET", "/explain?verb=bind"))["decisions"].Size(), 2u);
}

TEST(BindingBodyTest, IsAv1Binding) {
  protocol::BindingArgs a{"web-1", "ns", "uid-1", "n2"};
  EXPECT_EQ(binding_body(a),
            R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"web-1","namespace":"ns",)"
            R"("uid":"uid-1"},"target":{"apiVersion":"v1","kind":"Node","name":"n2"}})");
}

}  // namespace
}  // namespace berth::extender
