#include "scheduler-extender/policies/resource_fit.h"

#include <gtest/gtest.h>

#include "tests/unit/scheduler-extender/support/builders.h"

namespace berth::extender {
namespace {

using test::labels;
using test::node;
using test::pod;
using test::with_requests;
using Strategy = ResourceFitOptions::Strategy;

constexpr std::int64_t kGi = 1LL << 30;

class ResourceFitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 4 CPUs, 8Gi each; n1 half used, n2 empty, n3 CPU-heavy, n4 nearly full of pods.
    c.add(node("n1", {}));
    c.add(node("n2", {}));
    c.add(node("n3", {}));
    c.add(node("n4", {}, 4000, 8 * kGi, 2));
    c.add(with_requests(pod("ns", "a", {}, "n1"), 1000, 2 * kGi));
    c.add(with_requests(pod("ns", "b", {}, "n3"), 3000, 0));
    c.add(with_requests(pod("ns", "c", {}, "n4"), 100, kGi));
    c.add(with_requests(pod("ns", "d", {}, "n4"), 100, kGi));
  }
  test::Cluster c;
  std::vector<std::string> all = {"n1", "n2", "n3", "n4"};
};

TEST_F(ResourceFitTest, FilterNamesEveryMissingResource) {
  ResourceFitPolicy policy({});
  // 3.5 CPUs and 7Gi: n1 has 3 CPUs and 6Gi free, n3 1 CPU, n4 no pod slot and 6Gi.
  auto got =
      test::evaluate(policy, c.state, with_requests(pod("ns", "p", {}), 3500, 7 * kGi), all, false);
  EXPECT_EQ(got.reasons,
            (std::vector<std::string>{"Insufficient cpu, Insufficient memory", "",
                                      "Insufficient cpu", "Too many pods, Insufficient memory"}));
  EXPECT_FALSE(got.unresolvable[0]);  // preemption can free resources
}

TEST_F(ResourceFitTest, ExtendedResourcesAndIgnoredOnes) {
  NodeSpec gpu = node("gpu", {});
  gpu.allocatable.add_scalar("example.com/gpu", 2);
  c.add(gpu);
  PodSpec p = with_requests(pod("ns", "p", {}), 100, kGi);
  p.requests.requests.add_scalar("example.com/gpu", 1);
  p.requests.requests.add_scalar("berth.dev/scheduling", 1);
  ResourceFitPolicy policy({});
  auto got = test::evaluate(policy, c.state, p, {"n2", "gpu"}, false);
  EXPECT_EQ(got.reasons, (std::vector<std::string>{"Insufficient example.com/gpu", ""}));
  ResourceFitOptions strict;
  strict.ignored_resources.clear();
  got = test::evaluate(ResourceFitPolicy(strict), c.state, p, {"n2", "gpu"}, false);
  EXPECT_EQ(got.reasons[1], "Insufficient berth.dev/scheduling");
}

TEST_F(ResourceFitTest, ScoringStrategies) {
  PodSpec p = with_requests(pod("ns", "p", {}), 1000, 2 * kGi);
  std::vector<std::string> three = {"n1", "n2", "n3"};
  // Requested with the pod (scoring counts 200Mi for pod b's missing memory request):
  //   n1: cpu 2000/4000, mem 4Gi/8Gi   n2: 1000/4000, 2Gi/8Gi   n3: 4000/4000, 2Gi+200Mi/8Gi
  // LeastAllocated n3: cpu 0, memory (8Gi - 2.2Gi) * 100 / 8Gi = 72 -> 36.
  ResourceFitOptions least;
  auto got = test::evaluate(ResourceFitPolicy(least), c.state, p, three, false);
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{50, 75, 36}));

  // MostAllocated n3: cpu 100, memory 2.2Gi * 100 / 8Gi = 27 -> 63.
  ResourceFitOptions most;
  most.strategy = Strategy::kMostAllocated;
  got = test::evaluate(ResourceFitPolicy(most), c.state, p, three, false);
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{50, 25, 63}));

  // Balanced uses actual requests: n3 cpu 1.0, mem 0.25 -> std 0.375 -> 62.
  ResourceFitOptions balanced;
  balanced.strategy = Strategy::kBalancedAllocation;
  got = test::evaluate(ResourceFitPolicy(balanced), c.state, p, three, false);
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{100, 100, 62}));
}

