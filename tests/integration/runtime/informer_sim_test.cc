// The informer against berth-sim under faults: 10,000 creates, updates and deletes while its
// watch is dropped and, repeatedly, kept away long enough for its resourceVersion to fall out
// of the sim's watch history (forcing 410 Gone and a relist). At the end the cache and the
// state rebuilt from the handler callbacks must both equal the apiserver's state.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>

#include "kube/cache/informer.h"
#include "kube/clock/fake_clock.h"
#include "tests/integration/runtime/partition_proxy.h"
#include "tests/integration/runtime/sim_fixture.h"
#include "tests/support/wait.h"

namespace kube {
namespace {

using berth::testing::PartitionProxy;
using berth::testing::RuntimeSim;
using berth::testing::wait_for;

// State rebuilt only from handler callbacks; records any callback that contradicts it.
class HandlerMirror {
 public:
  ResourceEventHandler handler() {
    return {
        .on_add =
            [this](const Object& o, bool) {
              std::lock_guard lock(mu_);
              if (state_.count(o.key()) != 0) violations_.push_back("add of known " + o.key());
              state_[o.key()] = std::string(o.resource_version());
            },
        .on_update =
            [this](const Object& old_o, const Object& o) {
              std::lock_guard lock(mu_);
              auto it = state_.find(o.key());
              if (it == state_.end()) {
                violations_.push_back("update of unknown " + o.key());
              } else if (it->second != old_o.resource_version()) {
                violations_.push_back("update with a stale old object for " + o.key());
              }
              state_[o.key()] = std::string(o.resource_version());
            },
        .on_delete =
            [this](const Object& o, bool unknown) {
              std::lock_guard lock(mu_);
              if (state_.erase(o.key()) == 0) violations_.push_back("delete of unknown " + o.key());
              if (unknown) ++inferred_deletes_;
            },
    };
  }
  std::map<std::string, std::string> state() const {
    std::lock_guard lock(mu_);
    return state_;
  }
  std::vector<std::string> violations() const {
    std::lock_guard lock(mu_);
    return violations_;
  }
  int inferred_deletes() const {
    std::lock_guard lock(mu_);
    return inferred_deletes_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> state_;
  std::vector<std::string> violations_;
  int inferred_deletes_ = 0;
};

std::map<std::string, std::string> cached(const Informer& informer) {
  std::map<std::string, std::string> out;
  for (const Object& o : informer.store().list())
    out[o.key()] = std::string(o.resource_version());
  return out;
}

TEST(InformerSimTest, CacheEqualsTheServerAfter10kWritesWithDroppedWatchesAnd410s) {
  constexpr std::size_t kHistory = 300;
  RuntimeSim sim({.watch_history = kHistory});
  const std::vector<std::string> namespaces = {"a", "b", "c", "d"};
  sim.create_namespaces(namespaces);
  auto writer = sim.client();
  PartitionProxy proxy(sim.port());
  auto reader = sim.client(proxy.url());

  FakeClock clock;  // drives the watcher's backoff, so outages last exactly as long as we say
  InformerOptions options;
  options.type = resources::kConfigMaps;
  options.watcher.clock = &clock;
  Informer informer(reader.get(), options);
  HandlerMirror mirror;
  auto registration = informer.add_event_handler(mirror.handler());
  informer.start();
  ASSERT_TRUE(wait_for([&] { return informer.has_synced(); }));

  std::mt19937 rng(20261125);
  std::map<std::string, bool> exists;
  int ops = 0;
  int creates = 0, updates = 0, deletes = 0;
  auto one_op = [&] {
    std::string ns = namespaces[rng() % namespaces.size()];
    std::string name = "cm-" + std::to_string(rng() % 150);
    std::string key = ns + "/" + name;
    std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
                       R"(","namespace":")" + ns + R"("},"data":{"op":")" + std::to_string(ops) +
                       R"("}})";
    auto doc = json::parse(body).value();
    if (!exists[key]) {
      auto r = writer->create(resources::kConfigMaps, doc);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      exists[key] = true;
      ++creates;
    } else if (rng() % 10 < 6) {
      auto r = writer->update(resources::kConfigMaps, doc);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      ++updates;
    } else {
      auto r = writer->remove(resources::kConfigMaps, ns, name);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      exists[key] = false;
      ++deletes;
    }
    ++ops;
  };
  // Lets the watcher's backoff pass until `done`.
  auto drive_until = [&](const std::function<bool()>& done) {
    return wait_for(
        [&] {
          if (clock.waiters() > 0) clock.advance(std::chrono::minutes(1));
          return done();
        },
        std::chrono::seconds(60));
  };

  // Waits (advancing the watcher's backoff) until the cache holds what the server holds.
  auto catch_up = [&] {
    auto server = sim.state(resources::kConfigMaps);
    return drive_until([&] { return cached(informer) == server; });
  };

  int gaps = 0;
  int drops = 0;
  while (ops < 10'000) {
    for (int i = 0; i < 450 && ops < 10'000; ++i) {
      one_op();
      if (::testing::Test::HasFatalFailure()) return;
    }
    // The writes above arrived through the open watch, which the fault below then hits.
    ASSERT_TRUE(catch_up());
    if ((ops / 450) % 2 == 0) {
      // A dropped watch: it resumes from its last resourceVersion.
      proxy.partition();
      proxy.heal();
      ++drops;
    } else {
      // A long outage: more writes than the watch history holds happen meanwhile, so the
      // watch cannot resume (410) and the watcher lists again.
      proxy.partition();
      ASSERT_TRUE(wait_for([&] { return clock.waiters() > 0; }));
      for (std::size_t i = 0; i < kHistory + 50 && ops < 10'000; ++i) {
        one_op();
        if (::testing::Test::HasFatalFailure()) return;
      }
      proxy.heal();
      ++gaps;
    }
    ASSERT_TRUE(catch_up());
  }
  EXPECT_GT(creates, 0);
  EXPECT_GT(deletes, 0);
  EXPECT_GT(updates, 0);

  auto server = sim.state(resources::kConfigMaps);
  ASSERT_EQ(cached(informer), server);
  ASSERT_TRUE(wait_for([&] { return mirror.state() == server; }))
      << "handlers saw " << mirror.state().size() << " objects, server " << server.size();
  EXPECT_EQ(mirror.violations(), std::vector<std::string>{});
  WatcherStats stats = informer.watch_stats();
  EXPECT_GE(stats.relists, static_cast<std::uint64_t>(gaps));
  EXPECT_GE(stats.restarts, static_cast<std::uint64_t>(drops));
  // Deletes that happened during outages reached the handlers as inferred deletes.
  EXPECT_GT(mirror.inferred_deletes(), 0);
  informer.stop();
}

}  // namespace
}  // namespace kube
