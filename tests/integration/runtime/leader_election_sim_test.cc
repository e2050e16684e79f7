// Two managers with leader election against berth-sim. The leader is cut off from the
// apiserver (a partition, not a crash: the process keeps running and would write if it could).
// The standby must take over after the lease expires, and no write of the old leader may land
// after that - checked on the apiserver's own ordering: the sim has one revision counter, so
// every ConfigMap write of the old leader must carry a lower resourceVersion than the Lease
// version in which the new leader acquired it.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "kube/cache/informer.h"
#include "kube/core/strings.h"
#include "kube/manager/manager.h"
#include "tests/integration/runtime/partition_proxy.h"
#include "tests/integration/runtime/sim_fixture.h"
#include "tests/support/wait.h"

namespace kube {
namespace {

using berth::testing::PartitionProxy;
using berth::testing::RuntimeSim;
using berth::testing::wait_for;
using namespace std::chrono_literals;

constexpr char kNamespace[] = "le";

// Patches ConfigMap le/target with writer=<identity> and a sequence number, at most every
// 100 ms, for as long as it is the leader.
class Writer : public Reconciler {
 public:
  Writer(Manager& manager, std::string identity)
      : manager_(manager), identity_(std::move(identity)) {}
  Result<ReconcileResult> reconcile(const Request& r, const ReconcileContext& ctx) override {
    if (r.name != "target") return ReconcileResult{};
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < 100ms) return ReconcileResult{.requeue_after = 100ms - (now - last_)};
    if (ctx.cancelled()) return Error::make(Reason::kCancelled, "stopping");
    last_ = now;
    std::string patch = R"({"metadata":{"annotations":{"writer":")" + identity_ + R"(","seq":")" +
                        std::to_string(++seq_) + R"("}}})";
    KUBE_RETURN_IF_ERROR(manager_.client().patch(resources::kConfigMaps, kNamespace, "target",
                                                 PatchType::kMerge, patch));
    return ReconcileResult{.requeue_after = 100ms};
  }

 private:
  Manager& manager_;
  std::string identity_;
  std::chrono::steady_clock::time_point last_{};
  int seq_ = 0;
};

struct Replica {
  std::unique_ptr<Manager> manager;
  CancelSource stop;
  std::thread thread;
  std::atomic<bool> done{false};
  std::string error;
  ~Replica() {
    stop.cancel();
    if (thread.joinable()) thread.join();
  }
};

std::unique_ptr<Replica> start_replica(const std::string& url, const std::string& identity,
                                       metrics::Registry& registry) {
  auto r = std::make_unique<Replica>();
  ManagerOptions o;
  o.name = "le-test";
  o.config.server = url;
  o.client.qps = 0;
  o.health_bind_address = "";
  o.metrics = &registry;
  o.leader_election.enabled = true;
  o.leader_election.namespace_ = kNamespace;
  o.leader_election.identity = identity;
  o.leader_election.lease_duration = 2s;
  o.leader_election.renew_deadline = 1s;
  o.leader_election.retry_period = 200ms;
  auto m = Manager::create(std::move(o));
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  r->manager = std::move(m).value();
  r->manager->controller("writer")
      .for_(resources::kConfigMaps, {.namespace_ = kNamespace})
      .complete(std::make_shared<Writer>(*r->manager, identity));
  Replica* raw = r.get();
  r->thread = std::thread([raw] {
    Status s = raw->manager->run(raw->stop.token());
    if (!s.ok()) raw->error = s.error().to_string();
    raw->done = true;
  });
  return r;
}

// (resourceVersion, value) pairs seen by a watch, in order.
struct History {
  std::mutex mu;
  std::vector<std::pair<std::int64_t, std::string>> entries;
  void add(const Object& o, std::string value) {
    std::lock_guard lock(mu);
    entries.emplace_back(parse_int(o.resource_version()).value_or(-1), std::move(value));
  }
  std::vector<std::pair<std::int64_t, std::string>> get() {
    std::lock_guard lock(mu);
    return entries;
  }
  bool contains(const std::string& value) {
    std::lock_guard lock(mu);
    for (auto& e : entries) {
      if (e.second == value) return true;
    }
    return false;
  }
  std::size_t count(const std::string& value) {
    std::lock_guard lock(mu);
    std::size_t n = 0;
    for (auto& e : entries)
      n += e.second == value ? 1 : 0;
    return n;
  }
};

