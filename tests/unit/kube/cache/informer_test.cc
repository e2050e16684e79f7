#include "kube/cache/informer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>

#include "kube/cache/indexers.h"
#include "kube/clock/fake_clock.h"
#include "kube/core/strings.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/cache/test_objects.h"
#include "tests/unit/kube/client/fake_apiserver.h"

namespace kube {
namespace {

using berth::testing::pod;
using berth::testing::wait_for;
using Type = WatcherEvent::Type;

// Records every callback as one line: "add ns/name rv initial", "update ns/name old->new",
// "delete ns/name rv unknown".
class Recorder {
 public:
  ResourceEventHandler handler() {
    return {
        .on_add =
            [this](const Object& o, bool initial) {
              record("add " + o.key() + " " + std::string(o.resource_version()) +
                     (initial ? " initial" : ""));
            },
        .on_update =
            [this](const Object& old_o, const Object& new_o) {
              record("update " + new_o.key() + " " + std::string(old_o.resource_version()) + "->" +
                     std::string(new_o.resource_version()));
            },
        .on_delete =
            [this](const Object& o, bool unknown) {
              record("delete " + o.key() + " " + std::string(o.resource_version()) +
                     (unknown ? " unknown" : ""));
            },
    };
  }
  void record(std::string line) {
    std::lock_guard lock(mu_);
    lines_.push_back(std::move(line));
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return lines_.size();
  }
  // Waits until `n` lines have arrived.
  bool wait(std::size_t n) const {
    return wait_for([&] { return size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

WatcherEvent ev(Type type, Object o = {}, std::string rv = {}) {
  return WatcherEvent{type, std::move(o), std::move(rv)};
}

InformerOptions pod_options() {
  InformerOptions o;
  o.type = resources::kPods;
  return o;
}

void list(Informer& informer, const std::vector<Object>& objects, std::string rv = "100") {
  informer.apply(ev(Type::kInitStart));
  for (const Object& o : objects)
    informer.apply(ev(Type::kInitObject, o));
  informer.apply(ev(Type::kInitDone, {}, std::move(rv)));
}

TEST(InformerTest, HandlersSeeAddsUpdatesAndDeletesWithOldAndNewStates) {
  Informer informer(nullptr, pod_options());
  Recorder rec;
  auto reg = informer.add_event_handler(rec.handler());
  informer.start();
  EXPECT_FALSE(informer.has_synced());
  list(informer, {pod("a", "p1", "1")});
  EXPECT_TRUE(informer.has_synced());
  informer.apply(ev(Type::kAdded, pod("a", "p2", "2")));
  informer.apply(ev(Type::kModified, pod("a", "p1", "3")));
  informer.apply(ev(Type::kModified, pod("a", "p1", "3")));  // same version: no change
  informer.apply(ev(Type::kDeleted, pod("a", "p2", "4")));
  informer.apply(ev(Type::kDeleted, pod("a", "zz", "5")));  // never cached: ignored
  informer.apply(ev(Type::kBookmark, {}, "6"));
  ASSERT_TRUE(rec.wait(4));
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"add a/p1 1 initial", "add a/p2 2",
                                                   "update a/p1 1->3", "delete a/p2 4"}));
  EXPECT_EQ(informer.store().get("a/p1").resource_version(), "3");
  EXPECT_FALSE(informer.store().get("a/p2"));
  EXPECT_EQ(informer.store().size(), 1u);
}

TEST(InformerTest, RelistIsADiffAndNeverLosesADelete) {
  Informer informer(nullptr, pod_options());
  Recorder rec;
  auto reg = informer.add_event_handler(rec.handler());
  informer.start();
  list(informer, {pod("a", "keep", "1"), pod("a", "change", "2"), pod("a", "gone", "3")});
  ASSERT_TRUE(rec.wait(3));
  // After a 410 the watcher lists again; meanwhile "gone" was deleted and "new" created.
  list(informer, {pod("a", "keep", "1"), pod("a", "change", "7"), pod("a", "new", "8")}, "9");
  ASSERT_TRUE(rec.wait(6));
  auto lines = rec.lines();
  std::vector<std::string> relist(lines.begin() + 3, lines.end());
  EXPECT_EQ(relist, (std::vector<std::string>{"update a/change 2->7", "add a/new 8 initial",
                                              "delete a/gone 3 unknown"}));
  EXPECT_EQ(informer.store().size(), 3u);
  EXPECT_FALSE(informer.store().get("a/gone"));
}

TEST(InformerTest, ListFailingMidwayIsFollowedByACompleteOne) {
  Informer informer(nullptr, pod_options());
  Recorder rec;
  auto reg = informer.add_event_handler(rec.handler());
  informer.start();
  list(informer, {pod("a", "p1", "1"), pod("a", "p2", "1")});
  // A relist that breaks after one object, then starts over.
  informer.apply(ev(Type::kInitStart));
  informer.apply(ev(Type::kInitObject, pod("a", "p1", "5")));
  informer.apply(ev(Type::kInitStart));
  informer.apply(ev(Type::kInitObject, pod("a", "p1", "5")));
  informer.apply(ev(Type::kInitDone, {}, "6"));
  ASSERT_TRUE(rec.wait(4));
  auto lines = rec.lines();
  EXPECT_EQ(std::vector<std::string>(lines.begin() + 2, lines.end()),
            (std::vector<std::string>{"update a/p1 1->5", "delete a/p2 1 unknown"}));
}

TEST(InformerTest, LateHandlerGetsTheCacheReplayedBeforeLaterEvents) {
  Informer informer(nullptr, pod_options());
  informer.start();
  list(informer, {pod("a", "p1", "1")});
  informer.apply(ev(Type::kAdded, pod("a", "p2", "2")));
  Recorder rec;
  auto reg = informer.add_event_handler(rec.handler());
  informer.apply(ev(Type::kModified, pod("a", "p2", "3")));
  ASSERT_TRUE(rec.wait(3));
  auto lines = rec.lines();
  ASSERT_EQ(lines.size(), 3u);
  std::sort(lines.begin(), lines.begin() + 2);  // replay order follows the store, not events
  EXPECT_EQ(lines, (std::vector<std::string>{"add a/p1 1 initial", "add a/p2 2 initial",
                                             "update a/p2 2->3"}));
}

TEST(InformerTest, SlowHandlerNeverBlocksTheWatchAndOrderIsKept) {
  Informer informer(nullptr, pod_options());
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  std::vector<std::string> seen;
  auto reg = informer.add_event_handler({.on_update = [&](const Object&, const Object& o) {
    std::unique_lock lock(gate_mu);
    gate_cv.wait(lock, [&] { return open; });
    seen.push_back(std::string(o.resource_version()));
  }});
  informer.start();
  list(informer, {pod("a", "p", "0")});
  for (int i = 1; i <= 2000; ++i)
    informer.apply(ev(Type::kModified, pod("a", "p", std::to_string(i))));
  // Every apply() returned while the handler is stuck on its first call.
  EXPECT_GE(informer.pending_notifications(), 1999u);
  EXPECT_EQ(informer.store().get("a/p").resource_version(), "2000");
  {
    std::lock_guard lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard lock(gate_mu);
    return seen.size() == 2000;
  }));
  for (int i = 0; i < 2000; ++i)
    ASSERT_EQ(seen[i], std::to_string(i + 1));
  EXPECT_EQ(informer.pending_notifications(), 0u);
}

TEST(InformerTest, ThrowingHandlerDoesNotStopOthers) {
  Informer informer(nullptr, pod_options());
  auto bad = informer.add_event_handler(
      {.on_add = [](const Object&, bool) { throw std::runtime_error("handler bug"); }});
  Recorder rec;
  auto good = informer.add_event_handler(rec.handler());
  informer.start();
  list(informer, {pod("a", "p1", "1")});
  informer.apply(ev(Type::kAdded, pod("a", "p2", "2")));
  ASSERT_TRUE(rec.wait(2));
  EXPECT_EQ(rec.lines(), (std::vector<std::string>{"add a/p1 1 initial", "add a/p2 2"}));
}

TEST(InformerTest, ResetRegistrationWaitsForARunningCallAndStopsDelivery) {
  Informer informer(nullptr, pod_options());
  std::atomic<bool> in_handler{false};
  std::atomic<bool> release{false};
  std::atomic<int> calls{0};
  auto reg = informer.add_event_handler({.on_add = [&](const Object&, bool) {
    ++calls;
    in_handler = true;
    while (!release.load())
      std::this_thread::yield();
    in_handler = false;
  }});
  informer.start();
  informer.apply(ev(Type::kAdded, pod("a", "p1", "1")));
  informer.apply(ev(Type::kAdded, pod("a", "p2", "2")));
  ASSERT_TRUE(wait_for([&] { return in_handler.load(); }));
  std::atomic<bool> reset_done{false};
  std::thread resetter([&] {
    reg.reset();
    reset_done = true;
  });
  // reset() cannot return while the handler runs.
  EXPECT_FALSE(wait_for([&] { return reset_done.load(); }, std::chrono::milliseconds(100)));
  release = true;
  resetter.join();
  EXPECT_FALSE(in_handler.load());
  informer.apply(ev(Type::kAdded, pod("a", "p3", "3")));
  Recorder rec;
  auto other = informer.add_event_handler(rec.handler());
  ASSERT_TRUE(rec.wait(3));  // the replay reached a later handler, so the queue moved on
  EXPECT_EQ(calls.load(), 1);
}

TEST(InformerTest, HandlerMayRemoveItselfWithoutDeadlock) {
  Informer informer(nullptr, pod_options());
  Informer::Registration reg;
  std::atomic<int> calls{0};
  reg = informer.add_event_handler({.on_add = [&](const Object&, bool) {
    ++calls;
    reg.reset();
  }});
  Recorder rec;
  auto other = informer.add_event_handler(rec.handler());
  informer.start();
  informer.apply(ev(Type::kAdded, pod("a", "p1", "1")));
  informer.apply(ev(Type::kAdded, pod("a", "p2", "2")));
  ASSERT_TRUE(rec.wait(2));
  EXPECT_EQ(calls.load(), 1);
}

TEST(InformerTest, TransformRunsBeforeCachingAndHandlers) {
  InformerOptions options = pod_options();
  Recorder rec;
  auto informer = std::make_unique<Informer>(nullptr, options);
  auto reg =
      informer->add_event_handler({.on_add = [&](const Object& o, bool) { rec.record(o.dump()); }});
  informer->start();
  auto with_bulk = Object::parse(R"({"metadata":{"namespace":"a","name":"p","resourceVersion":"1",
      "managedFields":[{"manager":"m"}]}})")
                       .value();
  informer->apply(ev(Type::kAdded, with_bulk));
  ASSERT_TRUE(rec.wait(1));
  EXPECT_EQ(rec.lines()[0], R"({"metadata":{"namespace":"a","name":"p","resourceVersion":"1"}})");
  EXPECT_EQ(json::find(*informer->store().get("a/p").metadata(), "managedFields"), nullptr);

  options.transform = [](Object) -> Object { throw std::runtime_error("transform bug"); };
  Informer throwing(nullptr, options);
  throwing.apply(ev(Type::kAdded, with_bulk));
  EXPECT_TRUE(throwing.store().get("a/p").same(with_bulk));  // cached as received
  options.transform = nullptr;
  Informer raw(nullptr, options);
  raw.apply(ev(Type::kAdded, with_bulk));
  EXPECT_TRUE(raw.store().get("a/p").same(with_bulk));
}

