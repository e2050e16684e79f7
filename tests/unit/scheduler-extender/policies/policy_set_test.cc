#include "scheduler-extender/policies/policy_set.h"

#include <gtest/gtest.h>

#include "scheduler-extender/policies/inter_pod_affinity.h"
#include "scheduler-extender/policies/node_affinity.h"
#include "scheduler-extender/policies/resource_fit.h"
#include "scheduler-extender/policies/taint_toleration.h"
#include "tests/unit/scheduler-extender/support/builders.h"

namespace berth::extender {
namespace {

using test::labels;
using test::node;
using test::pod;
using test::term;

const std::string kHost = "kubernetes.io/hostname";
const std::string kZone = "topology.kubernetes.io/zone";

std::vector<WeightedPolicy> standard(std::int64_t affinity_weight = 2) {
  std::vector<WeightedPolicy> p;
  p.push_back({std::make_unique<NodeAffinityPolicy>(), 1});
  p.push_back({std::make_unique<TaintTolerationPolicy>(), 1});
  p.push_back({std::make_unique<InterPodAffinityPolicy>(), affinity_weight});
  p.push_back({std::make_unique<ResourceFitPolicy>(ResourceFitOptions{}), 1});
  return p;
}

class PolicySetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c.add(node("n1", labels({{kHost, "n1"}, {kZone, "a"}, {"disk", "ssd"}})));
    c.add(node("n2", labels({{kHost, "n2"}, {kZone, "a"}})));
    c.add(node("n3", labels({{kHost, "n3"}, {kZone, "b"}, {"disk", "ssd"}}), 1000));
    c.add(test::with_requests(pod("ns", "web-0", labels({{"app", "web"}}), "n1"), 500, 0));
  }
  test::Cluster c;
  std::vector<std::string_view> names = {"n1", "n2", "n3", "ghost"};
};

TEST_F(PolicySetTest, FilterReportsTheFirstFailingPolicyPerNode) {
  PolicySet set(c.state, standard());
  PodSpec p = test::with_requests(pod("ns", "web-1", labels({{"app", "web"}})), 2000, 0);
  p.node_selector = labels({{"disk", "ssd"}});
  p.required_anti_affinity = {term("app=web", kHost)};
  FilterOutcome out = set.filter(p, names);
  EXPECT_TRUE(out.passed.empty());
  ASSERT_EQ(out.failed.size(), 4u);
  EXPECT_EQ(out.reasons[out.failed[0].reason], InterPodAffinityPolicy::kAntiAffinityRulesNotMatch);
  EXPECT_FALSE(out.failed[0].unresolvable);
  EXPECT_EQ(out.reasons[out.failed[1].reason], NodeAffinityPolicy::kNotMatch);
  EXPECT_TRUE(out.failed[1].unresolvable);
  EXPECT_EQ(out.reasons[out.failed[2].reason], "Insufficient cpu");
  EXPECT_EQ(out.reasons[out.failed[3].reason], PolicySet::unknown_node_reason("ghost"));
  const Decision& d = out.decision;
  EXPECT_EQ(d.verb, "filter");
  EXPECT_EQ(d.candidates, 4u);
  EXPECT_EQ(d.feasible, 0u);
  EXPECT_EQ(d.reasons.at("Insufficient cpu"), 1u);
  ASSERT_EQ(d.nodes.size(), 4u);
  EXPECT_EQ(d.nodes[0].policy, InterPodAffinityPolicy::kName);
  // The anti-affinity term's view is registered for the next pod.
  EXPECT_EQ(c.state.stats().views, 1u);
}

TEST_F(PolicySetTest, FilterAllFailsEveryFeasibleNode) {
  PolicySet set(c.state, standard());
  PodSpec member =
      test::with_requests(pod("ns", "m", labels({{"berth.dev/pod-group", "g"}})), 900, 0);
  member.min_members = 20;
  FilterOutcome out = set.filter(member, std::vector<std::string_view>{"n1", "n2", "n3"});
  EXPECT_TRUE(out.passed.empty());
  ASSERT_EQ(out.failed.size(), 3u);
  EXPECT_NE(out.reasons[out.failed[0].reason].find("pod group ns/g needs 20"), std::string::npos);
}