TEST(LeaderElectionSimTest, PartitionedLeaderIsReplacedAndNeverWritesAfterwards) {
  RuntimeSim sim;
  sim.create_namespaces({kNamespace});
  auto observer_client = sim.client();
  ASSERT_TRUE(observer_client
                  ->create(resources::kConfigMaps,
                           *json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{
                               "name":"target","namespace":"le"}})"))
                  .ok());

  // What the apiserver committed, in order.
  History writes;
  History holders;
  Informer config_maps(observer_client.get(),
                       {.type = resources::kConfigMaps, .namespace_ = kNamespace});
  Informer leases(observer_client.get(), {.type = resources::kLeases, .namespace_ = kNamespace});
  auto on_cm = [&](const Object& o) {
    if (o.name() == "target") writes.add(o, std::string(o.annotation("writer").value_or("")));
  };
  auto r1 = config_maps.add_event_handler(
      {.on_add = [&](const Object& o, bool) { on_cm(o); },
       .on_update = [&](const Object&, const Object& o) { on_cm(o); }});
  auto on_lease = [&](const Object& o) {
    holders.add(o, std::string(json::get_string(*o.spec(), "holderIdentity")));
  };
  auto r2 =
      leases.add_event_handler({.on_add = [&](const Object& o, bool) { on_lease(o); },
                                .on_update = [&](const Object&, const Object& o) { on_lease(o); }});
  config_maps.start();
  leases.start();

  PartitionProxy proxy(sim.port());
  std::deque<metrics::Registry> registries;
  auto a = start_replica(proxy.url(), "replica-a", registries.emplace_back());
  ASSERT_TRUE(wait_for([&] { return a->manager->is_leader(); }));
  auto b = start_replica(sim.url(), "replica-b", registries.emplace_back());
  ASSERT_TRUE(wait_for([&] { return writes.count("replica-a") >= 3; }));
  EXPECT_FALSE(b->manager->is_leader());
  EXPECT_FALSE(writes.contains("replica-b"));

  proxy.partition();
  ASSERT_TRUE(wait_for([&] { return holders.contains("replica-b"); }, 20s));
  ASSERT_TRUE(wait_for([&] { return writes.contains("replica-b"); }, 20s));
  // The old leader noticed on its own: it stopped at its renew deadline.
  ASSERT_TRUE(wait_for([&] { return a->done.load(); }, 20s));
  EXPECT_NE(a->error.find("leader election lost"), std::string::npos) << a->error;
  EXPECT_FALSE(a->manager->is_leader());

  // Back on the network, the old replica's client refuses to write.
  proxy.heal();
  auto late =
      a->manager->client().patch(resources::kConfigMaps, kNamespace, "target", PatchType::kMerge,
                                 R"({"metadata":{"annotations":{"writer":"replica-a"}}})");
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(late.error().is(Reason::kCancelled)) << late.error().to_string();
  EXPECT_GE(a->manager->refused_writes(), 1u);
  ASSERT_TRUE(wait_for([&] { return writes.count("replica-b") >= 3; }));

  std::int64_t b_acquired = -1;
  for (auto& [rv, holder] : holders.get()) {
    if (holder == "replica-b") {
      b_acquired = rv;
      break;
    }
  }
  ASSERT_GT(b_acquired, 0);
  for (auto& [rv, writer] : writes.get()) {
    if (writer == "replica-a") {
      EXPECT_LT(rv, b_acquired) << "replica-a wrote after losing";
    } else if (writer == "replica-b") {
      EXPECT_GT(rv, b_acquired) << "replica-b wrote before leading";
    }
  }
  config_maps.stop();
  leases.stop();
}

}  // namespace
}  // namespace kube
