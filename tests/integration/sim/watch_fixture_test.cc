// Watch streams as kube-apiserver writes them: the same events, in the same order, for the same
// writes; initial ADDED events; 410 as an ERROR event; bookmarks; the server-side timeout.
#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

#include "kube/core/strings.h"
#include "tests/integration/sim/scenario.h"
#include "tests/integration/sim/world.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;
using std::chrono::seconds;

std::vector<json::Document> parse_lines(const std::vector<std::string>& lines) {
  std::vector<json::Document> out;
  for (const auto& l : lines) {
    auto d = json::parse(l);
    EXPECT_TRUE(d.ok()) << l;
    if (d.ok()) out.push_back(std::move(d).value());
  }
  return out;
}

std::vector<json::Document> fixture_lines(const std::string& name) {
  auto text = berth::testing::read_fixture("watch/" + name + ".jsonl");
  std::vector<std::string> lines;
  for (auto l : kube::split(*text, '\n')) {
    if (!l.empty()) lines.emplace_back(l);
  }
  return parse_lines(lines);
}

// Runs the fixture's watch request (with `rv` as resourceVersion when given) while `actions`
// write, and returns every line until the server ends the stream.
std::vector<json::Document> watch_during(Sim& sim, const std::string& name, const std::string& rv,
                                         const std::function<void()>& actions,
                                         std::size_t expect_at_least) {
  auto request = load_request("watch", name);
  std::string target = request->target;
  if (!rv.empty()) {
    auto at = target.find("resourceVersion=");
    auto end = target.find('&', at);
    target.replace(at, end - at, "resourceVersion=" + rv);
  }
  std::size_t before = sim.server().hub().watcher_count();
  auto lines =
      std::async(std::launch::async, [&] { return sim.watch_lines(target, 1000, seconds(30)); });
  if (actions) {
    // Act only once the watch is registered.
    EXPECT_TRUE(
        berth::testing::wait_for([&] { return sim.server().hub().watcher_count() > before; }));
    actions();
  }
  auto got = parse_lines(lines.get());
  EXPECT_GE(got.size(), expect_at_least);
  return got;
}

void expect_events_like(const std::vector<json::Document>& expected,
                        const std::vector<json::Document>& actual) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    expect_same_shape(expected[i], actual[i], kIgnored);
  }
}

class WatchFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!berth::testing::fixtures_dir()) GTEST_SKIP() << "fixtures not present";
    sim.create_namespace("fx-watch");
  }
  std::string rv() { return std::to_string(sim.server().api().store().current_rv()); }
  void configmap_writes() {
    const std::string base = "/api/v1/namespaces/fx-watch/configmaps";
    sim.must_create(base,
                    R"({"metadata":{"name":"w1","labels":{"app":"watched"}},"data":{"k":"v1"}})");
    Reply current = sim.get(base + "/w1");
    auto body = json::copy(current.doc());
    json::set_string(*json::find(body, "data"), "k", "v2", body.GetAllocator());
    EXPECT_EQ(sim.put(base + "/w1", json::dump(body)).status, 200);
    EXPECT_EQ(sim.patch(base + "/w1", R"({"metadata":{"labels":{"app":"other"}}})").status, 200);
    EXPECT_EQ(
        sim.patch(base + "/w1", R"({"metadata":{"labels":{"app":"watched"}},"data":{"k":"v3"}})")
            .status,
        200);
    EXPECT_EQ(sim.patch(base + "/w1", R"({"metadata":{"labels":{"app":"watched"}}})").status, 200);
    EXPECT_EQ(sim.del(base + "/w1").status, 200);
  }
  Sim sim;
};

TEST_F(WatchFixtures, ConfigMapWritesGiveOneEventEach) {
  auto got = watch_during(
      sim, "configmaps-create-update-delete", rv(), [&] { configmap_writes(); }, 6);
  expect_events_like(fixture_lines("configmaps-create-update-delete"), got);
}

TEST_F(WatchFixtures, LabelSelectorTransitionsBecomeDeletedAndAdded) {
  auto got = watch_during(
      sim, "configmaps-labelselector-leave-and-return", rv(), [&] { configmap_writes(); }, 4);
  expect_events_like(fixture_lines("configmaps-labelselector-leave-and-return"), got);
}

TEST_F(WatchFixtures, FieldSelectorOnName) {
  auto got = watch_during(
      sim, "configmaps-fieldselector-single-object", rv(), [&] { configmap_writes(); }, 5);
  expect_events_like(fixture_lines("configmaps-fieldselector-single-object"), got);
}

