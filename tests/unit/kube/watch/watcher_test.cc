// kube::Watcher against an in-process API server that resumes watches exactly after a
// resourceVersion, expires old versions, and lets the test break streams and connections.
// A Mirror applies the delivered events the way an informer cache would and records any event
// that arrives twice, out of order, or for an object it does not know; after every fault the
// mirror must equal the server's state.
#include "kube/watch/watcher.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>

#include "kube/core/strings.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/client/fake_apiserver.h"
#include "tests/unit/kube/client/instant_clock.h"

namespace kube {
namespace {

using berth::testing::FakeApiserver;
using berth::testing::FaultyProxy;
using berth::testing::InstantClock;
using berth::testing::wait_for;
using Type = WatcherEvent::Type;

constexpr char kCollection[] = "/api/v1/configmaps";

std::string configmap(const std::string& ns, const std::string& name, int generation = 0) {
  return R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" + name +
         R"(","namespace":")" + ns + R"("},"data":{"g":")" + std::to_string(generation) + R"("}})";
}

class Mirror {
 public:
  void apply(const WatcherEvent& e) {
    std::lock_guard lock(mu_);
    trace_.push_back(e.type);
    switch (e.type) {
      case Type::kInitStart:
        building_.emplace();
        ++init_starts_;
        return;
      case Type::kInitObject:
        if (!building_) return violation("InitObject outside a list");
        (*building_)[e.object.key()] = rv_of(e.object.resource_version());
        return;
      case Type::kInitDone:
        if (!building_) return violation("InitDone without InitStart");
        state_ = std::move(*building_);
        building_.reset();
        last_rv_ = rv_of(e.resource_version);
        ++init_dones_;
        return;
      case Type::kBookmark:
        if (rv_of(e.resource_version) < last_rv_) violation("bookmark went back in time");
        last_rv_ = rv_of(e.resource_version);
        return;
      case Type::kAdded:
      case Type::kModified:
      case Type::kDeleted:
        break;
    }
    if (building_) return violation("watch event during a list");
    std::int64_t rv = rv_of(e.object.resource_version());
    if (rv <= last_rv_) {
      violation("event " + std::to_string(rv) + " after " + std::to_string(last_rv_) +
                " (duplicate or reordered)");
    }
    last_rv_ = rv;
    std::string key = e.object.key();
    bool known = state_.count(key) != 0;
    if (e.type == Type::kAdded) {
      if (known) violation("ADDED for known " + key);
      state_[key] = rv;
    } else if (e.type == Type::kModified) {
      if (!known) violation("MODIFIED for unknown " + key);
      state_[key] = rv;
    } else {
      if (!known) violation("DELETED for unknown " + key);
      state_.erase(key);
    }
  }

  std::map<std::string, std::int64_t> state() const {
    std::lock_guard lock(mu_);
    return state_;
  }
  std::vector<std::string> violations() const {
    std::lock_guard lock(mu_);
    return violations_;
  }
  int init_starts() const {
    std::lock_guard lock(mu_);
    return init_starts_;
  }
  int init_dones() const {
    std::lock_guard lock(mu_);
    return init_dones_;
  }
  std::int64_t last_rv() const {
    std::lock_guard lock(mu_);
    return last_rv_;
  }
  std::vector<Type> trace() const {
    std::lock_guard lock(mu_);
    return trace_;
  }

 private:
  static std::int64_t rv_of(std::string_view rv) { return parse_int(rv).value_or(-1); }
  void violation(std::string what) { violations_.push_back(std::move(what)); }

  mutable std::mutex mu_;
  std::map<std::string, std::int64_t> state_;
  std::optional<std::map<std::string, std::int64_t>> building_;
  std::int64_t last_rv_ = 0;
  int init_starts_ = 0;
  int init_dones_ = 0;
  std::vector<std::string> violations_;
  std::vector<Type> trace_;
};

