#include "scheduler-extender/protocol/responses.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/support/fixtures.h"

namespace berth::extender::protocol {
namespace {

namespace json = kube::json;

constexpr std::string_view kPod = R"({"metadata":{"name":"p","namespace":"ns","uid":"u1"}})";

ExtenderArgs parse(std::string_view rest) {
  auto args = parse_extender_args(std::string(R"({"Pod":)") + std::string(kPod) + "," +
                                  std::string(rest) + "}");
  EXPECT_TRUE(args.ok()) << args.error().message;
  return std::move(*args);
}

json::Document parse_json(const std::string& text) {
  auto doc = json::parse(text);
  EXPECT_TRUE(doc.ok()) << text;
  return std::move(*doc);
}

TEST(FilterResultTest, CacheModeShape) {
  ExtenderArgs args = parse(R"("Nodes":null,"NodeNames":["a","b","c"])");
  FilterAnswer answer;
  answer.passed = {2, 0};
  answer.failed = {{1, "node(s) didn't match pod anti-affinity rules"}};
  std::string body = encode_filter_result(args, answer);
  EXPECT_EQ(body,
            R"({"Nodes":null,"NodeNames":["c","a"],"FailedNodes":{"b":"node(s) didn't match pod )"
            R"(anti-affinity rules"},"FailedAndUnresolvableNodes":{},"Error":""})");
}

TEST(FilterResultTest, NodeNamesIsAListEvenWhenNothingPasses) {
  ExtenderArgs args = parse(R"("NodeNames":["a"])");
  FilterAnswer answer;
  answer.failed_unresolvable = {{0, "node(s) didn't match pod affinity rules"}};
  json::Document doc = parse_json(encode_filter_result(args, answer));
  ASSERT_TRUE(doc["NodeNames"].IsArray());
  EXPECT_EQ(doc["NodeNames"].Size(), 0u);
  EXPECT_TRUE(doc["Nodes"].IsNull());
  EXPECT_EQ(json::get_string(doc["FailedAndUnresolvableNodes"], "a"),
            "node(s) didn't match pod affinity rules");
  EXPECT_EQ(json::get_string(doc, "Error"), "");
}

TEST(FilterResultTest, NodeListModeEchoesSurvivingNodeObjects) {
  ExtenderArgs args = parse(
      R"("Nodes":{"metadata":{},"items":[{"metadata":{"name":"n1","labels":{"a":"<&>"}},"status":{"allocatable":{"cpu":"4"}}},)"
      R"({"metadata":{"name":"n2"}}]},"NodeNames":null)");
  FilterAnswer answer;
  answer.passed = {0};
  answer.failed = {{1, "Insufficient cpu"}};
  json::Document doc = parse_json(encode_filter_result(args, answer));
  ASSERT_TRUE(doc["Nodes"].IsObject());
  const json::Value& items = doc["Nodes"]["items"];
  ASSERT_EQ(items.Size(), 1u);
  EXPECT_TRUE(json::equal(items[0], *args.node_objects[0]));
  ASSERT_EQ(doc["NodeNames"].Size(), 1u);
  EXPECT_EQ(json::as_string(doc["NodeNames"][0]), "n1");
  EXPECT_EQ(json::get_string(doc["FailedNodes"], "n2"), "Insufficient cpu");
}

TEST(HostPriorityListTest, BareListClampedToMaxExtenderPriority) {
  std::vector<std::string_view> hosts = {"a", "b", "c"};
  std::vector<std::int64_t> scores = {10, -3, 42};
  EXPECT_EQ(encode_host_priority_list(hosts, scores),
            R"([{"Host":"a","Score":10},{"Host":"b","Score":0},{"Host":"c","Score":10}])");
  EXPECT_EQ(encode_host_priority_list({}, {}), "[]");
}

TEST(PreemptionResultTest, Shape) {
  std::vector<PreemptionNode> nodes = {{"n1", {"u1", "u2"}, 1}};
  EXPECT_EQ(
      encode_preemption_result(nodes),
      R"({"NodeNameToMetaVictims":{"n1":{"Pods":[{"UID":"u1"},{"UID":"u2"}],"NumPDBViolations":1}}})");
  EXPECT_EQ(encode_preemption_result({}), R"({"NodeNameToMetaVictims":{}})");
}

TEST(ErrorTest, EscapesTheMessage) {
  EXPECT_EQ(encode_error("bad \"x\"\n"), R"({"Error":"bad \"x\"\n"})");
  EXPECT_EQ(encode_error(""), R"({"Error":""})");
}

