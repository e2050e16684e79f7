#include "scheduler-extender/state/cluster_state.h"

#include <gtest/gtest.h>

#include "tests/unit/scheduler-extender/support/builders.h"

namespace berth::extender {
namespace {

using test::labels;
using test::node;
using test::pod;
using test::term;

const std::string kHost = "kubernetes.io/hostname";
const std::string kZone = "topology.kubernetes.io/zone";

ViewKey web_by_zone(std::string ns = "ns") {
  ViewClauseKey c;
  c.namespaces = {std::move(ns)};
  c.selector = test::selector("app=web");
  return ViewKey::make({c}, {kZone});
}

std::int64_t count_at(const ClusterState& s, const ViewKey& key, std::string_view zone) {
  auto r = s.read();
  auto view = r.compute_view(key);
  std::int64_t computed = view->count(0, r.strings().find(zone));
  if (const CountView* registered = r.find_view(key.signature)) {
    EXPECT_EQ(registered->count(0, r.strings().find(zone)), computed) << zone;
  }
  return computed;
}

TEST(ClusterStateTest, NodeRequestsFollowBoundPods) {
  ClusterState s;
  s.write().upsert_node(node("n1", labels({{kHost, "n1"}})));
  s.write().upsert_pod(test::with_requests(pod("ns", "a", {}, "n1"), 500, 1 << 20));
  s.write().upsert_pod(test::with_requests(pod("ns", "b", {}, "n1"), 250, 0));
  s.write().upsert_pod(test::with_requests(pod("ns", "pending", {}), 1000, 0));
  {
    auto r = s.read();
    const NodeRecord& n = r.node(r.find_node("n1"));
    EXPECT_EQ(n.requested.milli_cpu, 750);
    EXPECT_EQ(n.requested.memory, 1 << 20);
    EXPECT_EQ(n.nonzero_memory, (1 << 20) + kDefaultMemoryRequest);
    EXPECT_EQ(n.pods.size(), 2u);
    EXPECT_EQ(r.find_pod("ns/pending"), kNoSlot);
  }
  PodSpec done = pod("ns", "a", {}, "n1");
  done.terminal = true;
  s.write().upsert_pod(done);
  auto r = s.read();
  const NodeRecord& n = r.node(r.find_node("n1"));
  EXPECT_EQ(n.requested.milli_cpu, 250);
  EXPECT_EQ(n.pods.size(), 1u);
}

TEST(ClusterStateTest, InternedStringsAreReleasedWithTheirObjects) {
  ClusterState s;
  std::size_t baseline = s.stats().strings;
  s.write().upsert_namespace("team", labels({{"owner", "x"}}));
  s.write().upsert_node(node("n1", labels({{kHost, "n1"}, {kZone, "a"}})));
  PodSpec p = pod("ns", "web-0", labels({{"app", "web"}, {"controller-uid", "1234-5678"}}), "n1");
  p.required_anti_affinity = {term("app=web", kZone, {}, "env=prod")};
  p.preferred_affinity = {test::weighted(3, term("app in (db,cache)", kHost))};
  s.write().upsert_pod(p);
  s.ensure_views(std::vector<ViewKey>{web_by_zone()});
  EXPECT_GT(s.stats().strings, baseline + 8);
  EXPECT_EQ(s.stats().term_groups, 2u);
  // Replacing the pod with itself changes nothing.
  std::size_t with_everything = s.stats().strings;
  s.write().upsert_pod(p);
  EXPECT_EQ(s.stats().strings, with_everything);
  s.write().remove_pod(p.uid);
  s.write().remove_node("n1");
  s.write().remove_namespace("team");
  EXPECT_EQ(s.stats().pods, 0u);
  EXPECT_EQ(s.stats().term_groups, 0u);
  EXPECT_EQ(s.stats().affinity_specs, 0u);
  // Only the registered view's own strings remain (namespace, selector, key).
  EXPECT_EQ(s.stats().strings, baseline + 3);
}

TEST(ClusterStateTest, SharedAffinityIsStoredOnce) {
  ClusterState s;
  s.write().upsert_node(node("n1", labels({{kHost, "n1"}})));
  for (int i = 0; i < 50; ++i) {
    PodSpec p = pod("ns", "web-" + std::to_string(i), labels({{"app", "web"}}), "n1");
    p.required_anti_affinity = {term("app=web", kHost), term("app=web", kHost)};
    s.write().upsert_pod(p);
  }
  EXPECT_EQ(s.stats().affinity_specs, 1u);
  EXPECT_EQ(s.stats().term_groups, 1u);
  auto r = s.read();
  Labels incoming = lookup_labels(labels({{"app", "web"}}), r.strings());
  std::int64_t carriers = -1;
  r.for_each_group_selecting(incoming, r.strings().find("ns"), {}, [&](Slot, const TermGroup& g) {
    carriers = g.counts.get(r.strings().find("n1"));
  });
  EXPECT_EQ(carriers, 100);  // 50 pods, the term twice each, as kube-scheduler counts it
}

TEST(ClusterStateTest, ViewsFollowPodsNodesAndLabels) {
  ClusterState s;
  ViewKey key = web_by_zone();
  s.ensure_views(std::vector<ViewKey>{key});
  s.write().upsert_node(node("n1", labels({{kHost, "n1"}, {kZone, "a"}})));
  s.write().upsert_pod(pod("ns", "w1", labels({{"app", "web"}}), "n1"));
  s.write().upsert_pod(pod("other", "w2", labels({{"app", "web"}}), "n1"));
  s.write().upsert_pod(pod("ns", "d1", labels({{"app", "db"}}), "n1"));
  EXPECT_EQ(count_at(s, key, "a"), 1);

  // A pod bound to a node the cache has not seen counts once the node arrives.
  s.write().upsert_pod(pod("ns", "w3", labels({{"app", "web"}}), "n2"));
  EXPECT_EQ(count_at(s, key, "b"), 0);
  s.write().upsert_node(node("n2", labels({{kHost, "n2"}, {kZone, "b"}})));
  EXPECT_EQ(count_at(s, key, "b"), 1);

  // Relabelling a pod moves it in and out of the view.
  s.write().upsert_pod(pod("ns", "d1", labels({{"app", "web"}}), "n1"));
  EXPECT_EQ(count_at(s, key, "a"), 2);
  s.write().upsert_pod(pod("ns", "w1", labels({{"app", "api"}}), "n1"));
  EXPECT_EQ(count_at(s, key, "a"), 1);

  // Relabelling a node moves its pods to the new domain; removing it drops them.
  s.write().upsert_node(node("n2", labels({{kHost, "n2"}, {kZone, "a"}})));
  EXPECT_EQ(count_at(s, key, "a"), 2);
  EXPECT_EQ(count_at(s, key, "b"), 0);
  s.write().remove_node("n2");
  EXPECT_EQ(count_at(s, key, "a"), 1);
  EXPECT_EQ(s.stats().pods, 4u);  // pods stay, bound to a node the cache no longer has
}

TEST(ClusterStateTest, LeastRecentlyUsedViewsAreEvicted) {
  ClusterState s(ClusterStateOptions{.max_views = 2});
  ViewKey a = web_by_zone("a"), b = web_by_zone("b"), c = web_by_zone("c");
  s.ensure_views(std::vector<ViewKey>{a});
  s.ensure_views(std::vector<ViewKey>{b});
  EXPECT_NE(s.read().find_view(a.signature), nullptr);  // a is now more recent than b
  s.ensure_views(std::vector<ViewKey>{c});
  auto r = s.read();
  EXPECT_EQ(s.stats().views, 2u);
  EXPECT_NE(r.find_view(a.signature), nullptr);
  EXPECT_EQ(r.find_view(b.signature), nullptr);
  EXPECT_NE(r.find_view(c.signature), nullptr);
}

TEST(ClusterStateTest, RelistRemovesWhatTheListNoLongerHas) {
  ClusterState s;
  s.write().upsert_node(node("n1", labels({{kHost, "n1"}})));
  s.write().upsert_node(node("n2", labels({{kHost, "n2"}})));
  s.write().upsert_pod(pod("ns", "keep", {}, "n1"));
  s.write().upsert_pod(pod("ns", "gone", {}, "n1"));
  s.write().upsert_namespace("old", {});
  s.write().upsert_claim({"ns", "data", "", "", std::nullopt, ""});
  EXPECT_FALSE(s.synced(ObjectKind::kPod));
  {
    auto w = s.write();
    w.begin_relist(ObjectKind::kPod);
    w.upsert_pod(pod("ns", "keep", {}, "n1"));
    w.end_relist(ObjectKind::kPod);
    w.begin_relist(ObjectKind::kNode);
    w.upsert_node(node("n1", labels({{kHost, "n1"}})));
    w.end_relist(ObjectKind::kNode);
    w.begin_relist(ObjectKind::kNamespace);
    w.end_relist(ObjectKind::kNamespace);
    w.begin_relist(ObjectKind::kPersistentVolumeClaim);
    w.end_relist(ObjectKind::kPersistentVolumeClaim);
  }
  EXPECT_TRUE(s.synced(ObjectKind::kPod));
  EXPECT_TRUE(s.synced(ObjectKind::kNode));
  ClusterStats st = s.stats();
  EXPECT_EQ(st.pods, 1u);
  EXPECT_EQ(st.nodes, 1u);
  EXPECT_EQ(st.namespaces, 0u);
  EXPECT_EQ(st.claims, 0u);
}

TEST(ClusterStateTest, AssumedPodsUntilTheWatchConfirmsOrTheyExpire) {
  ClusterState s;
  s.write().upsert_node(node("n1", labels({{kHost, "n1"}})));
  auto now = kube::SystemTime{} + std::chrono::hours(1000);
  PodSpec p = test::with_requests(pod("ns", "web", labels({{"app", "web"}})), 100, 0);
  s.write().assume_pod(p, "n1", now + std::chrono::seconds(30));
  EXPECT_EQ(s.stats().assumed_pods, 1u);
  {
    auto r = s.read();
    EXPECT_EQ(r.node(r.find_node("n1")).requested.milli_cpu, 100);
  }
  // The watch's stale, still-pending version does not undo the placement...
  s.write().upsert_pod(p);
  EXPECT_EQ(s.stats().pods, 1u);
  // ...a relist that predates the binding neither...
  {
    auto w = s.write();
    w.begin_relist(ObjectKind::kPod);
    w.end_relist(ObjectKind::kPod);
  }
  EXPECT_EQ(s.stats().pods, 1u);
  EXPECT_EQ(s.write().expire_assumed(now), 0u);
  EXPECT_EQ(s.write().expire_assumed(now + std::chrono::seconds(31)), 1u);
  EXPECT_EQ(s.stats().pods, 0u);

  // Confirmed by the watch: no longer assumed, never expires.
  s.write().assume_pod(p, "n1", now);
  PodSpec bound = p;
  bound.node_name = "n1";
  s.write().upsert_pod(bound);
  EXPECT_EQ(s.stats().assumed_pods, 0u);
  EXPECT_EQ(s.write().expire_assumed(now + std::chrono::hours(1)), 0u);
  s.write().forget_assumed(p.uid);
  EXPECT_EQ(s.stats().pods, 1u);
}

TEST(ClusterStateTest, PodGroupsCountBoundMembers) {
  ClusterState s;
  s.write().upsert_node(node("n1", labels({{kHost, "n1"}})));
  for (int i = 0; i < 3; ++i) {
    s.write().upsert_pod(
        pod("ns", "m" + std::to_string(i), labels({{"berth.dev/pod-group", "train"}}), "n1"));
  }
  s.write().upsert_pod(pod("other", "m", labels({{"berth.dev/pod-group", "train"}}), "n1"));
  EXPECT_EQ(s.read().pod_group_members("ns", "train"), 3u);
  s.write().remove_pod("ns/m0");
  EXPECT_EQ(s.read().pod_group_members("ns", "train"), 2u);
  EXPECT_EQ(s.read().pod_group_members("ns", "absent"), 0u);
}

TEST(ClusterStateTest, NamespacesMatchingASelector) {
  ClusterState s;
  s.write().upsert_namespace("a", labels({{"team", "x"}}));
  s.write().upsert_namespace("b", labels({{"team", "y"}}));
  s.write().upsert_namespace("c", labels({{"team", "x"}, {"tier", "1"}}));
  EXPECT_EQ(s.read().namespaces_matching(test::selector("team=x")),
            (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(s.read().namespaces_matching(test::selector("team=z")), std::vector<std::string>{});
}

}  // namespace
}  // namespace berth::extender
