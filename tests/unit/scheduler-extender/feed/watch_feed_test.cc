#include "scheduler-extender/feed/watch_feed.h"

#include <gtest/gtest.h>

#include "scheduler-extender/feed/synthetic.h"

namespace berth::extender {
namespace {

using Type = kube::WatcherEvent::Type;

kube::WatcherEvent event(Type type, std::string_view json = "") {
  kube::WatcherEvent e;
  e.type = type;
  if (!json.empty()) {
    auto o = kube::Object::parse(json);
    EXPECT_TRUE(o.ok()) << json;
    e.object = *o;
  }
  return e;
}

constexpr std::string_view kNode =
    R"({"kind":"Node","metadata":{"name":"n1","labels":{"kubernetes.io/hostname":"n1"}},)"
    R"("status":{"allocatable":{"cpu":"4","memory":"8Gi","pods":"110"}}})";

std::string pod_json(std::string_view name, std::string_view node, std::string_view phase) {
  return R"({"kind":"Pod","metadata":{"name":")" + std::string(name) +
         R"(","namespace":"ns","uid":"uid-)" + std::string(name) +
         R"(","labels":{"app":"web"}},"spec":{"nodeName":")" + std::string(node) +
         R"(","containers":[{"name":"c","resources":{"requests":{"cpu":"1"}}}]},)"
         R"("status":{"phase":")" +
         std::string(phase) + R"("}})";
}

TEST(WatchFeedTest, ListsAndWatchEventsReachTheState) {
  ClusterState s;
  apply_watch_event(s, ObjectKind::kNode, event(Type::kInitStart));
  apply_watch_event(s, ObjectKind::kNode, event(Type::kInitObject, kNode));
  EXPECT_FALSE(s.synced(ObjectKind::kNode));
  apply_watch_event(s, ObjectKind::kNode, event(Type::kInitDone));
  EXPECT_TRUE(s.synced(ObjectKind::kNode));

  apply_watch_event(s, ObjectKind::kPod, event(Type::kInitStart));
  apply_watch_event(s, ObjectKind::kPod, event(Type::kInitObject, pod_json("a", "n1", "Running")));
  apply_watch_event(s, ObjectKind::kPod, event(Type::kInitDone));
  apply_watch_event(s, ObjectKind::kPod, event(Type::kAdded, pod_json("b", "n1", "Pending")));
  {
    auto r = s.read();
    EXPECT_EQ(r.node(r.find_node("n1")).requested.milli_cpu, 2000);
  }
  // Finished pods release their node; deletes remove them.
  apply_watch_event(s, ObjectKind::kPod, event(Type::kModified, pod_json("b", "n1", "Succeeded")));
  apply_watch_event(s, ObjectKind::kPod, event(Type::kDeleted, pod_json("a", "n1", "Running")));
  EXPECT_EQ(s.stats().pods, 0u);
  apply_watch_event(s, ObjectKind::kPod, event(Type::kBookmark));

  // A relist after a lost watch: what it no longer has is gone.
  apply_watch_event(s, ObjectKind::kNode, event(Type::kInitStart));
  apply_watch_event(s, ObjectKind::kNode, event(Type::kInitDone));
  EXPECT_EQ(s.stats().nodes, 0u);
}

TEST(WatchFeedTest, NamespacesClaimsVolumesAndClasses) {
  ClusterState s;
  apply_watch_event(s, ObjectKind::kNamespace,
                    event(Type::kAdded, R"({"metadata":{"name":"team","labels":{"env":"prod"}}})"));
  apply_watch_event(
      s, ObjectKind::kPersistentVolumeClaim,
      event(
          Type::kAdded,
          R"({"metadata":{"name":"data","namespace":"team","annotations":{"berth.dev/data-location":"{\"nodes\":[\"n1\"]}"}},"spec":{"volumeName":"pv1"}})"));
  apply_watch_event(s, ObjectKind::kPersistentVolume,
                    event(Type::kAdded, R"({"metadata":{"name":"pv1"}})"));
  apply_watch_event(s, ObjectKind::kStorageClass,
                    event(Type::kAdded, R"({"metadata":{"name":"fast"}})"));
  {
    auto r = s.read();
    EXPECT_EQ(r.namespaces_matching(*kube::LabelSelector::parse("env=prod")),
              std::vector<std::string>{"team"});
    const PvcSpec* claim = r.claim("team", "data");
    ASSERT_NE(claim, nullptr);
    ASSERT_TRUE(claim->data_location.has_value());
    EXPECT_EQ(claim->data_location->nodes, std::vector<std::string>{"n1"});
    EXPECT_NE(r.volume("pv1"), nullptr);
    EXPECT_NE(r.storage_class("fast"), nullptr);
  }
  apply_watch_event(s, ObjectKind::kPersistentVolumeClaim,
                    event(Type::kDeleted, R"({"metadata":{"name":"data","namespace":"team"}})"));
  EXPECT_EQ(s.read().claim("team", "data"), nullptr);
}

TEST(WatchFeedTest, ObjectsThatDoNotDecodeAreSkipped) {
  ClusterState s;
  auto w = s.write();
  EXPECT_FALSE(
      apply_object(w, ObjectKind::kNode, *kube::Object::parse(R"({"metadata":{}})"), false));
  EXPECT_TRUE(apply_object(w, ObjectKind::kNode, *kube::Object::parse(kNode), false));
}

TEST(WatchFeedTest, WatchesBoundUnfinishedPodsOnly) {
  kube::WatcherOptions pods = watch_options(ObjectKind::kPod);
  EXPECT_EQ(pods.type.plural, "pods");
  EXPECT_EQ(pods.field_selector, "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed");
  EXPECT_EQ(watch_options(ObjectKind::kStorageClass).type.group, "storage.k8s.io");
}

TEST(SyntheticTest, PopulatesTheShape) {
  ClusterState s;
  SyntheticCluster shape{200, 3000, 7};
  populate(s, shape);
  ClusterStats st = s.stats();
  EXPECT_EQ(st.nodes, 200u);
  EXPECT_EQ(st.pods, 3000u);
  EXPECT_EQ(st.namespaces, 50u);
  EXPECT_TRUE(s.synced(ObjectKind::kPod));
  EXPECT_GT(st.term_groups, 0u);
  auto body = synthetic_extender_args(shape, 10);
  EXPECT_NE(body.find(R"("NodeNames":["node-00000",)"), std::string::npos);
}

}  // namespace
}  // namespace berth::extender
