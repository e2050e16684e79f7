// berth-extender's cache fed by watches of an in-process berth-sim: decisions follow API
// changes, and the bind verb binds through the API.
#include <gtest/gtest.h>

#include "kube/http/client.h"
#include "scheduler-extender/config/config.h"
#include "scheduler-extender/feed/watch_feed.h"
#include "scheduler-extender/server/extender_server.h"
#include "tests/integration/runtime/sim_fixture.h"
#include "tests/support/wait.h"

namespace berth::extender {
namespace {

namespace json = kube::json;
using std::chrono::seconds;

json::Document doc(std::string_view text) {
  auto d = json::parse(text);
  EXPECT_TRUE(d.ok()) << text;
  return std::move(*d);
}

std::string node_json(const std::string& name, const std::string& zone) {
  return R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" + name +
         R"(","labels":{"kubernetes.io/hostname":")" + name +
         R"(","topology.kubernetes.io/zone":")" + zone +
         R"("}},"status":{"allocatable":{"cpu":"4","memory":"8Gi","pods":"110"}}})";
}

std::string pod_json(const std::string& name, const std::string& node) {
  std::string spec = node.empty() ? "" : R"("nodeName":")" + node + R"(",)";
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
         R"(","namespace":"prod","labels":{"app":"web"}},"spec":{)" + spec +
         R"("affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)"
         R"({"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}]}},)"
         R"("volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}],)"
         R"("containers":[{"name":"c","image":"nginx:1.25","resources":{"requests":{"cpu":"1"}}}]}})";
}

class ExtenderSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client = sim.client();
    sim.create_namespaces({"prod"});
    for (const auto& [name, zone] : {std::pair{"n1", "a"}, {"n2", "a"}, {"n3", "b"}}) {
      auto created = client->create(kube::resources::kNodes, doc(node_json(name, zone)));
      ASSERT_TRUE(created.ok()) << created.error().to_string();
    }
    auto pvc = client->create(kube::resources::kPersistentVolumeClaims, doc(R"({
      "apiVersion":"v1","kind":"PersistentVolumeClaim",
      "metadata":{"name":"data","namespace":"prod",
        "annotations":{"berth.dev/data-location":"{\"nodes\":[\"n3\"]}"}},
      "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}})"));
    ASSERT_TRUE(pvc.ok()) << pvc.error().to_string();
    ASSERT_TRUE(client->create(kube::resources::kPods, doc(pod_json("web-0", "n1"))).ok());

    feed = std::make_unique<WatchFeed>(*client, state);
    feed->start();
    ASSERT_TRUE(berth::testing::wait_for([&] { return feed->synced(); }, seconds(20)))
        << "unsynced: " << feed->unsynced().size();

    config.bind_enabled = true;
    policies = std::make_unique<PolicySet>(state, make_policies(config));
    binder = std::make_unique<ApiBinder>(*client);
    service = std::make_unique<ExtenderService>(state, *policies, config, registry, binder.get(),
                                                [this] { return feed->synced(); });
    auto s = start_extender_server({.bind_address = "127.0.0.1:0"}, *service, registry);
    ASSERT_TRUE(s.ok()) << s.error().message;
    server = std::move(*s);
  }
  void TearDown() override {
    if (server) server->stop();
    if (feed) feed->stop();
  }

  // The nodes a filter call for a new web pod keeps.
  std::string feasible() {
    auto pod = doc(pod_json("web-new", ""));
    json::set_string(pod["metadata"], "uid", "uid-web-new", pod.GetAllocator());
    std::string body = R"({"Pod":)" + json::dump(pod) + R"(,"NodeNames":["n1","n2","n3"]})";
    auto r = http.post_json(server->url() + "/filter", body, seconds(5));
    if (!r.ok() || r->status != 200) return "error";
    auto answer = doc(r->body);
    std::string out;
    for (const auto& n : answer["NodeNames"].GetArray())
      out += std::string(json::as_string(n)) + " ";
    return out;
  }

  berth::testing::RuntimeSim sim;
  std::unique_ptr<kube::Client> client;
  ClusterState state;
  std::unique_ptr<WatchFeed> feed;
  ExtenderConfig config;
  kube::metrics::Registry registry;
  std::unique_ptr<PolicySet> policies;
  std::unique_ptr<ApiBinder> binder;
  std::unique_ptr<ExtenderService> service;
  std::unique_ptr<kube::http::Server> server;
  kube::http::Client http;
};