class WatcherTest : public ::testing::Test {
 protected:
  void start(WatcherOptions options = {}, bool through_proxy = false) {
    if (through_proxy) proxy_ = std::make_unique<FaultyProxy>(server_.port());
    Config config;
    config.server = through_proxy ? proxy_->url() : server_.url();
    ClientOptions client_options;
    client_options.qps = 0;
    client_options.clock = &client_clock_;
    auto client = Client::create(config, client_options);
    ASSERT_TRUE(client.ok()) << client.error().to_string();
    client_ = std::move(client).value();
    if (options.type.plural.empty()) options.type = resources::kConfigMaps;
    options.clock = &watcher_clock_;
    watcher_ = std::make_unique<Watcher>(*client_, options,
                                         [this](const WatcherEvent& e) { mirror_.apply(e); });
    watcher_->start();
  }

  // Waits until the mirror holds exactly what the server holds, then checks the event history.
  void expect_converged() {
    bool same = wait_for([&] { return mirror_.state() == server_.snapshot(kCollection); },
                         std::chrono::seconds(20));
    EXPECT_TRUE(same) << "mirror has " << mirror_.state().size() << " objects, server "
                      << server_.snapshot(kCollection).size();
    EXPECT_EQ(mirror_.violations(), std::vector<std::string>{});
  }

  void write_some(int n, const std::string& prefix = "w") {
    for (int i = 0; i < n; ++i) {
      std::string name = prefix + std::to_string(i % 7);
      if (i % 5 == 4) {
        server_.erase(kCollection, "ns", name);
      } else {
        server_.upsert(kCollection, configmap("ns", name, i));
      }
    }
  }

  // The resourceVersion query parameter of the n-th watch request.
  std::string watch_rv(std::size_t n) const {
    std::size_t seen = 0;
    for (const auto& r : server_.requests()) {
      if (r.target.find("watch=true") == std::string::npos) continue;
      if (seen++ != n) continue;
      http::Request request;
      request.target = r.target;
      return request.query_param("resourceVersion");
    }
    return "<none>";
  }

  FakeApiserver server_;
  std::unique_ptr<FaultyProxy> proxy_;
  InstantClock client_clock_;
  InstantClock watcher_clock_;
  std::unique_ptr<Client> client_;
  Mirror mirror_;
  std::unique_ptr<Watcher> watcher_;
};

TEST_F(WatcherTest, ListsInPagesThenWatchesFromTheListVersion) {
  for (int i = 0; i < 1203; ++i) {
    server_.upsert(kCollection, configmap(i % 2 ? "ns" : "other", "cm-" + std::to_string(i)));
  }
  start();
  ASSERT_TRUE(wait_for([&] { return watcher_->synced(); }));
  write_some(40);
  expect_converged();
  EXPECT_EQ(server_.count("GET", "/api/v1/configmaps?limit=500"), 1u);
  EXPECT_EQ(server_.count("GET", "/api/v1/configmaps?continue="), 2u);
  auto requests = server_.requests();
  std::string list_rv;
  for (const auto& r : requests) {
    if (r.target.find("watch=true") == std::string::npos) continue;
    http::Request watch;
    watch.target = r.target;
    EXPECT_EQ(watch.query_param("allowWatchBookmarks"), "true");
    auto timeout = parse_int(watch.query_param("timeoutSeconds"));
    ASSERT_TRUE(timeout.has_value()) << r.target;
    EXPECT_GE(*timeout, 300);
    EXPECT_LE(*timeout, 600);
    list_rv = watch.query_param("resourceVersion");
    break;
  }
  EXPECT_EQ(list_rv, "1303");  // the list's snapshot: 100 + 1203 writes
  EXPECT_EQ(mirror_.init_starts(), 1);
  EXPECT_EQ(watcher_->stats().lists, 1u);
  auto watched = static_cast<std::uint64_t>(server_.resource_version() - 1303);
  EXPECT_EQ(watcher_->stats().events, 1203u + watched);
}