TEST_F(PolicySetTest, PrioritizeWeighsOnlyPoliciesWithAPreference) {
  PolicySet set(c.state, standard(2));
  PodSpec p = test::with_requests(pod("ns", "api", labels({{"app", "api"}})), 0, 0);
  p.preferred_affinity = {test::weighted(10, term("app=web", kZone))};
  PrioritizeOutcome out = set.prioritize(p, names);
  // InterPodAffinity (w2): n1 100, n2 100, n3 0. ResourceFit (w1, LeastAllocated, scoring
  // defaults 100m/200Mi for this pod): n1 cpu (4000-600)/4000=85, mem (8Gi-400Mi)/8Gi=95 ->
  // 90; n2 cpu 97, mem 97 -> 97; n3 cpu (1000-100)/1000=90, mem 97 -> 93. NodeAffinity and
  // TaintToleration have no preference. Sum/3, then to 0..10:
  //   n1 (200+90)/3 = 96.7 -> 10; n2 (200+97)/3 = 99 -> 10; n3 93/3 = 31 -> 3.
  EXPECT_EQ(out.scores, (std::vector<std::int64_t>{10, 10, 3, 0}));
  const Decision& d = out.decision;
  EXPECT_EQ(d.policies, (std::vector<std::string>{"InterPodAffinity", "ResourceFit"}));
  EXPECT_EQ(d.weights, (std::vector<std::int64_t>{2, 1}));
  ASSERT_GE(d.nodes.size(), 3u);
  EXPECT_EQ(d.nodes[0].node, "n2");  // best first
  EXPECT_EQ(d.nodes[0].scores.at(1).normalized, 97);
}

TEST_F(PolicySetTest, PrioritizeWithNoPreferenceIsAllZero) {
  std::vector<WeightedPolicy> only;
  only.push_back({std::make_unique<InterPodAffinityPolicy>(), 1});
  PolicySet set(c.state, std::move(only));
  PrioritizeOutcome out = set.prioritize(pod("ns", "x", {}), names);
  EXPECT_EQ(out.scores, (std::vector<std::int64_t>{0, 0, 0, 0}));
  EXPECT_TRUE(out.decision.policies.empty());
}

TEST_F(PolicySetTest, AffinityAloneMapsKubeSchedulerScoresOntoZeroToTen) {
  std::vector<WeightedPolicy> only;
  only.push_back({std::make_unique<InterPodAffinityPolicy>(), 1});
  PolicySet set(c.state, std::move(only));
  c.add(pod("ns", "cache", labels({{"app", "cache"}}), "n3"));
  PodSpec p = pod("ns", "api", labels({{"app", "api"}}));
  p.preferred_affinity = {test::weighted(3, term("app=web", kHost)),
                          test::weighted(1, term("app=cache", kZone))};
  // raw n1 3, n2 0, n3 1 -> normalized 100, 0, 33 -> 10, 0, 3.
  EXPECT_EQ(set.prioritize(p, std::vector<std::string_view>{"n1", "n2", "n3"}).scores,
            (std::vector<std::int64_t>{10, 0, 3}));
}

TEST_F(PolicySetTest, PreemptDropsNodesWhereEvictionsDoNotHelp) {
  PolicySet set(c.state, standard());
  c.add(test::with_requests(pod("ns", "db-0", labels({{"app", "db"}}), "n2"), 3500, 0));
  PodSpec p = test::with_requests(pod("ns", "web-1", labels({{"app", "web"}})), 1000, 0);
  p.required_anti_affinity = {term("app=web", kHost)};
  std::vector<std::string_view> n1_victims = {"ns/web-0"};
  std::vector<std::string_view> n2_victims = {"ns/db-0"};
  std::vector<std::string_view> n2_wrong = {"ns/web-0"};  // not on n2: ignored
  std::vector<PreemptionCandidate> candidates = {
      {"n1", n1_victims}, {"n2", n2_victims}, {"n2", n2_wrong}, {"ghost", {}}};
  PreemptOutcome out = set.preempt(p, candidates);
  // n1: evicting web-0 clears both anti-affinity and cpu; n2: evicting db-0 frees cpu;
  // n2 with web-0 named: nothing freed there; ghost: unknown, kept.
  EXPECT_EQ(out.kept, (std::vector<std::uint32_t>{0, 1, 3}));
  ASSERT_EQ(out.decision.nodes.size(), 1u);
  EXPECT_EQ(out.decision.nodes[0].reason, "Insufficient cpu");

  // Without the anti-affinity victim, n1 stays infeasible.
  std::vector<PreemptionCandidate> none = {{"n1", {}}};
  EXPECT_TRUE(set.preempt(p, none).kept.empty());
}

}  // namespace
}  // namespace berth::extender
