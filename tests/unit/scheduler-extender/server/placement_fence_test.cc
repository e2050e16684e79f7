#include "scheduler-extender/server/placement_fence.h"

#include <gtest/gtest.h>

#include <set>

#include "kube/api/selector.h"

namespace berth::extender {
namespace {

using namespace std::chrono_literals;

PodSpec pod(std::string uid, bool anti_affinity) {
  PodSpec p;
  p.uid = std::move(uid);
  if (anti_affinity) {
    PodAffinityTermSpec t;
    t.selector = *kube::LabelSelector::parse("app=web");
    t.topology_key = "kubernetes.io/hostname";
    p.required_anti_affinity = {t};
  }
  return p;
}

TEST(PlacementFence, PodsWithoutInterPodTermsNeverWait) {
  PlacementFence fence(10s);
  fence.expect(pod("a", false));
  int calls = 0;
  auto missing = fence.wait(pod("b", false), [&](std::string_view) {
    ++calls;
    return false;
  });
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(fence.pending(), 1u);  // still expected, for a pod that does care
}

TEST(PlacementFence, WaitsUntilTheEarlierPodIsPlaced) {
  PlacementFence fence(10s);
  fence.expect(pod("a", true));
  int calls = 0;
  // Placed on the fourth look: the fence must keep looking rather than give up or go ahead.
  auto missing = fence.wait(pod("b", true), [&](std::string_view uid) {
    EXPECT_EQ(uid, "a");
    return ++calls >= 4;
  });
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(fence.pending(), 0u);
}

TEST(PlacementFence, AnEarlierPodWithAntiAffinityHoldsBackAPodWithoutTerms) {
  // Symmetry: the earlier pod's anti-affinity can exclude nodes for the next one.
  PlacementFence fence(10s);
  fence.expect(pod("a", true));
  int calls = 0;
  auto missing = fence.wait(pod("b", false), [&](std::string_view) { return ++calls >= 2; });
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(calls, 2);
}

TEST(PlacementFence, APodThatIsNeverPlacedHoldsOthersBackOnlyOnce) {
  PlacementFence fence(20ms);
  fence.expect(pod("lost", true));
  auto missing = fence.wait(pod("b", true), [](std::string_view) { return false; });
  EXPECT_EQ(missing, std::vector<std::string>{"lost"});
  EXPECT_EQ(fence.pending(), 0u);
  int calls = 0;
  EXPECT_TRUE(fence
                  .wait(pod("c", true),
                        [&](std::string_view) {
                          ++calls;
                          return false;
                        })
                  .empty());
  EXPECT_EQ(calls, 0);
}

TEST(PlacementFence, APodNeverWaitsForItself) {
  PlacementFence fence(10s);
  fence.expect(pod("a", true));
  // kube-scheduler retrying the same pod: its earlier filter is no placement to wait for.
  EXPECT_TRUE(fence.wait(pod("a", true), [](std::string_view) { return false; }).empty());
  EXPECT_EQ(fence.pending(), 0u);
}

TEST(PlacementFence, ZeroWaitDisablesIt) {
  PlacementFence fence(0ms);
  fence.expect(pod("a", true));
  EXPECT_EQ(fence.pending(), 0u);
  EXPECT_TRUE(fence.wait(pod("b", true), [](std::string_view) { return false; }).empty());
}

}  // namespace
}  // namespace berth::extender
