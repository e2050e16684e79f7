// NodeAffinity and TaintToleration against hand-computed kube-scheduler v1.26 results.
#include <gtest/gtest.h>

#include "scheduler-extender/policies/node_affinity.h"
#include "scheduler-extender/policies/taint_toleration.h"
#include "tests/unit/scheduler-extender/support/builders.h"

namespace berth::extender {
namespace {

using test::labels;
using test::node;
using test::pod;

NodeSelectorRequirementSpec req(std::string key, std::string op, std::vector<std::string> v = {}) {
  return {std::move(key), std::move(op), std::move(v)};
}

class NodeAffinityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c.add(node("n1", labels({{"zone", "a"}, {"disk", "ssd"}, {"cores", "16"}})));
    c.add(node("n2", labels({{"zone", "b"}, {"disk", "ssd"}, {"cores", "4"}})));
    c.add(node("n3", labels({{"zone", "c"}})));
  }
  test::Cluster c;
  std::vector<std::string> all = {"n1", "n2", "n3"};
  NodeAffinityPolicy policy;
};

TEST_F(NodeAffinityTest, NodeSelectorAndRequiredTermsAreAnded) {
  PodSpec p = pod("ns", "p", {});
  p.node_selector = labels({{"disk", "ssd"}});
  NodeSelectorSpec required;
  required.terms.push_back({{req("zone", "In", {"b", "c"})}, {}});
  required.terms.push_back({{req("cores", "Gt", {"8"})}, {}});
  p.required_node_affinity = required;
  auto got = test::evaluate(policy, c.state, p, all, false);
  // n1: ssd and cores>8 (second term); n2: ssd and zone b; n3: no disk label.
  EXPECT_EQ(got.reasons,
            (std::vector<std::string>{"", "", std::string(NodeAffinityPolicy::kNotMatch)}));
  EXPECT_TRUE(got.unresolvable[2]);
}

TEST_F(NodeAffinityTest, NodeSelectorValueUnknownToTheCacheMatchesNothing) {
  PodSpec p = pod("ns", "p", {});
  p.node_selector = labels({{"disk", "nvme"}});
  auto got = test::evaluate(policy, c.state, p, all, false);
  for (const std::string& r : got.reasons)
    EXPECT_EQ(r, NodeAffinityPolicy::kNotMatch);
}

TEST_F(NodeAffinityTest, PreferredTermsScoreByWeightThenScaleByTheMaximum) {
  PodSpec p = pod("ns", "p", {});
  p.preferred_node_affinity = {{30, {{req("disk", "Exists")}, {}}},
                               {20, {{}, {req("metadata.name", "In", {"n1"})}}},
                               {0, {{req("zone", "In", {"c"})}, {}}},  // weight 0: ignored
                               {50, {}}};                              // empty: ignored
  auto got = test::evaluate(policy, c.state, p, all, false);
  ASSERT_TRUE(got.scored);
  EXPECT_EQ(got.raw, (std::vector<std::int64_t>{50, 30, 0}));
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{100, 60, 0}));  // 100*30/50
}

TEST_F(NodeAffinityTest, NoPreferencesNoOpinion) {
  auto got = test::evaluate(policy, c.state, pod("ns", "p", {}), all, false);
  EXPECT_FALSE(got.scored);
  EXPECT_EQ(got.reasons, (std::vector<std::string>{"", "", ""}));
}

class TaintTest : public ::testing::Test {
 protected:
  NodeSpec tainted(std::string name, std::vector<TaintSpec> taints, bool cordoned = false) {
    NodeSpec n = node(std::move(name), {});
    n.taints = std::move(taints);
    n.unschedulable = cordoned;
    return n;
  }
  test::Cluster c;
  TaintTolerationPolicy policy;
};

TEST_F(TaintTest, UntoleratedNoScheduleAndNoExecuteFail) {
  c.add(tainted("gpu", {{"gpu", "true", "NoSchedule"}}));
  c.add(tainted("drain", {{"maintenance", "", "NoExecute"}}));
  c.add(tainted("soft", {{"spot", "yes", "PreferNoSchedule"}}));
  c.add(tainted("cordoned", {}, true));
  std::vector<std::string> all = {"gpu", "drain", "soft", "cordoned"};
  auto got = test::evaluate(policy, c.state, pod("ns", "p", {}), all, false);
  EXPECT_EQ(got.reasons,
            (std::vector<std::string>{"node(s) had untolerated taint {gpu: true}",
                                      "node(s) had untolerated taint {maintenance: }", "",
                                      std::string(TaintTolerationPolicy::kUnschedulable)}));

  PodSpec tolerant = pod("ns", "t", {});
  tolerant.tolerations = {{"gpu", "Equal", "true", "NoSchedule"},
                          {"maintenance", "Exists", "", ""},
                          {"node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule"}};
  got = test::evaluate(policy, c.state, tolerant, all, false);
  EXPECT_EQ(got.reasons, (std::vector<std::string>{"", "", "", ""}));

  PodSpec wrong_value = pod("ns", "w", {});
  wrong_value.tolerations = {{"gpu", "Equal", "false", "NoSchedule"},
                             {"maintenance", "Exists", "", "NoSchedule"}};  // wrong effect
  got = test::evaluate(policy, c.state, wrong_value, all, false);
  EXPECT_NE(got.reasons[0], "");
  EXPECT_NE(got.reasons[1], "");

  PodSpec everything = pod("ns", "e", {});
  everything.tolerations = {{"", "Exists", "", ""}};
  got = test::evaluate(policy, c.state, everything, all, false);
  EXPECT_EQ(got.reasons, (std::vector<std::string>{"", "", "", ""}));
}

TEST_F(TaintTest, PreferNoScheduleTaintsScoreReversed) {
  c.add(tainted("none", {}));
  c.add(tainted("one", {{"a", "1", "PreferNoSchedule"}}));
  c.add(tainted("two", {{"a", "1", "PreferNoSchedule"}, {"b", "", "PreferNoSchedule"}}));
  std::vector<std::string> all = {"none", "one", "two"};
  auto got = test::evaluate(policy, c.state, pod("ns", "p", {}), all, false);
  EXPECT_EQ(got.raw, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{100, 50, 0}));

  PodSpec tolerant = pod("ns", "t", {});
  tolerant.tolerations = {{"b", "Exists", "", "PreferNoSchedule"},
                          {"a", "Equal", "1", "NoSchedule"}};  // other effect: no help
  got = test::evaluate(policy, c.state, tolerant, all, false);
  EXPECT_EQ(got.raw, (std::vector<std::int64_t>{0, 1, 1}));
}

}  // namespace
}  // namespace berth::extender