TEST_F(WatchFixtures, PodLifecycle) {
  auto graceful = fixture_body("objects", "pod-delete-graceful-response");
  ASSERT_TRUE(graceful);
  std::string status = kubelet_status(*graceful);
  auto got = watch_during(
      sim, "pods-lifecycle-create-bind-status-graceful-delete-force", rv(),
      [&] {
        create_bound_pod(sim, "fx-watch", "lp", R"({"app":"lp"})");
        EXPECT_EQ(sim.patch("/api/v1/namespaces/fx-watch/pods/lp/status", status,
                            "application/strategic-merge-patch+json")
                      .status,
                  200);
        EXPECT_EQ(sim.del("/api/v1/namespaces/fx-watch/pods/lp").status, 200);
        EXPECT_EQ(
            sim.del("/api/v1/namespaces/fx-watch/pods/lp", R"({"gracePeriodSeconds":0})").status,
            200);
      },
      7);
  expect_events_like(fixture_lines("pods-lifecycle-create-bind-status-graceful-delete-force"), got);
}

TEST_F(WatchFixtures, CustomResourceEvents) {
  sim.must_create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd());
  ASSERT_TRUE(sim.settle());
  const std::string base = "/apis/fx.example.com/v1/namespaces/fx-watch/widgets";
  auto got = watch_during(
      sim, "customresource-create-status-delete", rv(),
      [&] {
        sim.must_create(
            base,
            R"({"apiVersion":"fx.example.com/v1","kind":"Widget","metadata":{"name":"cw"},"spec":{"replicas":1}})");
        EXPECT_EQ(sim.patch(base + "/cw/status",
                            R"({"status":{"observedGeneration":1,"phase":"Ready","replicas":1}})")
                      .status,
                  200);
        EXPECT_EQ(sim.del(base + "/cw").status, 200);
      },
      4);
  expect_events_like(fixture_lines("customresource-create-status-delete"), got);
}

TEST_F(WatchFixtures, InitialEventsForUnsetEmptyAndZero) {
  for (const char* seed : {"seed-a", "seed-b"}) {
    sim.must_create("/api/v1/namespaces/fx-watch/configmaps",
                    std::string(R"({"metadata":{"name":")") + seed +
                        R"(","labels":{"app":"seed"}},"data":{"k":")" + seed + "\"}}");
  }
  for (const char* name : {"initial-events-resourceversion-unset",
                           "initial-events-resourceversion-empty-string-with-bookmarks",
                           "initial-events-resourceversion-0", "sendInitialEvents-ignored"}) {
    SCOPED_TRACE(name);
    auto got = watch_during(sim, name, "", nullptr, 3);
    auto expected = fixture_lines(name);
    ASSERT_EQ(got.size(), expected.size());
    std::set<std::string> want;
    std::set<std::string> have;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(json::get_string(got[i], "type"), "ADDED");
      want.insert(std::string(
          json::get_string(*json::find_path(expected[i], {"object", "metadata"}), "name")));
      have.insert(
          std::string(json::get_string(*json::find_path(got[i], {"object", "metadata"}), "name")));
    }
    EXPECT_EQ(have, want);
  }
}

TEST_F(WatchFixtures, TooOldResourceVersionIsAnErrorEventOnA200) {
  Sim small(ApiServerOptions{.watch_history = 10});
  small.create_namespace("fx-watch");
  for (int i = 0; i < 20; ++i) {
    small.must_create("/api/v1/namespaces/fx-watch/configmaps",
                      R"({"metadata":{"name":"c)" + std::to_string(i) + "\"}}");
  }
  for (const char* name :
       {"error-410-resourceversion-1", "error-410-resourceversion-2-no-bookmarks"}) {
    auto request = load_request("watch", name);
    int status = 0;
    auto lines = parse_lines(small.watch_lines(request->target, 10, seconds(10), &status));
    EXPECT_EQ(status, 200);
    auto expected = fixture_lines(name);
    ASSERT_EQ(lines.size(), 1u);
    expect_same_shape(*json::find(expected[0], "type"), *json::find(lines[0], "type"));
    EXPECT_EQ(normalize(json::get_string(*json::find(lines[0], "object"), "message")),
              normalize(json::get_string(*json::find(expected[0], "object"), "message")));
  }
}

TEST_F(WatchFixtures, ResourceVersionMatchIsRejectedForWatch) {
  auto request = load_request("watch", "sendInitialEvents-with-resourceVersionMatch-rejected");
  Reply reply = replay(sim, *request);
  EXPECT_EQ(reply.status, 422);
  auto expected = fixture_lines("sendInitialEvents-with-resourceVersionMatch-rejected");
  ASSERT_EQ(expected.size(), 1u);
  expect_same_shape(expected[0], reply.doc());
}

}  // namespace
}  // namespace berth::sim::testing