TEST(InformerTest, WaitForSyncHonoursDeadlineAndCancel) {
  FakeClock clock;
  InformerOptions options = pod_options();
  options.watcher.clock = &clock;
  Informer informer(nullptr, options);
  std::atomic<int> result{-1};
  std::thread waiter([&] { result = informer.wait_for_sync(std::chrono::seconds(30)) ? 1 : 0; });
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 1; }));
  clock.advance(std::chrono::seconds(29));
  EXPECT_EQ(result.load(), -1);
  clock.advance(std::chrono::seconds(1));
  waiter.join();
  EXPECT_EQ(result.load(), 0);

  CancelSource cancel;
  std::thread cancelled(
      [&] { result = informer.wait_for_sync(std::chrono::hours(1), cancel.token()) ? 1 : 0; });
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 1; }));
  cancel.cancel();
  cancelled.join();
  EXPECT_EQ(result.load(), 0);

  std::thread synced([&] { result = informer.wait_for_sync(std::chrono::hours(1)) ? 1 : 0; });
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 1; }));
  list(informer, {});
  synced.join();
  EXPECT_EQ(result.load(), 1);
  EXPECT_TRUE(informer.wait_for_sync(std::chrono::seconds(0)));
}

// With a real Watcher: a delete that happens while the watch is down and the server has
// compacted its history surfaces as a delete after the relist.
TEST(InformerTest, DeleteDuringA410GapIsDeliveredAfterTheRelist) {
  berth::testing::FakeApiserver server;
  const std::string collection = "/api/v1/configmaps";
  auto cm = [](const std::string& name, int g) {
    return R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" + name +
           R"(","namespace":"ns"},"data":{"g":")" + std::to_string(g) + R"("}})";
  };
  server.upsert(collection, cm("a", 0));
  server.upsert(collection, cm("b", 0));
  Config config;
  config.server = server.url();
  ClientOptions client_options;
  client_options.qps = 0;
  auto client = Client::create(config, client_options).value();
  FakeClock clock;
  InformerOptions options;
  options.type = resources::kConfigMaps;
  options.watcher.clock = &clock;
  Informer informer(client.get(), options);
  Recorder rec;
  auto reg = informer.add_event_handler(rec.handler());
  informer.start();
  ASSERT_TRUE(rec.wait(2));
  ASSERT_TRUE(wait_for([&] { return server.open_watches() == 1; }));

  // The next watch attempt fails, so the watcher backs off on the fake clock (it may also back
  // off first because the ended watch delivered nothing)...
  server.fail_next("GET", collection, http::Response::json(500, "{}"), 1, true);
  server.end_watches();
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 1; }));
  // ...while "a" is deleted, "b" changes and "c" appears, and history is compacted.
  server.erase(collection, "ns", "a");
  server.upsert(collection, cm("b", 1));
  server.upsert(collection, cm("c", 0));
  server.compact();
  // Let the backoff(s) pass until the watcher has relisted.
  ASSERT_TRUE(wait_for([&] {
    if (clock.waiters() > 0) clock.advance(std::chrono::minutes(1));
    return rec.size() >= 5;
  }));
  auto lines = rec.lines();
  std::vector<std::string> after(lines.begin() + 2, lines.end());
  for (std::string& l : after)
    l = l.substr(0, l.find(' ', l.find(' ') + 1));  // "kind key"
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, (std::vector<std::string>{"add ns/c", "delete ns/a", "update ns/b"}));
  EXPECT_NE(lines.back().find("unknown"), std::string::npos);
  EXPECT_EQ(informer.watch_stats().relists, 1u);
  std::map<std::string, std::int64_t> cached;
  for (const Object& o : informer.store().list())
    cached[o.key()] = parse_int(o.resource_version()).value();
  EXPECT_EQ(cached, server.snapshot(collection));
  informer.stop();
}

}  // namespace
}  // namespace kube