// Every member the real fixture server answered (and kube-scheduler accepted) is present in
// ours with the same JSON type; ours may add the members the Go struct has beyond those.
void expect_same_shape(const json::Value& ours, const json::Value& captured,
                       const std::string& at) {
  ASSERT_EQ(
      ours.GetType() == rapidjson::kTrueType || ours.GetType() == rapidjson::kFalseType
          ? rapidjson::kTrueType
          : ours.GetType(),
      captured.GetType() == rapidjson::kTrueType || captured.GetType() == rapidjson::kFalseType
          ? rapidjson::kTrueType
          : captured.GetType())
      << at;
  if (captured.IsObject()) {
    for (const auto& m : captured.GetObject()) {
      std::string name(json::as_string(m.name));
      const json::Value* mine = json::find(ours, name);
      ASSERT_NE(mine, nullptr) << at << "." << name;
      expect_same_shape(*mine, m.value, at + "." + name);
    }
  }
}

TEST(ResponseFixtureTest, FilterAnswersMatchTheCapturedShapes) {
  BERTH_REQUIRE_FIXTURES();
  for (const char* name :
       {"lab-verify-cache-filter-1", "lab-verify-nocache-filter-1",
        "preempt-scenario-01-filter-nocache-victim", "preempt-scenario-02-filter-cache-victim",
        "preempt-scenario-03-filter-nocache-preemptor",
        "preempt-scenario-04-filter-cache-preemptor"}) {
    std::string base = std::string("extender/") + name;
    auto args = parse_extender_args(*testing::read_fixture(base + ".request.json"));
    ASSERT_TRUE(args.ok()) << name;
    auto captured = testing::read_fixture_json(base + ".response.json");
    ASSERT_TRUE(captured.has_value());
    // Answer what the fixture server answered: the nodes it kept, and its failures.
    FilterAnswer answer;
    std::set<std::string> kept;
    if (const json::Value* names = json::find(*captured, "NodeNames"); names && names->IsArray()) {
      for (const auto& n : names->GetArray())
        kept.emplace(json::as_string(n));
    }
    if (const json::Value* nodes = json::find(*captured, "Nodes"); nodes && nodes->IsObject()) {
      for (const auto& n : (*nodes)["items"].GetArray()) {
        kept.emplace(json::get_string(n["metadata"], "name"));
      }
    }
    for (std::uint32_t i = 0; i < args->node_names.size(); ++i) {
      if (kept.count(std::string(args->node_names[i]))) {
        answer.passed.push_back(i);
      } else {
        answer.failed.push_back({i, "rejected"});
      }
    }
    json::Document ours = parse_json(encode_filter_result(*args, answer));
    expect_same_shape(ours, *captured, name);
    if (args->nodes_sent_as_list) {
      const json::Value& items = (*captured)["Nodes"]["items"];
      ASSERT_EQ(ours["Nodes"]["items"].Size(), items.Size()) << name;
      for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
        EXPECT_TRUE(json::equal(ours["Nodes"]["items"][i], items[i])) << name << " item " << i;
      }
    } else {
      EXPECT_TRUE(ours["Nodes"].IsNull()) << name;
    }
  }
}

TEST(ResponseFixtureTest, PrioritizePreemptAndBindAnswersMatchTheCapturedShapes) {
  BERTH_REQUIRE_FIXTURES();
  auto prio_args = parse_extender_args(
      *testing::read_fixture("extender/lab-verify-cache-prioritize-1.request.json"));
  ASSERT_TRUE(prio_args.ok());
  std::vector<std::int64_t> scores = {10, 1};
  json::Document prio = parse_json(encode_host_priority_list(prio_args->node_names, scores));
  auto captured_prio =
      testing::read_fixture_json("extender/lab-verify-cache-prioritize-1.response.json");
  EXPECT_TRUE(json::equal(prio, *captured_prio));

  auto pre_args =
      parse_preemption_args(*testing::read_fixture("extender/preempt-02-cache.request.json"));
  ASSERT_TRUE(pre_args.ok());
  std::vector<PreemptionNode> nodes;
  for (const auto& [node, victims] : pre_args->nodes) {
    nodes.push_back({node, victims.pod_uids, victims.num_pdb_violations});
  }
  json::Document pre = parse_json(encode_preemption_result(nodes));
  EXPECT_TRUE(
      json::equal(pre, *testing::read_fixture_json("extender/preempt-02-cache.response.json")));

  json::Document bind = parse_json(encode_error(""));
  EXPECT_TRUE(
      json::equal(bind, *testing::read_fixture_json("extender/bind-01-victim.response.json")));
}

}  // namespace
}  // namespace berth::extender::protocol
