#include "sim/apiserver/watch_hub.h"

#include <gtest/gtest.h>

#include "sim/apiserver/storage.h"
#include "tests/support/wait.h"
#include "tests/unit/sim/apiserver/fake_stream.h"

namespace berth::sim {
namespace {

namespace json = kube::json;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using testing::FakeStream;

json::Document cm(const std::string& name, const std::string& app, const std::string& ns = "ns") {
  auto doc = json::parse(R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" + name +
                         R"(","namespace":")" + ns + R"(","labels":{"app":")" + app + "\"}}}");
  return std::move(doc).value();
}

std::shared_ptr<const EventEncoder> encoder() {
  return std::make_shared<JsonEventEncoder>("v1", "ConfigMap", false, nullptr);
}

std::vector<std::string> types(const std::vector<std::string>& chunks) {
  std::vector<std::string> out;
  for (const auto& c : chunks) {
    auto doc = json::parse(c);
    out.emplace_back(json::get_string(*doc, "type"));
  }
  return out;
}

WatchSpec spec(std::shared_ptr<FakeStream> stream, std::int64_t from) {
  WatchSpec s;
  s.table = "/configmaps";
  s.namespace_ = "ns";
  s.encoder = encoder();
  s.stream = std::move(stream);
  s.start_rv = from;
  return s;
}

TEST(WatchHub, DeliversCommitsInOrderWithSelectorTransitions) {
  WatchHub hub;
  Store store(hub);
  auto stream = std::make_shared<FakeStream>();
  WatchSpec s = spec(stream, 0);
  s.matches = [](const kube::Object& o) { return o.label("app") == "watched"; };
  ASSERT_TRUE(hub.add(std::move(s)).ok());
  store.create("/configmaps", "ns/w1", cm("w1", "watched"));
  store.update("/configmaps", "ns/w1", cm("w1", "other"), 0);    // leaves the selection
  store.update("/configmaps", "ns/w1", cm("w1", "other2"), 0);   // still outside: nothing
  store.update("/configmaps", "ns/w1", cm("w1", "watched"), 0);  // comes back
  store.remove("/configmaps", "ns/w1", 0);
  store.create("/configmaps", "other/x", cm("x", "watched", "other"));
  ASSERT_TRUE(wait_for([&] { return stream->chunks().size() >= 4; }));
  EXPECT_EQ(types(stream->chunks()),
            (std::vector<std::string>{"ADDED", "DELETED", "ADDED", "DELETED"}));
  // Leaving the selection shows the last matching state, at the new resourceVersion.
  auto left = json::parse(stream->chunks()[1]);
  EXPECT_EQ(json::get_string(*json::find_path(*left, {"object", "metadata", "labels"}), "app"),
            "watched");
  EXPECT_EQ(json::get_string(*json::find_path(*left, {"object", "metadata"}), "resourceVersion"),
            "2");
  auto last = json::parse(stream->chunks().back());
  EXPECT_EQ(json::get_string(*json::find_path(*last, {"object", "metadata"}), "resourceVersion"),
            "5");
}

TEST(WatchHub, ResumesFromAnOldRevisionAndSendsInitialObjectsFirst) {
  WatchHub hub;
  Store store(hub);
  store.create("/configmaps", "ns/a", cm("a", "x"));
  store.create("/configmaps", "ns/b", cm("b", "x"));
  auto resumed = std::make_shared<FakeStream>();
  ASSERT_TRUE(hub.add(spec(resumed, 1)).ok());
  auto fresh = std::make_shared<FakeStream>();
  WatchSpec s = spec(fresh, store.current_rv());
  s.initial = store.list("/configmaps", "ns/")->items;
  ASSERT_TRUE(hub.add(std::move(s)).ok());
  store.create("/configmaps", "ns/c", cm("c", "x"));
  ASSERT_TRUE(
      wait_for([&] { return resumed->chunks().size() == 2 && fresh->chunks().size() == 3; }));
  EXPECT_NE(resumed->chunks()[0].find("\"name\":\"b\""), std::string::npos);
  EXPECT_NE(resumed->chunks()[1].find("\"name\":\"c\""), std::string::npos);
  EXPECT_EQ(types(fresh->chunks()), (std::vector<std::string>{"ADDED", "ADDED", "ADDED"}));
}

TEST(WatchHub, TooOldRevisionIsExpired) {
  WatchHub hub(WatchHubOptions{.history = 3});
  Store store(hub);
  for (int i = 0; i < 10; ++i)
    store.create("/configmaps", "ns/c" + std::to_string(i), cm("c", "x"));
  auto status = hub.add(spec(std::make_shared<FakeStream>(), 2));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, 410);
  EXPECT_EQ(status.error().reason, "Expired");
  EXPECT_EQ(status.error().message, "too old resource version: 2 (7)");
  EXPECT_TRUE(hub.add(spec(std::make_shared<FakeStream>(), 7)).ok());
  EXPECT_EQ(watch_error_event(status.error()),
            "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
            "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: 2 "
            "(7)\",\"reason\":\"Expired\",\"code\":410}}\n");
}

TEST(WatchHub, BookmarksOnlyOnceTheTypeMovedPastTheStart) {
  WatchHub hub(WatchHubOptions{.bookmark_interval = milliseconds(20)});
  Store store(hub);
  auto quiet = std::make_shared<FakeStream>();
  WatchSpec s = spec(quiet, 0);
  s.bookmarks = true;
  ASSERT_TRUE(hub.add(std::move(s)).ok());
  store.create("/secrets", "ns/s", cm("s", "x"));  // another type does not count
  auto moved = std::make_shared<FakeStream>();
  WatchSpec m = spec(moved, 0);
  m.bookmarks = true;
  m.namespace_ = "elsewhere";
  ASSERT_TRUE(hub.add(std::move(m)).ok());
  store.create("/configmaps", "ns/a", cm("a", "x"));
  // The watcher in another namespace sees no event, but a bookmark at the type's revision.
  ASSERT_TRUE(wait_for([&] { return !moved->chunks().empty(); }));
  EXPECT_EQ(moved->chunks()[0],
            "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\","
            "\"metadata\":{\"resourceVersion\":\"2\",\"creationTimestamp\":null}}}\n");
}

TEST(WatchHub, DeadlineEndsTheStream) {
  WatchHub hub;
  auto stream = std::make_shared<FakeStream>();
  WatchSpec s = spec(stream, 0);
  s.deadline = std::chrono::steady_clock::now() + milliseconds(30);
  ASSERT_TRUE(hub.add(std::move(s)).ok());
  EXPECT_TRUE(wait_for([&] { return stream->closed(); }));
  EXPECT_TRUE(wait_for([&] { return hub.watcher_count() == 0; }));
}

TEST(WatchHub, SlowWatcherIsEndedWithoutHoldingBackOthers) {
  WatchHub hub(WatchHubOptions{.max_pending_bytes = 2000});
  Store store(hub);
  auto slow = std::make_shared<FakeStream>();
  slow->stall();
  auto fast = std::make_shared<FakeStream>();
  ASSERT_TRUE(hub.add(spec(slow, 0)).ok());
  ASSERT_TRUE(hub.add(spec(fast, 0)).ok());
  for (int i = 0; i < 100; ++i)
    store.create("/configmaps", "ns/c" + std::to_string(i), cm("c", "x"));
  ASSERT_TRUE(wait_for([&] { return fast->chunks().size() == 100; }));
  EXPECT_TRUE(slow->closed());
  EXPECT_LT(slow->chunks().size(), 100u);
}

TEST(WatchHub, DisconnectedWatchersAreDropped) {
  WatchHub hub;
  Store store(hub);
  std::vector<std::shared_ptr<FakeStream>> streams;
  for (int i = 0; i < 2000; ++i) {
    streams.push_back(std::make_shared<FakeStream>());
    ASSERT_TRUE(hub.add(spec(streams.back(), 0)).ok());
  }
  store.create("/configmaps", "ns/a", cm("a", "x"));
  ASSERT_TRUE(wait_for([&] {
    return std::all_of(streams.begin(), streams.end(),
                       [](const auto& s) { return s->chunks().size() == 1; });
  }));
  for (auto& s : streams)
    s->disconnect();
  EXPECT_TRUE(wait_for([&] { return hub.watcher_count() == 0; }, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace berth::sim
