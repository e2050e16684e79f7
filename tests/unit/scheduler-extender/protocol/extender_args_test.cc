#include "scheduler-extender/protocol/extender_args.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/fixtures.h"

namespace berth::extender::protocol {
namespace {

constexpr std::string_view kPod =
    R"({"metadata":{"name":"p","namespace":"ns","uid":"u1","labels":{"app":"web"}},)"
    R"("spec":{"containers":[{"name":"c","image":"nginx:1.25",)"
    R"("resources":{"requests":{"cpu":"250m","memory":"64Mi"}}}]}})";

std::string args_with(std::string_view rest) {
  return std::string(R"({"Pod":)") + std::string(kPod) + "," + std::string(rest) + "}";
}

TEST(ExtenderArgsTest, NodeNamesInRequestOrder) {
  auto args = parse_extender_args(args_with(R"("Nodes":null,"NodeNames":["b","a","c"])"));
  ASSERT_TRUE(args.ok()) << args.error().message;
  EXPECT_FALSE(args->nodes_sent_as_list);
  ASSERT_EQ(args->node_names.size(), 3u);
  EXPECT_EQ(args->node_names[0], "b");
  EXPECT_EQ(args->node_names[2], "c");
  EXPECT_EQ(args->pod.name, "p");
  EXPECT_EQ(args->pod.namespace_, "ns");
  EXPECT_EQ(args->pod.requests.requests.milli_cpu, 250);
  EXPECT_EQ(args->pod.requests.requests.memory, 64 * 1024 * 1024);
}

TEST(ExtenderArgsTest, EmptyNodeNamesIsValid) {
  auto args = parse_extender_args(args_with(R"("Nodes":null,"NodeNames":[])"));
  ASSERT_TRUE(args.ok()) << args.error().message;
  EXPECT_TRUE(args->node_names.empty());
}

TEST(ExtenderArgsTest, NodeListGivesNamesAndObjects) {
  auto args = parse_extender_args(
      args_with(R"("Nodes":{"metadata":{},"items":[{"metadata":{"name":"n1","labels":{"z":"1"}}},)"
                R"({"metadata":{"name":"n2"}}]},"NodeNames":null)"));
  ASSERT_TRUE(args.ok()) << args.error().message;
  EXPECT_TRUE(args->nodes_sent_as_list);
  ASSERT_EQ(args->node_names.size(), 2u);
  EXPECT_EQ(args->node_names[1], "n2");
  ASSERT_EQ(args->node_objects.size(), 2u);
  EXPECT_TRUE(args->node_objects[0]->IsObject());
  EXPECT_EQ(
      kube::json::get_string(*kube::json::find_path(*args->node_objects[0], {"metadata"}), "name"),
      "n1");
}

TEST(ExtenderArgsTest, ViewsSurviveMovingTheArgs) {
  auto parsed = parse_extender_args(args_with(R"("NodeNames":["node-with-a-long-name-0001"])"));
  ASSERT_TRUE(parsed.ok());
  ExtenderArgs moved = std::move(*parsed);
  ExtenderArgs again = std::move(moved);
  EXPECT_EQ(again.node_names[0], "node-with-a-long-name-0001");
}

struct BadCase {
  const char* name;
  std::string body;
  const char* message_part;
};

TEST(ExtenderArgsTest, BadInputIsA400NamingTheProblem) {
  std::string deep(200, '[');
  const BadCase cases[] = {
      {"empty", "", "empty request body"},
      {"malformed", R"({"Pod": {)", "invalid JSON"},
      {"not an object", "[1,2]", "must be a JSON object"},
      {"no pod", R"({"NodeNames":["a"]})", "has no Pod"},
      {"null pod", R"({"Pod":null,"NodeNames":["a"]})", "has no Pod"},
      {"pod not object", R"({"Pod":"x","NodeNames":["a"]})", "Pod must be an object"},
      {"pod without metadata", R"({"Pod":{},"NodeNames":["a"]})", "Pod has no metadata"},
      {"no nodes", args_with(R"("Nodes":null,"NodeNames":null)"), "neither NodeNames nor Nodes"},
      {"names not list", args_with(R"("NodeNames":"a")"), "NodeNames must be a list"},
      {"name not string", args_with(R"("NodeNames":["a",7])"), "NodeNames[1]"},
      {"empty name", args_with(R"("NodeNames":[""])"), "NodeNames[0]"},
      {"nodes not object", args_with(R"("Nodes":[])"), "Nodes must be a NodeList"},
      {"items not list", args_with(R"("Nodes":{"items":{}})"), "items must be a list"},
      {"item without name", args_with(R"("Nodes":{"items":[{"metadata":{}}]})"), "items[0]"},
      {"deep nesting", R"({"Pod":)" + deep, "maximum depth"},
  };
  for (const BadCase& c : cases) {
    auto args = parse_extender_args(c.body);
    ASSERT_FALSE(args.ok()) << c.name;
    EXPECT_EQ(args.error().code, 400) << c.name;
    EXPECT_NE(args.error().message.find(c.message_part), std::string::npos)
        << c.name << ": " << args.error().message;
  }
}

TEST(PreemptionArgsTest, MetaVictims) {
  auto args = parse_preemption_args(
      std::string(R"({"Pod":)") + std::string(kPod) +
      R"(,"NodeNameToVictims":null,"NodeNameToMetaVictims":{"n1":{"Pods":[{"UID":"v1"},{"UID":"v2"}],"NumPDBViolations":1},"n2":{"Pods":[],"NumPDBViolations":0}}})");
  ASSERT_TRUE(args.ok()) << args.error().message;
  ASSERT_EQ(args->nodes.size(), 2u);
  EXPECT_EQ(args->nodes[0].first, "n1");
  ASSERT_EQ(args->nodes[0].second.pod_uids.size(), 2u);
  EXPECT_EQ(args->nodes[0].second.pod_uids[1], "v2");
  EXPECT_EQ(args->nodes[0].second.num_pdb_violations, 1);
  EXPECT_TRUE(args->nodes[1].second.pod_uids.empty());
}

TEST(PreemptionArgsTest, FullVictimPodsGiveTheirUids) {
  auto args = parse_preemption_args(
      std::string(R"({"Pod":)") + std::string(kPod) +
      R"(,"NodeNameToVictims":{"n1":{"Pods":[{"metadata":{"name":"v","uid":"vu"}}],"NumPDBViolations":0}},"NodeNameToMetaVictims":null})");
  ASSERT_TRUE(args.ok()) << args.error().message;
  ASSERT_EQ(args->nodes.size(), 1u);
  EXPECT_EQ(args->nodes[0].second.pod_uids.at(0), "vu");
}

TEST(PreemptionArgsTest, VictimWithoutUidIsRejected) {
  auto args = parse_preemption_args(std::string(R"({"Pod":)") + std::string(kPod) +
                                    R"(,"NodeNameToMetaVictims":{"n1":{"Pods":[{}]}}})");
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.error().code, 400);
  EXPECT_NE(args.error().message.find("has no UID"), std::string::npos);
}

TEST(BindingArgsTest, RequiredMembers) {
  auto ok = parse_binding_args(R"({"PodName":"p","PodNamespace":"ns","PodUID":"u","Node":"n"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->node, "n");
  auto missing = parse_binding_args(R"({"PodName":"p","PodNamespace":"ns","PodUID":"u"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("Node is required"), std::string::npos);
  auto wrong = parse_binding_args(R"({"PodName":1,"PodNamespace":"ns","Node":"n"})");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("PodName must be a string"), std::string::npos);
}

// The captured bodies of a real kube-scheduler v1.26 parse, and yield what they carry.
TEST(ExtenderArgsFixtureTest, CapturedFilterAndPrioritizeBodies) {
  BERTH_REQUIRE_FIXTURES();
  struct Case {
    const char* file;
    bool node_objects;
    std::vector<std::string> names;
  };
  const Case cases[] = {
      {"extender/lab-verify-cache-filter-1.request.json",
       false,
       {"fake-node-favorite", "fake-node-1"}},
      {"extender/lab-verify-cache-prioritize-1.request.json",
       false,
       {"fake-node-favorite", "fake-node-1"}},
      {"extender/lab-verify-nocache-filter-1.request.json",
       true,
       {"fake-node-favorite", "fake-node-1", "fake-node-reject"}},
      {"extender/preempt-scenario-02-filter-cache-victim.request.json", false, {"fake-node-1"}},
      {"extender/preempt-scenario-04-filter-cache-preemptor.request.json", false, {"fake-node-1"}},
  };
  for (const Case& c : cases) {
    auto body = testing::read_fixture(c.file);
    ASSERT_TRUE(body.has_value()) << c.file;
    auto args = parse_extender_args(*body);
    ASSERT_TRUE(args.ok()) << c.file << ": " << args.error().message;
    EXPECT_EQ(args->nodes_sent_as_list, c.node_objects) << c.file;
    ASSERT_EQ(args->node_names.size(), c.names.size()) << c.file;
    for (std::size_t i = 0; i < c.names.size(); ++i)
      EXPECT_EQ(args->node_names[i], c.names[i]);
    EXPECT_FALSE(args->pod.uid.empty()) << c.file;
  }
  auto preemptor = parse_extender_args(
      *testing::read_fixture("extender/preempt-scenario-04-filter-cache-preemptor.request.json"));
  ASSERT_TRUE(preemptor.ok());
  EXPECT_EQ(preemptor->pod.priority, 1000);
  EXPECT_EQ(preemptor->pod.requests.requests.milli_cpu, 2000);
  EXPECT_EQ(preemptor->pod.qos, QosClass::kBurstable);
  ASSERT_EQ(preemptor->pod.node_selector.size(), 1u);
  EXPECT_EQ(preemptor->pod.node_selector[0].second, "fake-node-1");
  ASSERT_EQ(preemptor->pod.tolerations.size(), 2u);
  EXPECT_EQ(preemptor->pod.tolerations[0].effect, "NoExecute");
}

TEST(ExtenderArgsFixtureTest, CapturedPreemptionAndBindingBodies) {
  BERTH_REQUIRE_FIXTURES();
  const std::string victim = "b11e940e-6555-45a6-be42-547d15739a37";
  for (const char* file :
       {"extender/preempt-01-nocache.request.json", "extender/preempt-02-cache.request.json"}) {
    auto args = parse_preemption_args(*testing::read_fixture(file));
    ASSERT_TRUE(args.ok()) << file << ": " << args.error().message;
    ASSERT_EQ(args->nodes.size(), 1u) << file;
    EXPECT_EQ(args->nodes[0].first, "fake-node-1");
    ASSERT_EQ(args->nodes[0].second.pod_uids.size(), 1u);
    EXPECT_EQ(args->nodes[0].second.pod_uids[0], victim) << file;
  }
  auto bind = parse_binding_args(*testing::read_fixture("extender/bind-01-victim.request.json"));
  ASSERT_TRUE(bind.ok());
  EXPECT_EQ(bind->pod_name, "victim");
  EXPECT_EQ(bind->pod_namespace, "fx-sched");
  EXPECT_EQ(bind->pod_uid, victim);
  EXPECT_EQ(bind->node, "fake-node-1");
}

}  // namespace
}  // namespace berth::extender::protocol