TEST_F(WatcherTest, CleanEndResumesFromTheLastVersionWithoutARelist) {
  server_.upsert(kCollection, configmap("ns", "seed"));
  start();
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  write_some(20);
  ASSERT_TRUE(wait_for([&] { return mirror_.last_rv() == server_.resource_version(); }));
  std::string last = std::to_string(server_.resource_version());
  server_.end_watches();
  ASSERT_TRUE(wait_for([&] { return server_.count("GET", kCollection, true) == 2; }));
  write_some(20, "x");
  expect_converged();
  EXPECT_EQ(watch_rv(1), last);
  EXPECT_EQ(mirror_.init_starts(), 1);
  EXPECT_EQ(watcher_->stats().restarts, 1u);
  EXPECT_EQ(watcher_->stats().relists, 0u);
}

TEST_F(WatcherTest, ConnectionCutMidEventResumesWithoutLossOrDuplicates) {
  start({.initial_backoff = std::chrono::milliseconds(1)}, /*through_proxy=*/true);
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  server_.split_events_at(40);
  for (int round = 0; round < 5; ++round) {
    write_some(15, "r" + std::to_string(round) + "-");
    ASSERT_TRUE(wait_for([&] { return mirror_.last_rv() == server_.resource_version(); }));
    std::int64_t before = server_.resource_version();
    // Half an event is in flight when the connection dies.
    server_.send_to_watches(R"({"type":"MODIFIED","object":{"metadata":{"name":"half)");
    proxy_->cut_all();
    // Writes while the watcher is disconnected must arrive after it resumes.
    write_some(10, "gap" + std::to_string(round) + "-");
    ASSERT_TRUE(wait_for([&] { return server_.count("GET", kCollection, true) == 2u + round; }));
    EXPECT_EQ(watch_rv(1 + static_cast<std::size_t>(round)), std::to_string(before));
  }
  expect_converged();
  EXPECT_EQ(mirror_.init_starts(), 1);
  EXPECT_EQ(watcher_->stats().relists, 0u);
  EXPECT_GE(watcher_->stats().errors, 5u);
}

TEST_F(WatcherTest, GarbageLineRewatchesFromTheLastVersion) {
  start({.initial_backoff = std::chrono::milliseconds(1)});
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  write_some(10);
  ASSERT_TRUE(wait_for([&] { return mirror_.last_rv() == server_.resource_version(); }));
  std::string last = std::to_string(server_.resource_version());
  server_.send_to_watches("this is not an event\n");
  ASSERT_TRUE(wait_for([&] { return server_.count("GET", kCollection, true) == 2; }));
  write_some(10, "after-");
  expect_converged();
  EXPECT_EQ(watch_rv(1), last);
  EXPECT_EQ(watcher_->stats().relists, 0u);
  EXPECT_GE(watcher_->stats().errors, 1u);
}

TEST_F(WatcherTest, ExpiredErrorEventRelists) {
  start();
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  write_some(12);
  ASSERT_TRUE(wait_for([&] { return mirror_.last_rv() == server_.resource_version(); }));
  // The watcher falls out of the window: ERROR 410, then writes it could not have seen.
  server_.expire_watches();
  write_some(12, "late-");
  expect_converged();
  EXPECT_EQ(mirror_.init_starts(), 2);
  EXPECT_EQ(mirror_.init_dones(), 2);
  EXPECT_EQ(watcher_->stats().relists, 1u);
  EXPECT_EQ(watcher_->stats().lists, 2u);
}

TEST_F(WatcherTest, HttpGoneOnTheWatchRequestRelists) {
  start();
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  write_some(8);
  ASSERT_TRUE(wait_for([&] { return mirror_.last_rv() == server_.resource_version(); }));
  server_.fail_next("GET", kCollection,
                    http::Response::json(410, R"({"kind":"Status","apiVersion":"v1","metadata":{},)"
                                              R"("status":"Failure","reason":"Gone","code":410})"),
                    1, /*watch_only=*/true);
  server_.end_watches();
  write_some(8, "b-");
  expect_converged();
  EXPECT_EQ(mirror_.init_starts(), 2);
  EXPECT_EQ(watcher_->stats().relists, 1u);
}

