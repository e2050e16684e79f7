#include "kube/cache/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>

#include "kube/cache/indexers.h"
#include "tests/unit/kube/cache/test_objects.h"

namespace kube {
namespace {

using berth::testing::pod;

std::vector<std::string> names(std::vector<Object> objects) {
  std::vector<std::string> out;
  for (const Object& o : objects)
    out.emplace_back(o.name());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(StoreTest, PutGetRemoveReturnPreviousState) {
  Store store;
  EXPECT_FALSE(store.put(pod("a", "p1", "1")));
  Object previous = store.put(pod("a", "p1", "2"));
  ASSERT_TRUE(previous);
  EXPECT_EQ(previous.resource_version(), "1");
  EXPECT_EQ(store.get("a/p1").resource_version(), "2");
  EXPECT_EQ(store.get("a", "p1").resource_version(), "2");
  EXPECT_FALSE(store.get("a/p2"));
  EXPECT_EQ(store.size(), 1u);

  Object removed = store.remove("a/p1");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed.resource_version(), "2");
  EXPECT_FALSE(store.remove("a/p1"));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(store.put(Object()));
  EXPECT_EQ(store.size(), 0u);
}

TEST(StoreTest, IndexFollowsUpdatesAndDeletes) {
  Store store(4);
  ASSERT_TRUE(store.add_index(std::string(indexers::kPodNodeName), indexers::pod_node_name));
  store.put(pod("a", "p1", "1", "n1"));
  store.put(pod("a", "p2", "1", "n1"));
  store.put(pod("b", "p3", "1", "n2"));
  store.put(pod("b", "p4", "1"));  // unscheduled: not indexed
  EXPECT_EQ(names(store.by_index(indexers::kPodNodeName, "n1")),
            (std::vector<std::string>{"p1", "p2"}));

  store.put(pod("a", "p1", "2", "n2"));  // moved
  EXPECT_EQ(names(store.by_index(indexers::kPodNodeName, "n1")), (std::vector<std::string>{"p2"}));
  EXPECT_EQ(names(store.by_index(indexers::kPodNodeName, "n2")),
            (std::vector<std::string>{"p1", "p3"}));

  store.remove("a/p2");
  EXPECT_TRUE(store.by_index(indexers::kPodNodeName, "n1").empty());
  auto keys = store.index_keys(indexers::kPodNodeName, "n2");
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"a/p1", "b/p3"}));
  EXPECT_TRUE(store.by_index(indexers::kPodNodeName, "").empty());
}

TEST(StoreTest, IndexAddedLateCoversExistingObjects) {
  Store store;
  store.put(pod("a", "p1", "1", "", "web"));
  store.put(pod("a", "p2", "1", "", "db"));
  store.put(pod("b", "p3", "1", "", "web"));
  std::string name = indexers::label_index_name("app");
  EXPECT_FALSE(store.has_index(name));
  ASSERT_TRUE(store.add_index(name, indexers::by_label("app")));
  EXPECT_TRUE(store.has_index(name));
  EXPECT_FALSE(store.add_index(name, indexers::by_label("other")));  // first one wins
  EXPECT_EQ(names(store.by_index(name, "web")), (std::vector<std::string>{"p1", "p3"}));
  EXPECT_EQ(names(store.by_index(name, "db")), (std::vector<std::string>{"p2"}));
}

TEST(StoreTest, UnknownIndexIsAProgrammerError) {
  Store store;
  EXPECT_THROW((void)store.by_index("nope", "x"), std::invalid_argument);
  EXPECT_THROW((void)store.index_keys("nope", "x"), std::invalid_argument);
}

TEST(StoreTest, ListByNamespaceWithAndWithoutIndex) {
  for (bool indexed : {false, true}) {
    Store store(3);
    if (indexed) store.add_index(std::string(indexers::kNamespace), indexers::namespace_);
    store.put(pod("a", "p1", "1"));
    store.put(pod("b", "p2", "1"));
    store.put(pod("a", "p3", "1"));
    EXPECT_EQ(names(store.list("a")), (std::vector<std::string>{"p1", "p3"})) << indexed;
    EXPECT_EQ(names(store.list("c")), std::vector<std::string>{}) << indexed;
    EXPECT_EQ(names(store.list()), (std::vector<std::string>{"p1", "p2", "p3"})) << indexed;
    EXPECT_EQ(store.keys().size(), 3u);
  }
}

TEST(StoreTest, SingleShardWorks) {
  Store store(0);
  for (int i = 0; i < 50; ++i)
    store.put(pod("ns", "p" + std::to_string(i), "1"));
  EXPECT_EQ(store.size(), 50u);
  std::size_t visited = 0;
  store.for_each([&](const Object&) { ++visited; });
  EXPECT_EQ(visited, 50u);
}

// Readers racing a writer that keeps moving pods between nodes always see an index entry and
// the object it points at agree: no torn update is ever visible within a shard.
TEST(StoreTest, ConcurrentReadersSeeConsistentIndexEntries) {
  Store store(8);
  store.add_index(std::string(indexers::kPodNodeName), indexers::pod_node_name);
  constexpr int kPods = 200;
  for (int i = 0; i < kPods; ++i)
    store.put(pod("ns", "p" + std::to_string(i), "0", "n0"));
  std::atomic<bool> done{false};
  std::atomic<long> mismatches{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      while (!done.load()) {
        std::string node = "n" + std::to_string(r);
        for (const Object& o : store.by_index(indexers::kPodNodeName, node)) {
          if (json::get_string(*o.spec(), "nodeName") != node) ++mismatches;
        }
        if (!store.get("ns/p7")) ++mismatches;
        ++reads;
      }
    });
  }
  for (int round = 1; round <= 50; ++round) {
    for (int i = 0; i < kPods; ++i) {
      store.put(pod("ns", "p" + std::to_string(i), std::to_string(round),
                    "n" + std::to_string(round % 2)));
    }
  }
  done.store(true);
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(store.by_index(indexers::kPodNodeName, "n0").size(), static_cast<std::size_t>(kPods));
  EXPECT_TRUE(store.by_index(indexers::kPodNodeName, "n1").empty());
}

}  // namespace
}  // namespace kube
