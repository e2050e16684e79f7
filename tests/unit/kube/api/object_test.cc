#include "kube/api/object.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kube {
namespace {

constexpr std::string_view kPod = R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1",
  "namespace":"prod","uid":"u-1","resourceVersion":"42","generation":3,
  "labels":{"app":"web"},"annotations":{"berth.dev/inject":"false"},
  "finalizers":["berth.dev/protect"],
  "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"rs-1",
  "controller":true}]},"spec":{"containers":[{"name":"app","image":"nginx"}]}})";

TEST(Object, ParsesAndExposesMetadata) {
  auto obj = Object::parse(kPod);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(obj->kind(), "Pod");
  EXPECT_EQ(obj->api_version(), "v1");
  EXPECT_EQ(obj->name(), "web-1");
  EXPECT_EQ(obj->namespace_(), "prod");
  EXPECT_EQ(obj->uid(), "u-1");
  EXPECT_EQ(obj->resource_version(), "42");
  EXPECT_EQ(obj->generation(), 3);
  EXPECT_EQ(obj->label("app"), "web");
  EXPECT_FALSE(obj->label("missing").has_value());
  EXPECT_EQ(obj->annotation("berth.dev/inject"), "false");
  EXPECT_TRUE(obj->has_finalizer("berth.dev/protect"));
  EXPECT_FALSE(obj->has_finalizer("other"));
  EXPECT_EQ(obj->controller_uid(), "rs-1");
  EXPECT_EQ(obj->key(), "prod/web-1");
  EXPECT_FALSE(obj->being_deleted());
}

TEST(Object, NullObjectIsSafe) {
  Object o;
  EXPECT_FALSE(o);
  EXPECT_EQ(o.name(), "");
  EXPECT_EQ(o.labels(), nullptr);
  EXPECT_EQ(o.memory_bytes(), 0u);
}

TEST(Object, ParseErrors) {
  EXPECT_FALSE(Object::parse("{").ok());
  EXPECT_FALSE(Object::parse(std::string(1000, '[')).ok());
}

TEST(Object, CompactStorageIsNearDataSize) {
  auto obj = Object::parse(kPod);
  ASSERT_TRUE(obj.ok());
  // Far below RapidJSON's default 64 KiB pool chunk.
  EXPECT_LT(obj->memory_bytes(), 4u * kPod.size());
}

TEST(Object, CopyIsIndependent) {
  auto obj = Object::parse(kPod);
  json::Document d = obj->copy();
  json::set_string(d["metadata"], "name", "changed", d.GetAllocator());
  Object changed = Object::from(d);
  EXPECT_EQ(obj->name(), "web-1");
  EXPECT_EQ(changed.name(), "changed");
  EXPECT_EQ(Object::adopt(std::move(d)).name(), "changed");
}

TEST(Object, SharedAcrossThreads) {
  auto obj = Object::parse(kPod);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Object mine = *obj;
      for (int k = 0; k < 1000; ++k)
        ok[i] += mine.name() == "web-1";
      auto reparsed = Object::parse(mine.dump());
      ok[i] += reparsed.ok() && reparsed->uid() == "u-1";
    });
  }
  for (auto& t : threads)
    t.join();
  for (int v : ok)
    EXPECT_EQ(v, 1001);
}

TEST(Keys, SplitAndJoin) {
  EXPECT_EQ(make_key("ns", "a"), "ns/a");
  EXPECT_EQ(make_key("", "node-1"), "node-1");
  EXPECT_EQ(split_key("ns/a").namespace_, "ns");
  EXPECT_EQ(split_key("ns/a").name, "a");
  EXPECT_EQ(split_key("node-1").namespace_, "");
}

}  // namespace
}  // namespace kube
