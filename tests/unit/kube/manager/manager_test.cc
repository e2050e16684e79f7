// The Manager end to end against the in-process fake apiserver, on the real clock with short
// leader-election periods; every wait is on a condition with a deadline.
#include "kube/manager/manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "kube/http/client.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/client/fake_apiserver.h"

namespace kube {
namespace {

using berth::testing::FakeApiserver;
using berth::testing::wait_for;
using namespace std::chrono_literals;

constexpr char kConfigMaps[] = "/api/v1/configmaps";

std::string configmap(const std::string& name) {
  return R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" + name +
         R"(","namespace":"ns"},"data":{"k":"v"}})";
}

// Marks each ConfigMap it sees with annotation seen-by=<identity>, through the manager's
// client; counts reconciles and the writes the client refused.
class Marker : public Reconciler {
 public:
  Marker(Manager& manager, std::string identity)
      : manager_(manager), identity_(std::move(identity)) {}
  Result<ReconcileResult> reconcile(const Request& r, const ReconcileContext& ctx) override {
    ++reconciles;
    Informer& informer = manager_.informers().informer(resources::kConfigMaps);
    Object cm = informer.store().get(r.key());
    if (!cm || cm.annotation("seen-by")) return ReconcileResult{};
    if (ctx.cancelled()) return Error::make(Reason::kCancelled, "stopping");
    json::Document doc = cm.copy();
    auto& a = doc.GetAllocator();
    json::Value& ann = json::ensure_object(doc["metadata"], "annotations", a);
    json::set_string(ann, "seen-by", identity_, a);
    auto updated = manager_.client().update(resources::kConfigMaps, doc);
    if (!updated.ok()) {
      if (updated.error().is(Reason::kCancelled)) ++refused;
      return std::move(updated).error();
    }
    manager_.event_recorder().event(*updated, EventType::kNormal, "Marked", "seen by " + identity_);
    return ReconcileResult{};
  }
  std::atomic<int> reconciles{0};
  std::atomic<int> refused{0};

 private:
  Manager& manager_;
  std::string identity_;
};

struct Running {
  std::unique_ptr<Manager> manager;
  std::shared_ptr<Marker> marker;
  CancelSource stop;
  std::thread thread;
  std::atomic<int> result{-1};  // -1 running, 0 ok, else the Reason
  std::string message;

  void run() {
    thread = std::thread([this] {
      Status s = manager->run(stop.token());
      if (!s.ok()) message = s.error().to_string();
      result = s.ok() ? 0 : static_cast<int>(s.error().reason) + 1;
    });
  }
  void join() {
    if (thread.joinable()) thread.join();
  }
  ~Running() {
    stop.cancel();
    join();
  }
};

class ManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Running> start(const std::string& identity, bool leader_election,
                                 bool release = true) {
    auto r = std::make_unique<Running>();
    ManagerOptions o;
    o.name = "test-controller";
    o.config.server = server_.url();
    o.client.qps = 0;
    o.health_bind_address = "127.0.0.1:0";
    o.metrics = &registries_.emplace_back();
    o.leader_election.enabled = leader_election;
    o.leader_election.identity = identity;
    o.leader_election.namespace_ = "ns";
    o.leader_election.lease_duration = 2s;
    o.leader_election.renew_deadline = 1s;
    o.leader_election.retry_period = 200ms;
    o.leader_election.release_on_stop = release;
    o.graceful_shutdown_timeout = 10s;
    o.cache_sync_timeout = 20s;
    auto m = Manager::create(std::move(o));
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    r->manager = std::move(m).value();
    r->marker = std::make_shared<Marker>(*r->manager, identity);
    r->manager->controller("marker").for_(resources::kConfigMaps).complete(r->marker);
    r->run();
    return r;
  }
  std::string annotation_of(const std::string& name) {
    auto cm = client_get(name);
    return cm ? std::string(cm.annotation("seen-by").value_or("")) : "";
  }
  Object client_get(const std::string& name) {
    Config config;
    config.server = server_.url();
    auto client = Client::create(config, {.qps = 0}).value();
    auto got = client->get(resources::kConfigMaps, "ns", name);
    return got.ok() ? *got : Object();
  }
  std::string readyz(Manager& m) {
    http::Client c;
    auto r = c.get(m.health()->url() + "/readyz?verbose", 10s);
    return r.ok() ? r->body : r.error().to_string();
  }

  FakeApiserver server_;
  std::deque<metrics::Registry> registries_;
};

TEST_F(ManagerTest, RunsControllersAfterCacheSyncAndStopsGracefully) {
  server_.upsert(kConfigMaps, configmap("a"));
  server_.upsert(kConfigMaps, configmap("b"));
  auto r = start("solo", false);
  ASSERT_TRUE(
      wait_for([&] { return annotation_of("a") == "solo" && annotation_of("b") == "solo"; }));
  server_.upsert(kConfigMaps, configmap("c"));
  ASSERT_TRUE(wait_for([&] { return annotation_of("c") == "solo"; }));
  std::string ready = readyz(*r->manager);
  EXPECT_NE(ready.find("[+]informer-sync ok\n"), std::string::npos) << ready;
  EXPECT_EQ(ready.find("leader-election"), std::string::npos);
  http::Client c;
  auto metrics = c.get(r->manager->health()->url() + "/metrics", 10s);
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find(
                R"(controller_runtime_reconcile_total{controller="marker",result="success"})"),
            std::string::npos);
  EXPECT_NE(metrics->body.find(R"(berth_watch_lists_total{informer="configmaps"} 1)"),
            std::string::npos);
  r->stop.cancel();
  ASSERT_TRUE(wait_for([&] { return r->result.load() != -1; }));
  EXPECT_EQ(r->result.load(), 0) << r->message;
  EXPECT_TRUE(wait_for([&] { return server_.open_watches() == 0; }));
  // The recorder was flushed on the way out: one Event per marked ConfigMap.
  EXPECT_EQ(server_.snapshot("/api/v1/events").size(), 3u);
}