TEST_F(ExtenderSimTest, DecisionsFollowTheApi) {
  EXPECT_EQ(state.stats().nodes, 3u);
  EXPECT_EQ(state.stats().pods, 1u);
  EXPECT_NE(state.read().claim("prod", "data"), nullptr);
  EXPECT_EQ(feasible(), "n2 n3 ");

  // A second replica lands on n2: the watch moves it into the cache and n2 closes.
  ASSERT_TRUE(client->create(kube::resources::kPods, doc(pod_json("web-1", "n2"))).ok());
  EXPECT_TRUE(berth::testing::wait_for([&] { return feasible() == "n3 "; }, seconds(10)))
      << feasible();

  // A pending pod is not in the cache; deleting a placed one reopens its node.
  ASSERT_TRUE(client->create(kube::resources::kPods, doc(pod_json("web-pending", ""))).ok());
  ASSERT_TRUE(
      client->remove(kube::resources::kPods, "prod", "web-0", {.grace_period_seconds = 0}).ok());
  EXPECT_TRUE(berth::testing::wait_for([&] { return feasible() == "n1 n3 "; }, seconds(10)))
      << feasible();
  EXPECT_EQ(state.stats().pods, 1u);

  // Data locality: n3 holds the claim's data and scores highest.
  auto pod = doc(pod_json("web-new", ""));
  std::string body = R"({"Pod":)" + json::dump(pod) + R"(,"NodeNames":["n1","n3"]})";
  auto r = http.post_json(server->url() + "/prioritize", body, seconds(5));
  ASSERT_TRUE(r.ok());
  auto scores = doc(r->body);
  EXPECT_GT(json::get_int(scores[1], "Score"), json::get_int(scores[0], "Score")) << r->body;
}

TEST_F(ExtenderSimTest, BindPostsTheBindingAndPlacesThePodAtOnce) {
  ASSERT_TRUE(client->create(kube::resources::kPods, doc(pod_json("web-2", ""))).ok());
  auto created = client->get(kube::resources::kPods, "prod", "web-2");
  ASSERT_TRUE(created.ok());
  std::string uid(created->uid());
  auto pod = created->copy();
  std::string filter = R"({"Pod":)" + json::dump(pod) + R"(,"NodeNames":["n2","n3"]})";
  ASSERT_TRUE(http.post_json(server->url() + "/filter", filter, seconds(5)).ok());
  std::string bind =
      R"({"PodName":"web-2","PodNamespace":"prod","PodUID":")" + uid + R"(","Node":"n3"})";
  auto r = http.post_json(server->url() + "/bind", bind, seconds(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, R"({"Error":""})");
  // Before or after the watch reports it, the cache has web-2 on n3.
  EXPECT_EQ(feasible(), "n2 ");
  auto bound = client->get(kube::resources::kPods, "prod", "web-2");
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(json::get_string(*json::find(bound->json(), "spec"), "nodeName"), "n3");
  EXPECT_TRUE(
      berth::testing::wait_for([&] { return state.stats().assumed_pods == 0; }, seconds(10)));

  // Binding a pod that is already bound fails in the Error field, and the cache stays right.
  auto again = http.post_json(server->url() + "/bind", bind, seconds(10));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200);
  EXPECT_NE(json::get_string(doc(again->body), "Error"), "") << again->body;
  EXPECT_EQ(feasible(), "n2 ");
}

}  // namespace
}  // namespace berth::extender
