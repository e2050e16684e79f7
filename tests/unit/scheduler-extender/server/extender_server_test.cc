// Over real HTTP(S) on 127.0.0.1: the captured kube-scheduler v1.26 requests replayed against
// berth-extender's server, size and nesting limits, and HTTPS.
#include "scheduler-extender/server/extender_server.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "kube/http/client.h"
#include "kube/tls/certificates.h"
#include "scheduler-extender/config/config.h"
#include "tests/support/fixtures.h"
#include "tests/unit/scheduler-extender/support/builders.h"

namespace berth::extender {
namespace {

namespace json = kube::json;
using std::chrono::seconds;

class NoBinder : public Binder {
 public:
  void bind(const protocol::BindingArgs&, std::function<void(kube::Status)> done) override {
    done(kube::Status());
  }
};

class ExtenderServerTest : public ::testing::Test {
 protected:
  void start(std::shared_ptr<kube::http::TlsOptions> tls = nullptr) {
    config.bind_enabled = true;
    policies = std::make_unique<PolicySet>(state, make_policies(config));
    service = std::make_unique<ExtenderService>(state, *policies, config, registry, &binder,
                                                [] { return true; });
    auto s = start_extender_server({.bind_address = "127.0.0.1:0",
                                    .tls = std::move(tls),
                                    .max_body_bytes = config.max_request_bytes},
                                   *service, registry);
    ASSERT_TRUE(s.ok()) << s.error().message;
    server = std::move(*s);
  }
  kube::Result<kube::http::Response> post(std::string_view path, std::string_view body) {
    return client.post_json(server->url() + std::string(path), body, seconds(10));
  }

