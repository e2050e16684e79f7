#include "kube/cache/indexers.h"

#include <gtest/gtest.h>

#include "tests/unit/kube/cache/test_objects.h"

namespace kube {
namespace {

using berth::testing::pod;
using V = std::vector<std::string>;

TEST(IndexersTest, Namespace) {
  EXPECT_EQ(indexers::namespace_(pod("a", "p", "1")), V{"a"});
  auto node = Object::parse(R"({"kind":"Node","metadata":{"name":"n1"}})").value();
  EXPECT_EQ(indexers::namespace_(node), V{});
}

TEST(IndexersTest, PodNodeName) {
  EXPECT_EQ(indexers::pod_node_name(pod("a", "p", "1", "node-3")), V{"node-3"});
  EXPECT_EQ(indexers::pod_node_name(pod("a", "p", "1")), V{});
  auto no_spec = Object::parse(R"({"metadata":{"name":"x"}})").value();
  EXPECT_EQ(indexers::pod_node_name(no_spec), V{});
}

TEST(IndexersTest, OwnerUidListsEveryOwner) {
  auto o = Object::parse(R"({"metadata":{"name":"x","ownerReferences":[
      {"uid":"u1","controller":true},{"uid":"u2"},{"name":"no-uid"},"garbage"]}})")
               .value();
  EXPECT_EQ(indexers::owner_uid(o), (V{"u1", "u2"}));
  EXPECT_EQ(indexers::owner_uid(pod("a", "p", "1")), V{});
  auto bad = Object::parse(R"({"metadata":{"name":"x","ownerReferences":{}}})").value();
  EXPECT_EQ(indexers::owner_uid(bad), V{});
}

TEST(IndexersTest, ByLabel) {
  auto fn = indexers::by_label("app");
  EXPECT_EQ(fn(pod("a", "p", "1", "", "web")), V{"web"});
  EXPECT_EQ(fn(pod("a", "p", "1")), V{});
  EXPECT_EQ(indexers::label_index_name("app.kubernetes.io/name"), "label:app.kubernetes.io/name");
}

}  // namespace
}  // namespace kube