TEST_F(ManagerTest, CacheSyncTimeoutFailsRunAndNamesTheInformer) {
  server_.fail_next("GET", "/api/v1/secrets",
                    http::Response::json(403, R"({"kind":"Status","apiVersion":"v1",
                        "status":"Failure","reason":"Forbidden","code":403})"),
                    1000);
  ManagerOptions o;
  o.name = "sync-timeout";
  o.config.server = server_.url();
  o.client.qps = 0;
  o.health_bind_address = "";
  o.metrics = &registries_.emplace_back();
  o.cache_sync_timeout = 500ms;
  auto m = Manager::create(std::move(o)).value();
  auto marker = std::make_shared<Marker>(*m, "solo");
  m->controller("secrets").for_(resources::kSecrets).complete(marker);
  Status s = m->run(CancelSource().token());
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().is(Reason::kTimeout));
  EXPECT_NE(s.error().message.find("secrets"), std::string::npos) << s.error().message;
  EXPECT_EQ(marker->reconciles.load(), 0);
}

TEST_F(ManagerTest, OnlyTheLeaderReconcilesAndAReleasedLeaseMovesAtOnce) {
  server_.upsert(kConfigMaps, configmap("a"));
  auto first = start("first", true);
  ASSERT_TRUE(wait_for([&] { return annotation_of("a") == "first"; }));
  auto second = start("second", true);
  ASSERT_TRUE(wait_for([&] {
    return readyz(*second->manager).find("standby; leader is first") != std::string::npos;
  }));
  EXPECT_NE(readyz(*first->manager).find("[+]leader-election ok: leading as first"),
            std::string::npos);
  server_.upsert(kConfigMaps, configmap("b"));
  ASSERT_TRUE(wait_for([&] { return annotation_of("b") == "first"; }));
  EXPECT_EQ(second->marker->reconciles.load(), 0);
  EXPECT_FALSE(second->manager->is_leader());
  // The standby's client refuses writes outright.
  auto refused =
      second->manager->client().create(resources::kConfigMaps, *json::parse(configmap("x")));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().is(Reason::kCancelled));
  EXPECT_FALSE(client_get("x"));

  // A clean stop releases the lease: the standby takes over well within the lease duration.
  auto stopped_at = std::chrono::steady_clock::now();
  first->stop.cancel();
  ASSERT_TRUE(wait_for([&] { return first->result.load() != -1; }));
  EXPECT_EQ(first->result.load(), 0) << first->message;
  ASSERT_TRUE(wait_for([&] { return second->manager->is_leader(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 2s);
  server_.upsert(kConfigMaps, configmap("c"));
  ASSERT_TRUE(wait_for([&] { return annotation_of("c") == "second"; }));
  EXPECT_EQ(annotation_of("a"), "first");
}

TEST_F(ManagerTest, LostLeaseStopsControllersAndFailsRun) {
  auto r = start("only", true);
  ASSERT_TRUE(wait_for([&] { return r->manager->is_leader(); }));
  // Every lease write now fails: renewals stop succeeding.
  server_.fail_next("PUT", "/apis/coordination.k8s.io/v1/namespaces/ns/leases",
                    http::Response::json(500, "{}"), 1'000'000);
  ASSERT_TRUE(wait_for([&] { return r->result.load() != -1; }));
  EXPECT_EQ(r->result.load(), static_cast<int>(Reason::kCancelled) + 1) << r->message;
  EXPECT_NE(r->message.find("leader election lost"), std::string::npos);
  EXPECT_FALSE(r->manager->is_leader());
  auto refused = r->manager->client().create(resources::kConfigMaps, *json::parse(configmap("x")));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().is(Reason::kCancelled));
}

TEST_F(ManagerTest, AbandonedLeaderIsReplacedAfterTheLeaseExpires) {
  auto first = start("first", true, /*release=*/false);
  ASSERT_TRUE(wait_for([&] { return first->manager->is_leader(); }));
  auto second = start("second", true);
  ASSERT_TRUE(wait_for(
      [&] { return readyz(*second->manager).find("leader is first") != std::string::npos; }));
  // As if killed: it stops renewing and never releases.
  auto stopped_at = std::chrono::steady_clock::now();
  first->stop.cancel();
  first->join();
  ASSERT_TRUE(wait_for([&] { return second->manager->is_leader(); }));
  auto took = std::chrono::steady_clock::now() - stopped_at;
  EXPECT_GE(took, 1s);  // it had to wait for the 2 s lease to age out
  EXPECT_LT(took, 5s);
}

}  // namespace
}  // namespace kube