  ClusterState state;
  ExtenderConfig config;
  kube::metrics::Registry registry;
  NoBinder binder;
  std::unique_ptr<PolicySet> policies;
  std::unique_ptr<ExtenderService> service;
  std::unique_ptr<kube::http::Server> server;
  kube::http::Client client;
};

// Members the real fixture server answered must be in ours with the same JSON type.
void expect_shape(const json::Value& ours, const json::Value& captured, const std::string& at) {
  auto type = [](const json::Value& v) { return v.IsBool() ? rapidjson::kTrueType : v.GetType(); };
  ASSERT_EQ(type(ours), type(captured)) << at;
  if (!captured.IsObject()) return;
  for (const auto& m : captured.GetObject()) {
    std::string name(json::as_string(m.name));
    if (at == "" && (name == "FailedNodes" || name == "NodeNames" || name == "Nodes")) continue;
    const json::Value* mine = json::find(ours, name);
    ASSERT_NE(mine, nullptr) << at << "." << name;
    expect_shape(*mine, m.value, at + "." + name);
  }
}

TEST_F(ExtenderServerTest, ReplaysTheCapturedKubeSchedulerRequests) {
  BERTH_REQUIRE_FIXTURES();
  // The captured cluster: three fake nodes, learned from the NodeList the scheduler sent.
  start();
  const char* const sequence[] = {"lab-verify-nocache-filter-1",
                                  "lab-verify-nocache-prioritize-1",
                                  "lab-verify-cache-filter-1",
                                  "lab-verify-cache-prioritize-1",
                                  "preempt-scenario-01-filter-nocache-victim",
                                  "preempt-scenario-02-filter-cache-victim",
                                  "preempt-scenario-03-filter-nocache-preemptor",
                                  "preempt-scenario-04-filter-cache-preemptor",
                                  "preempt-01-nocache",
                                  "preempt-02-cache",
                                  "bind-01-victim",
                                  "bind-02-preemptor"};
  for (const char* name : sequence) {
    SCOPED_TRACE(name);
    std::string base = std::string("extender/") + name;
    auto request = berth::testing::read_fixture(base + ".request.json");
    auto captured = berth::testing::read_fixture_json(base + ".response.json");
    ASSERT_TRUE(request && captured);
    auto meta = berth::testing::read_fixture_json(base + ".meta.json");
    std::string path(json::get_string(*meta, "path"));
    std::string verb = path.substr(path.rfind('/'));
    auto response = post(verb, *request);
    ASSERT_TRUE(response.ok()) << response.error().message;
    ASSERT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(response->headers.get("Content-Type"), "application/json");
    auto ours = json::parse(response->body);
    ASSERT_TRUE(ours.ok()) << response->body;
    expect_shape(*ours, *captured, "");

    auto sent = json::parse(*request);
    std::set<std::string> sent_names;
    if (const json::Value* names = json::find(*sent, "NodeNames"); names && names->IsArray()) {
      for (const auto& n : names->GetArray())
        sent_names.emplace(json::as_string(n));
    }
    if (const json::Value* nodes = json::find(*sent, "Nodes"); nodes && nodes->IsObject()) {
      for (const auto& n : (*nodes)["items"].GetArray()) {
        sent_names.emplace(json::get_string(n["metadata"], "name"));
      }
    }
    if (verb == "/filter") {
      const json::Value& names = (*ours)["NodeNames"];
      ASSERT_TRUE(names.IsArray());
      for (const auto& n : names.GetArray()) {
        EXPECT_TRUE(sent_names.count(std::string(json::as_string(n)))) << json::as_string(n);
      }
      EXPECT_EQ(json::get_string(*ours, "Error"), "");
      // Nothing in these captures is infeasible for Berth's policies: every node passes, as
      // the fixture server let them.
      EXPECT_EQ(names.Size(), sent_names.size());
      bool node_list = json::find(*sent, "Nodes") && !(*sent)["Nodes"].IsNull();
      EXPECT_EQ((*ours)["Nodes"].IsNull(), !node_list);
    } else if (verb == "/prioritize") {
      ASSERT_TRUE(ours->IsArray());
      ASSERT_EQ(ours->Size(), sent_names.size());
      for (const auto& e : ours->GetArray()) {
        EXPECT_TRUE(sent_names.count(std::string(json::get_string(e, "Host"))));
        EXPECT_GE(json::get_int(e, "Score"), 0);
        EXPECT_LE(json::get_int(e, "Score"), 10);
      }
    } else if (verb == "/preempt") {
      EXPECT_TRUE(json::equal(*ours, *captured)) << response->body;
    } else {
      EXPECT_EQ(response->body, R"({"Error":""})");
    }
  }
  // The nodes came from the scheduler's NodeList: fake-node-1 etc. are now cached.
  EXPECT_NE(state.read().find_node("fake-node-reject"), kNoSlot);
}

TEST_F(ExtenderServerTest, OversizedAndDeeplyNestedBodiesAreRejectedAndServingGoesOn) {
  config.max_request_bytes = 64 * 1024;
  start();
  state.write().upsert_node(test::node("n1", {}));
  auto big = post("/filter", std::string(128 * 1024, ' '));
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("\"Error\""), std::string::npos) << big->body;
  auto deep = post("/filter", std::string(R"({"Pod":)") + std::string(10000, '['));
  ASSERT_TRUE(deep.ok());
  EXPECT_EQ(deep->status, 400);
  EXPECT_NE(deep->body.find("maximum depth"), std::string::npos) << deep->body;
  auto good =
      post("/filter", R"({"Pod":{"metadata":{"name":"p","namespace":"ns"}},"NodeNames":["n1"]})");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->status, 200);
  EXPECT_EQ(
      good->body,
      R"({"Nodes":null,"NodeNames":["n1"],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""})");
  auto metrics = client.get(server->url() + "/metrics", seconds(5));
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(
      metrics->body.find(
          R"(berth_http_request_duration_seconds_count{server="extender",route="/filter",code="200"} 1)"),
      std::string::npos)
      << metrics->body;
}

TEST_F(ExtenderServerTest, ServesHttps) {
  auto ca = kube::tls::generate_ca({});
  ASSERT_TRUE(ca.ok());
  auto leaf = kube::tls::issue_certificate(
      *ca, {.common_name = "berth-extender", .ip_addresses = {"127.0.0.1"}});
  ASSERT_TRUE(leaf.ok());
  std::string dir = ::testing::TempDir();
  std::string cert = dir + "/extender-tls.crt", key = dir + "/extender-tls.key";
  {
    std::ofstream(cert) << leaf->cert_pem;
    std::ofstream(key) << leaf->key_pem;
  }
  auto tls = std::make_shared<kube::http::TlsOptions>();
  tls->cert_file = cert;
  tls->key_file = key;
  start(tls);
  ASSERT_EQ(server->url().rfind("https://", 0), 0u) << server->url();
  kube::http::Client secure({.ca_pem = ca->cert_pem});
  auto r = secure.post_json(server->url() + "/filter",
                            R"({"Pod":{"metadata":{"name":"p"}},"NodeNames":[]})", seconds(10));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(
      r->body,
      R"({"Nodes":null,"NodeNames":[],"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""})");
}

}  // namespace
}  // namespace berth::extender
