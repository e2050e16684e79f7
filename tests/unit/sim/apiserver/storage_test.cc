#include "sim/apiserver/storage.h"

#include <gtest/gtest.h>

namespace berth::sim {
namespace {

namespace json = kube::json;

json::Document cm(const std::string& ns, const std::string& name, const std::string& value) {
  auto doc = json::parse(R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" + name +
                         R"(","namespace":")" + ns + R"("},"data":{"k":")" + value + "\"}}");
  return std::move(doc).value();
}

class StoreTest : public ::testing::Test {
 protected:
  WatchHub hub{WatchHubOptions{.history = 100}};
  Store store{hub};
};

TEST_F(StoreTest, ResourceVersionsAreOneGlobalCounter) {
  auto a = store.create("/configmaps", "ns/a", cm("ns", "a", "1"));
  auto b = store.create("/secrets", "ns/b", cm("ns", "b", "1"));
  ASSERT_EQ(a.status, Store::Status::kOk);
  EXPECT_EQ(a.object.resource_version(), "1");
  EXPECT_EQ(b.object.resource_version(), "2");
  EXPECT_EQ(store.current_rv(), 2);
  EXPECT_EQ(store.create("/configmaps", "ns/a", cm("ns", "a", "2")).status,
            Store::Status::kAlreadyExists);
}

TEST_F(StoreTest, CompareAndSwapAndNoopUpdates) {
  store.create("/configmaps", "ns/a", cm("ns", "a", "1"));
  EXPECT_EQ(store.update("/configmaps", "ns/a", cm("ns", "a", "2"), 99).status,
            Store::Status::kConflict);
  auto same = store.update("/configmaps", "ns/a", cm("ns", "a", "1"), 1);
  EXPECT_TRUE(same.noop);
  EXPECT_EQ(store.current_rv(), 1);
  auto changed = store.update("/configmaps", "ns/a", cm("ns", "a", "2"), 1);
  EXPECT_FALSE(changed.noop);
  EXPECT_EQ(changed.object.resource_version(), "2");
  EXPECT_EQ(store.update("/configmaps", "ns/missing", cm("ns", "x", "1"), 0).status,
            Store::Status::kNotFound);
}

TEST_F(StoreTest, ListsAreInKeyOrderByPrefix) {
  for (const char* key : {"b/x", "a/z", "a-b/y", "a/y"}) {
    std::string k(key);
    store.create("/configmaps", k, cm(k.substr(0, k.find('/')), k.substr(k.find('/') + 1), "v"));
  }
  auto all = store.list("/configmaps", "");
  std::vector<std::string> keys;
  for (const auto& o : all->items)
    keys.push_back(object_key(o));
  // Byte order, as etcd sorts "/registry/configmaps/<ns>/<name>".
  EXPECT_EQ(keys, (std::vector<std::string>{"a-b/y", "a/y", "a/z", "b/x"}));
  EXPECT_EQ(store.list("/configmaps", "a/")->items.size(), 2u);
}

TEST_F(StoreTest, ListAtAnOlderRevisionUndoesLaterChanges) {
  store.create("/configmaps", "ns/a", cm("ns", "a", "1"));
  store.create("/configmaps", "ns/b", cm("ns", "b", "1"));
  std::int64_t snapshot_rv = store.current_rv();
  store.update("/configmaps", "ns/a", cm("ns", "a", "2"), 0);
  store.remove("/configmaps", "ns/b", 0);
  store.create("/configmaps", "ns/c", cm("ns", "c", "1"));
  auto old = store.list_at("/configmaps", "", snapshot_rv);
  ASSERT_TRUE(old);
  ASSERT_EQ(old->items.size(), 2u);
  EXPECT_EQ(old->items[0].name(), "a");
  EXPECT_EQ(json::get_string(*json::find(old->items[0].json(), "data"), "k"), "1");
  EXPECT_EQ(old->items[1].name(), "b");
  EXPECT_EQ(store.list("/configmaps", "")->items.size(), 2u);
}

TEST_F(StoreTest, ListAtACompactedRevisionIsGone) {
  store.create("/configmaps", "ns/a", cm("ns", "a", "0"));
  for (int i = 0; i < 150; ++i)
    store.update("/configmaps", "ns/a", cm("ns", "a", std::to_string(i + 1)), 0);
  EXPECT_EQ(store.list_at("/configmaps", "", 1), nullptr);
  EXPECT_NE(store.list_at("/configmaps", "", store.current_rv() - 10), nullptr);
}

TEST_F(StoreTest, DeletedObjectCarriesTheDeletionRevision) {
  store.create("/configmaps", "ns/a", cm("ns", "a", "1"));
  auto removed = store.remove("/configmaps", "ns/a", 0);
  EXPECT_EQ(removed.object.resource_version(), "2");
  EXPECT_FALSE(store.get("/configmaps", "ns/a"));
  EXPECT_EQ(store.remove("/configmaps", "ns/a", 0).status, Store::Status::kNotFound);
}

TEST_F(StoreTest, OwnerAndUidIndexesFollowWrites) {
  auto owned = json::parse(
      R"({"metadata":{"name":"p","namespace":"ns","uid":"child","ownerReferences":[{"apiVersion":"v1","kind":"X","name":"o","uid":"owner"}]}})");
  store.create("/pods", "ns/p", std::move(owned).value());
  auto deps = store.dependents("owner");
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_EQ(deps[0].first, "/pods");
  EXPECT_EQ(deps[0].second, "ns/p");
  ASSERT_TRUE(store.find_uid("child"));
  store.remove("/pods", "ns/p", 0);
  EXPECT_TRUE(store.dependents("owner").empty());
  EXPECT_FALSE(store.find_uid("child"));
}

}  // namespace
}  // namespace berth::sim