namespace kube {
namespace {

// A watch that returns garbage lines is resumed from the last good resourceVersion; nothing is
// lost or duplicated in the cache.
TEST(InformerTest, GarbageOnTheWatchIsSurvived) {
  berth::testing::FakeApiserver server;
  const std::string collection = "/api/v1/configmaps";
  auto cm = [](const std::string& name, int g) {
    return R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" + name +
           R"(","namespace":"ns"},"data":{"g":")" + std::to_string(g) + R"("}})";
  };
  server.upsert(collection, cm("a", 0));
  Config config;
  config.server = server.url();
  auto client = Client::create(config, {.qps = 0}).value();
  FakeClock clock;
  InformerOptions options;
  options.type = resources::kConfigMaps;
  options.watcher.clock = &clock;
  Informer informer(client.get(), options);
  Recorder rec;
  auto reg = informer.add_event_handler(rec.handler());
  informer.start();
  ASSERT_TRUE(rec.wait(1));
  ASSERT_TRUE(wait_for([&] { return server.open_watches() == 1; }));
  server.send_to_watches("{\"type\":\"ADDED\",\"object\":{not json\n");
  server.send_to_watches("\x01\x02 binary garbage\n");
  server.upsert(collection, cm("b", 0));
  server.upsert(collection, cm("a", 1));
  ASSERT_TRUE(wait_for([&] {
    if (clock.waiters() > 0) clock.advance(std::chrono::minutes(1));
    return rec.size() >= 3;
  }));
  std::map<std::string, std::int64_t> cached;
  for (const Object& o : informer.store().list())
    cached[o.key()] = parse_int(o.resource_version()).value();
  EXPECT_EQ(cached, server.snapshot(collection));
  EXPECT_GE(informer.watch_stats().errors, 1u);
  EXPECT_EQ(informer.watch_stats().relists, 0u);
  auto lines = rec.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].substr(0, 10), "add ns/b 1");
  EXPECT_EQ(lines[2].substr(0, 15), "update ns/a 101");
  informer.stop();
}

}  // namespace
}  // namespace kube