TEST_F(ResourceFitTest, WeightedResources) {
  ResourceFitOptions o;
  o.resources = {{"cpu", 3}, {"memory", 1}};
  PodSpec p = with_requests(pod("ns", "p", {}), 1000, 2 * kGi);
  auto got = test::evaluate(ResourceFitPolicy(o), c.state, p, {"n2"}, false);
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{(75 * 3 + 75) / 4}));
  o.resources = {{"cpu", 1}, {"memory", 1}, {"example.com/gpu", 5}};  // not requested: skipped
  got = test::evaluate(ResourceFitPolicy(o), c.state, p, {"n1"}, false);
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{50}));
}

TEST_F(ResourceFitTest, PreemptionFreesTheVictimsResources) {
  ResourceFitPolicy policy({});
  PodSpec p = with_requests(pod("ns", "p", {}), 2000, kGi);
  auto reader = c.state.read();
  PodContext ctx(p, reader);
  auto run = policy.prepare(ctx);
  const NodeRecord& n3 = reader.node(reader.find_node("n3"));
  EXPECT_EQ(run->filter(n3, nullptr).reason, "Insufficient cpu");
  std::vector<Slot> victims = {reader.find_pod("ns/b")};
  Removal removal{victims};
  EXPECT_TRUE(run->filter(n3, &removal).ok());
}

TEST(GangFitTest, MissingMembersMustFitTogether) {
  test::Cluster c;
  c.add(node("n1", {}, 4000, 8 * kGi));
  c.add(node("n2", {}, 4000, 8 * kGi));
  PodSpec member =
      with_requests(pod("ns", "m", labels({{"berth.dev/pod-group", "train"}})), 2000, kGi);
  member.min_members = 5;
  ResourceFitPolicy policy({});
  std::vector<std::string> both = {"n1", "n2"};
  auto check = [&]() {
    auto reader = c.state.read();
    PodContext ctx(member, reader);
    auto run = policy.prepare(ctx);
    std::vector<const NodeRecord*> feasible = {&reader.node(reader.find_node("n1")),
                                               &reader.node(reader.find_node("n2"))};
    return std::string(run->filter_all(feasible).reason);
  };
  // 5 members of 2 CPUs on 2 nodes of 4 CPUs: only 4 fit.
  EXPECT_EQ(check(),
            "pod group ns/train needs 5 more member(s) placed together (0 of 5 placed) but the "
            "feasible nodes fit only 4");
  // Once one member runs, the 4 still missing fit... in the 6 CPUs left? Only 3 do.
  PodSpec placed = member;
  placed.name = "m0";
  placed.uid = "ns/m0";
  placed.node_name = "n1";
  c.add(placed);
  EXPECT_NE(check(), "");
  // A third node makes room.
  c.add(node("n3", {}, 4000, 8 * kGi));
  {
    auto reader = c.state.read();
    PodContext ctx(member, reader);
    auto run = policy.prepare(ctx);
    std::vector<const NodeRecord*> feasible;
    for (const char* n : {"n1", "n2", "n3"})
      feasible.push_back(&reader.node(reader.find_node(n)));
    EXPECT_TRUE(run->filter_all(feasible).ok());
  }
  // The last missing member only needs a node for itself.
  member.min_members = 2;
  EXPECT_EQ(check(), "");
  // A malformed min-members is reported, not guessed.
  member.min_members = 0;
  member.annotation_errors = {"berth.dev/min-members: \"x\" is not a positive integer"};
  EXPECT_NE(check().find("is not a positive integer"), std::string::npos);
}

}  // namespace
}  // namespace berth::extender