TEST_F(WatcherTest, ExpiredContinueTokenRestartsTheList) {
  for (int i = 0; i < 1100; ++i)
    server_.upsert(kCollection, configmap("ns", "cm-" + std::to_string(i)));
  server_.fail_next(
      "GET", "/api/v1/configmaps?continue=",
      http::Response::json(410, R"({"kind":"Status","apiVersion":"v1","metadata":{},)"
                                R"("status":"Failure","reason":"Expired","code":410})"));
  start();
  ASSERT_TRUE(wait_for([&] { return watcher_->synced(); }));
  expect_converged();
  EXPECT_EQ(mirror_.init_starts(), 2);
  EXPECT_EQ(mirror_.init_dones(), 1);
  EXPECT_EQ(watcher_->stats().lists, 1u);
}

TEST_F(WatcherTest, ThrottledListAndWatchAreRetried) {
  server_.upsert(kCollection, configmap("ns", "a"));
  auto throttled = http::Response::json(
      429, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
           R"("reason":"TooManyRequests","message":"slow down","code":429})");
  throttled.headers.set("Retry-After", "3");
  server_.fail_next("GET", "/api/v1/configmaps?limit=500", throttled, 2);
  server_.fail_next("GET", kCollection, throttled, 1, /*watch_only=*/true);
  start();
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  write_some(5);
  expect_converged();
  // The client retried the list itself after the server's delay; the watcher waited at
  // least the Retry-After before watching again.
  EXPECT_EQ(server_.count("GET", "/api/v1/configmaps?limit=500"), 3u);
  EXPECT_EQ(client_clock_.slept(), std::chrono::seconds(6));
  EXPECT_GE(watcher_clock_.slept(), std::chrono::seconds(3));
  EXPECT_EQ(server_.count("GET", kCollection, true), 2u);
}

TEST_F(WatcherTest, FailingServerBacksOffExponentially) {
  auto unavailable = http::Response::json(
      503, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
           R"("reason":"ServiceUnavailable","code":503})");
  server_.fail_next("GET", kCollection, unavailable, 6);
  start(
      {.initial_backoff = std::chrono::milliseconds(800), .max_backoff = std::chrono::seconds(30)});
  ASSERT_TRUE(wait_for([&] { return watcher_->synced(); }));
  // Six failed lists: 800 ms doubling to 25.6 s, each with up to +25% jitter, capped at 30 s.
  auto slept = std::chrono::duration_cast<std::chrono::milliseconds>(watcher_clock_.slept());
  EXPECT_GE(slept.count(), 800 + 1600 + 3200 + 6400 + 12800 + 25600);
  EXPECT_LE(slept.count(), 1000 + 2000 + 4000 + 8000 + 16000 + 30000);
  EXPECT_EQ(watcher_->stats().errors, 6u);
  EXPECT_EQ(mirror_.init_starts(), 7);
}

TEST_F(WatcherTest, ReplaysACapturedStreamAndTracksBookmarks) {
  BERTH_REQUIRE_FIXTURES();
  auto text = berth::testing::read_fixture("watch/configmaps-create-update-delete.jsonl");
  ASSERT_TRUE(text);
  std::vector<std::string> chunks;
  for (std::string_view line : split(*text, '\n')) {
    if (!line.empty()) chunks.push_back(std::string(line) + "\n");
  }
  server_.script_next_watch(chunks);
  start();
  ASSERT_TRUE(wait_for([&] { return server_.count("GET", kCollection, true) >= 2; }));
  std::vector<Type> expected = {Type::kInitStart, Type::kInitDone, Type::kAdded,   Type::kModified,
                                Type::kModified,  Type::kModified, Type::kDeleted, Type::kBookmark};
  auto trace = mirror_.trace();
  ASSERT_GE(trace.size(), expected.size());
  EXPECT_EQ(std::vector<Type>(trace.begin(), trace.begin() + 8), expected);
  // The bookmark's version is where the next watch starts.
  auto last =
      decode_watch_event(std::string_view(chunks.back()).substr(0, chunks.back().size() - 1));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(watch_rv(1), last->object.resource_version());
}

TEST_F(WatcherTest, BookmarksAdvanceTheResumeVersion) {
  start();
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  // Writes to another collection move the global version; only a bookmark tells the watcher.
  server_.upsert("/api/v1/secrets", configmap("ns", "s"));
  server_.bookmark_watches();
  std::string rv = std::to_string(server_.resource_version());
  ASSERT_TRUE(wait_for([&] { return watcher_->resource_version() == rv; }));
  server_.end_watches();
  ASSERT_TRUE(wait_for([&] { return server_.count("GET", kCollection, true) == 2; }));
  EXPECT_EQ(watch_rv(1), rv);
}

TEST_F(WatcherTest, NamespaceAndSelectorsScopeEveryRequest) {
  server_.upsert(kCollection, configmap("team-a", "a"));
  server_.upsert(kCollection, configmap("team-b", "b"));
  start({.namespace_ = "team-a", .label_selector = "app=web", .field_selector = "metadata.name=a"});
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  for (const auto& r : server_.requests()) {
    EXPECT_EQ(r.target.rfind("/api/v1/namespaces/team-a/configmaps?", 0), 0u) << r.target;
    EXPECT_NE(r.target.find("labelSelector=app%3Dweb"), std::string::npos) << r.target;
    EXPECT_NE(r.target.find("fieldSelector=metadata.name%3Da"), std::string::npos) << r.target;
  }
  EXPECT_EQ(mirror_.state().size(), 1u);
  EXPECT_EQ(mirror_.state().count("team-a/a"), 1u);
}

TEST_F(WatcherTest, StopIsPromptWhileWatchingAndWhileBackingOff) {
  start();
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    watcher_->stop();
    stopped = true;
  });
  EXPECT_TRUE(wait_for([&] { return stopped.load(); }, std::chrono::seconds(5)));
  stopper.join();
  EXPECT_TRUE(wait_for([&] { return server_.open_watches() == 0; }));

  // A watcher asleep in a long backoff (real time) wakes for stop().
  FakeApiserver failing;
  failing.fail_next("GET", kCollection, http::Response::text(500, "down"), 100);
  Config config;
  config.server = failing.url();
  auto client = Client::create(config);
  ASSERT_TRUE(client.ok());
  Watcher sleepy(**client,
                 {.type = resources::kConfigMaps,
                  .initial_backoff = std::chrono::hours(1),
                  .max_backoff = std::chrono::hours(1)},
                 [](const WatcherEvent&) {});
  sleepy.start();
  ASSERT_TRUE(wait_for([&] { return sleepy.stats().errors == 1; }));
  std::atomic<bool> woke{false};
  std::thread second([&] {
    sleepy.stop();
    woke = true;
  });
  EXPECT_TRUE(wait_for([&] { return woke.load(); }, std::chrono::seconds(5)));
  second.join();
}

TEST_F(WatcherTest, ConcurrentStopsJoinOnce) {
  start();
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  std::thread a([&] { watcher_->stop(); });
  std::thread b([&] { watcher_->stop(); });
  a.join();
  b.join();
  watcher_->stop();
  EXPECT_TRUE(wait_for([&] { return server_.open_watches() == 0; }));
}

TEST_F(WatcherTest, HandlerExceptionsDoNotStopTheWatcher) {
  server_.upsert(kCollection, configmap("ns", "a"));
  Config config;
  config.server = server_.url();
  auto client = Client::create(config);
  ASSERT_TRUE(client.ok());
  std::atomic<int> seen{0};
  Watcher watcher(**client, {.type = resources::kConfigMaps}, [&](const WatcherEvent& e) {
    if (e.type == Type::kInitObject || e.type == Type::kAdded) {
      ++seen;
      throw std::runtime_error("handler bug");
    }
  });
  watcher.start();
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 1; }));
  server_.upsert(kCollection, configmap("ns", "b"));
  EXPECT_TRUE(wait_for([&] { return seen.load() == 2; }));
  EXPECT_EQ(watcher.stats().events, 2u);
}

}  // namespace
}  // namespace kube
