// berth-sim semantics beyond single fixtures: concurrency control, paging at scale, history
// window, no-op writes, bad input, finalizers, graceful deletion, garbage collection.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "kube/core/strings.h"
#include "tests/integration/sim/sim_harness.h"
#include "tests/integration/sim/world.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kCms = "/api/v1/namespaces/default/configmaps";

TEST(SimBehaviour, StaleUpdateIsAConflictAndTheLatestVersionWins) {
  Sim sim;
  Reply created = sim.must_create(kCms, R"({"metadata":{"name":"c"},"data":{"k":"1"}})");
  json::Document first = json::copy(created.doc());
  Reply second = sim.patch(kCms + "/c", R"({"data":{"k":"2"}})");
  ASSERT_EQ(second.status, 200);
  json::set_string(*json::find(first, "data"), "k", "3", first.GetAllocator());
  Reply stale = sim.put(kCms + "/c", json::dump(first));
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.str({"reason"}), "Conflict");
  // Without a resourceVersion the update is unconditional.
  json::remove(*json::find(first, "metadata"), "resourceVersion");
  EXPECT_EQ(sim.put(kCms + "/c", json::dump(first)).status, 200);
  EXPECT_EQ(sim.get(kCms + "/c").str({"data", "k"}), "3");
}

TEST(SimBehaviour, ConcurrentIncrementsNeverLoseAnUpdate) {
  Sim sim;
  sim.must_create(kCms, R"({"metadata":{"name":"counter"},"data":{"n":"0"}})");
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Sim>> unused;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&sim, t] {
      kube::http::Client client;
      for (int i = 0; i < 25; ++i) {
        for (;;) {
          kube::http::Headers h;
          auto got = client.get(sim.url() + kCms + "/counter", seconds(10));
          ASSERT_TRUE(got.ok());
          auto doc = json::parse(got->body);
          int n = std::stoi(std::string(json::get_string(*json::find(*doc, "data"), "n")));
          json::set_string(*json::find(*doc, "data"), "n", std::to_string(n + 1),
                           doc->GetAllocator());
          h.add("Content-Type", "application/json");
          auto put = client.request("PUT", sim.url() + kCms + "/counter", h, json::dump(*doc),
                                    seconds(10));
          ASSERT_TRUE(put.ok());
          if (put->status == 200) break;
          ASSERT_EQ(put->status, 409) << put->body << " (thread " << t << ")";
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(sim.get(kCms + "/counter").str({"data", "n"}), "100");
}

TEST(SimBehaviour, PaginationOverTenThousandObjectsIsOneConsistentSnapshot) {
  Sim sim;
  sim.create_namespace("bulk");
  const std::string base = "/api/v1/namespaces/bulk/configmaps";
  for (int i = 0; i < 10000; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "cm-%05d", i);
    Reply r = sim.post(base, std::string(R"({"metadata":{"name":")") + name + "\"}}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  std::string token;
  std::string rv;
  std::vector<std::string> names;
  int pages = 0;
  do {
    Reply page = sim.get(base + "?limit=500" + (token.empty() ? "" : "&continue=" + token));
    ASSERT_EQ(page.status, 200) << page.body;
    if (rv.empty()) {
      rv = page.str({"metadata", "resourceVersion"});
      // Writes after the first page are not part of the paged list.
      sim.must_create(base, R"({"metadata":{"name":"cm-00000-late"}})");
      ASSERT_EQ(sim.del(base + "/cm-09999").status, 200);
    }
    EXPECT_EQ(page.str({"metadata", "resourceVersion"}), rv);
    for (const auto& item : json::find(page.doc(), "items")->GetArray()) {
      names.emplace_back(json::get_string(*json::find(item, "metadata"), "name"));
    }
    token = page.str({"metadata", "continue"});
    const json::Value* remaining = json::find_path(page.doc(), {"metadata", "remainingItemCount"});
    if (!token.empty()) {
      ASSERT_NE(remaining, nullptr);
      // The kube-root-ca.crt ConfigMap sorts after every cm-*.
      EXPECT_EQ(remaining->GetInt64(), 10001 - static_cast<std::int64_t>(names.size()));
    }
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 21);
  ASSERT_EQ(names.size(), 10001u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names[9999], "cm-09999");
  // resourceVersion=0 ignores limit.
  Reply all = sim.get(base + "?limit=5&resourceVersion=0");
  EXPECT_EQ(json::find(all.doc(), "items")->Size(), 10001u);
  EXPECT_EQ(json::find_path(all.doc(), {"metadata", "continue"}), nullptr);
}

TEST(SimBehaviour, WatchPastTheHistoryWindowGetsExpired) {
  Sim sim(ApiServerOptions{.watch_history = 50});
  std::string start = std::to_string(sim.server().api().store().current_rv());
  for (int i = 0; i < 60; ++i) {
    sim.must_create(kCms, R"({"metadata":{"name":"c)" + std::to_string(i) + "\"}}");
  }
  int status = 0;
  auto lines =
      sim.watch_lines(kCms + "?watch=true&resourceVersion=" + start, 10, seconds(10), &status);
  EXPECT_EQ(status, 200);
  ASSERT_EQ(lines.size(), 1u);
  auto event = json::parse(lines[0]);
  EXPECT_EQ(json::get_string(*event, "type"), "ERROR");
  EXPECT_EQ(json::get_int(*json::find(*event, "object"), "code"), 410);
  // A list at a compacted resourceVersion is gone too; the current one is fine.
  EXPECT_EQ(sim.get(kCms + "?resourceVersion=" + start + "&resourceVersionMatch=Exact").status,
            410);
  std::string recent = std::to_string(sim.server().api().store().current_rv() - 5);
  auto resumed = sim.watch_lines(kCms + "?watch=true&timeoutSeconds=1&resourceVersion=" + recent,
                                 100, seconds(10), &status);
  EXPECT_EQ(resumed.size(), 5u);
}

TEST(SimBehaviour, NoOpPatchWritesNothingAndSendsNoEvent) {
  Sim sim;
  Reply created =
      sim.must_create(kCms, R"({"metadata":{"name":"n","labels":{"a":"b"}},"data":{"k":"v"}})");
  std::string rv = created.str({"metadata", "resourceVersion"});
  auto events = std::async(std::launch::async, [&] {
    return sim.watch_lines(kCms + "?watch=true&timeoutSeconds=2&resourceVersion=" + rv, 10,
                           seconds(10));
  });
  ASSERT_TRUE(wait_for([&] { return sim.server().hub().watcher_count() == 1; }));
  Reply same = sim.patch(kCms + "/n", R"({"metadata":{"labels":{"a":"b"}},"data":{"k":"v"}})");
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(same.str({"metadata", "resourceVersion"}), rv);
  Reply smp =
      sim.patch(kCms + "/n", R"({"data":{"k":"v"}})", "application/strategic-merge-patch+json");
  EXPECT_EQ(smp.str({"metadata", "resourceVersion"}), rv);
  Reply changed = sim.patch(kCms + "/n", R"({"data":{"k":"w"}})");
  EXPECT_NE(changed.str({"metadata", "resourceVersion"}), rv);
  auto lines = events.get();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"MODIFIED\""), std::string::npos);
}

TEST(SimBehaviour, OversizedBodiesAre413AndTheServerKeepsServing) {
  Sim sim;
  std::string big =
      R"({"metadata":{"name":"big"},"data":{"k":")" + std::string(4 * 1024 * 1024, 'x') + "\"}}";
  Reply r = sim.post(kCms, big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.str({"reason"}), "RequestEntityTooLarge");
  EXPECT_EQ(r.str({"message"}), "Request entity too large: limit is 3145728");
  EXPECT_EQ(sim.get(kCms).status, 200);
  EXPECT_EQ(sim.post(kCms, R"({"metadata":{"name":"after"}})").status, 201);
}

TEST(SimBehaviour, MalformedAndDeeplyNestedJsonAre400) {
  Sim sim;
  Reply malformed = sim.post(kCms, R"({"metadata":{"name":)");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.str({"reason"}), "BadRequest");
  std::string deep = R"({"metadata":{"name":"deep"},"data":)" + std::string(10000, '[') +
                     std::string(10000, ']') + "}";
  Reply nested = sim.post(kCms, deep);
  EXPECT_EQ(nested.status, 400);
  Reply patch = sim.patch(kCms + "/x", std::string(5000, '{'));
  EXPECT_EQ(patch.status, 404);  // the object is looked up first; the body never matters
  sim.must_create(kCms, R"({"metadata":{"name":"x"}})");
  EXPECT_EQ(sim.patch(kCms + "/x", std::string(5000, '{')).status, 400);
  EXPECT_EQ(sim.get(kCms + "/x").status, 200);
}

TEST(SimBehaviour, FinalizersHoldDeletionUntilRemoved) {
  Sim sim;
  sim.must_create(kCms, R"({"metadata":{"name":"f","finalizers":["example.com/hold"]}})");
  Reply deleted = sim.del(kCms + "/f");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_FALSE(deleted.str({"metadata", "deletionTimestamp"}).empty());
  Reply still = sim.get(kCms + "/f");
  ASSERT_EQ(still.status, 200);
  EXPECT_EQ(json::get_int(*json::find(still.doc(), "metadata"), "deletionGracePeriodSeconds", -1),
            0);
  // No new finalizers once deletion started.
  Reply more = sim.patch(kCms + "/f", R"({"metadata":{"finalizers":["example.com/hold","x/y"]}})");
  EXPECT_EQ(more.status, 422) << more.body;
  Reply released = sim.patch(kCms + "/f", R"({"metadata":{"finalizers":null}})");
  EXPECT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(sim.get(kCms + "/f").status, 404);
}

TEST(SimBehaviour, BoundPodsWaitForTheirGracePeriodUnboundOnesGoAtOnce) {
  Sim sim;
  const std::string pods = "/api/v1/namespaces/default/pods";
  sim.must_create(
      pods,
      R"({"metadata":{"name":"unbound"},"spec":{"containers":[{"name":"c","image":"i:1"}]}})");
  Reply gone = sim.del(pods + "/unbound");
  EXPECT_EQ(gone.status, 200);
  EXPECT_EQ(sim.get(pods + "/unbound").status, 404);
  create_bound_pod(sim, "default", "bound", R"({"a":"b"})");
  Reply graceful = sim.del(pods + "/bound");
  EXPECT_EQ(graceful.status, 200);
  EXPECT_EQ(json::get_int(*json::find(graceful.doc(), "metadata"), "deletionGracePeriodSeconds"),
            30);
  EXPECT_EQ(sim.get(pods + "/bound").status, 200);
  Reply forced = sim.del(pods + "/bound?gracePeriodSeconds=0");
  EXPECT_EQ(forced.status, 200);
  EXPECT_EQ(sim.get(pods + "/bound").status, 404);
}

TEST(SimBehaviour, DeletePreconditions) {
  Sim sim;
  Reply c = sim.must_create(kCms, R"({"metadata":{"name":"p"}})");
  EXPECT_EQ(sim.del(kCms + "/p", R"({"preconditions":{"uid":"nope"}})").status, 409);
  EXPECT_EQ(sim.del(kCms + "/p", R"({"preconditions":{"resourceVersion":"1"}})").status, 409);
  Reply ok =
      sim.del(kCms + "/p", R"({"preconditions":{"uid":")" + c.str({"metadata", "uid"}) + "\"}}");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.str({"status"}), "Success");
  EXPECT_EQ(ok.str({"details", "uid"}), c.str({"metadata", "uid"}));
}

std::string owned(const std::string& name, const std::string& owner, const std::string& uid,
                  bool block) {
  return R"({"metadata":{"name":")" + name +
         R"(","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":")" + owner +
         R"(","uid":")" + uid + R"(","blockOwnerDeletion":)" + (block ? "true" : "false") + "}]}}";
}

TEST(SimBehaviour, BackgroundDeletionCollectsDependents) {
  Sim sim;
  Reply owner = sim.must_create(kCms, R"({"metadata":{"name":"owner"}})");
  std::string uid = owner.str({"metadata", "uid"});
  sim.must_create(kCms, owned("child-1", "owner", uid, false));
  sim.must_create(kCms, owned("child-2", "owner", uid, false));
  Reply deleted = sim.del(kCms + "/owner", R"({"propagationPolicy":"Background"})");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(sim.get(kCms + "/owner").status, 404) << "the owner goes first";
  EXPECT_TRUE(wait_for([&] {
    return sim.get(kCms + "/child-1").status == 404 && sim.get(kCms + "/child-2").status == 404;
  }));
}

TEST(SimBehaviour, ForegroundDeletionWaitsForBlockingDependents) {
  Sim sim;
  Reply owner = sim.must_create(kCms, R"({"metadata":{"name":"owner"}})");
  std::string uid = owner.str({"metadata", "uid"});
  Reply child = sim.must_create(kCms, owned("child", "owner", uid, true));
  // The dependent holds its own deletion with a finalizer, so the owner must wait.
  ASSERT_EQ(
      sim.patch(kCms + "/child", R"({"metadata":{"finalizers":["example.com/hold"]}})").status,
      200);
  Reply deleted = sim.del(kCms + "/owner", R"({"propagationPolicy":"Foreground"})");
  EXPECT_EQ(deleted.status, 200);
  ASSERT_TRUE(wait_for([&] {
    return !sim.get(kCms + "/child").str({"metadata", "deletionTimestamp"}).empty();
  }));
  Reply waiting = sim.get(kCms + "/owner");
  ASSERT_EQ(waiting.status, 200);
  EXPECT_FALSE(waiting.str({"metadata", "deletionTimestamp"}).empty());
  EXPECT_NE(waiting.body.find("foregroundDeletion"), std::string::npos);
  ASSERT_EQ(sim.patch(kCms + "/child", R"({"metadata":{"finalizers":null}})").status, 200);
  EXPECT_TRUE(wait_for([&] { return sim.get(kCms + "/owner").status == 404; }));
}

TEST(SimBehaviour, OrphanDeletionKeepsDependentsWithoutTheReference) {
  Sim sim;
  Reply owner = sim.must_create(kCms, R"({"metadata":{"name":"owner"}})");
  sim.must_create(kCms, owned("child", "owner", owner.str({"metadata", "uid"}), true));
  EXPECT_EQ(sim.del(kCms + "/owner?propagationPolicy=Orphan").status, 200);
  EXPECT_TRUE(wait_for([&] { return sim.get(kCms + "/owner").status == 404; }));
  Reply child = sim.get(kCms + "/child");
  ASSERT_EQ(child.status, 200);
  EXPECT_EQ(json::find_path(child.doc(), {"metadata", "ownerReferences"}), nullptr);
}

TEST(SimBehaviour, NamespaceDeletionEmptiesThenRemovesTheNamespace) {
  Sim sim;
  sim.create_namespace("doomed");
  sim.must_create("/api/v1/namespaces/doomed/configmaps", R"({"metadata":{"name":"a"}})");
  sim.must_create("/api/v1/namespaces/doomed/secrets", R"({"metadata":{"name":"s"}})");
  // A finalizer keeps the namespace terminating until released.
  sim.must_create("/api/v1/namespaces/doomed/configmaps",
                  R"({"metadata":{"name":"held","finalizers":["example.com/hold"]}})");
  Reply deleted = sim.del("/api/v1/namespaces/doomed");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.str({"status", "phase"}), "Terminating");
  ASSERT_TRUE(
      wait_for([&] { return sim.get("/api/v1/namespaces/doomed/secrets/s").status == 404; }));
  Reply late = sim.post("/api/v1/namespaces/doomed/configmaps", R"({"metadata":{"name":"late"}})");
  EXPECT_EQ(late.status, 403);
  EXPECT_EQ(sim.get("/api/v1/namespaces/doomed").status, 200);
  ASSERT_EQ(
      sim.patch("/api/v1/namespaces/doomed/configmaps/held", R"({"metadata":{"finalizers":null}})")
          .status,
      200);
  EXPECT_TRUE(wait_for([&] { return sim.get("/api/v1/namespaces/doomed").status == 404; }));
  EXPECT_EQ(sim.get("/api/v1/namespaces/doomed/secrets/s").status, 404);
  EXPECT_EQ(sim.del("/api/v1/namespaces/default").status, 403);
}

TEST(SimBehaviour, GenerateNameAndDryRun) {
  Sim sim;
  Reply gen = sim.must_create(kCms, R"({"metadata":{"generateName":"web-"}})");
  std::string name = gen.str({"metadata", "name"});
  EXPECT_EQ(name.size(), 9u);
  EXPECT_TRUE(name.starts_with("web-"));
  Reply dry = sim.post(kCms + "?dryRun=All", R"({"metadata":{"name":"dry"}})");
  EXPECT_EQ(dry.status, 201);
  EXPECT_EQ(sim.get(kCms + "/dry").status, 404);
}

TEST(SimBehaviour, ScaleSubresourceForDeployments) {
  Sim sim;
  const std::string deploy = "/apis/apps/v1/namespaces/default/deployments";
  sim.must_create(
      deploy,
      R"({"metadata":{"name":"d"},"spec":{"replicas":2,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i:1"}]}}}})");
  Reply scale = sim.get(deploy + "/d/scale");
  ASSERT_EQ(scale.status, 200);
  EXPECT_EQ(scale.str({"kind"}), "Scale");
  EXPECT_EQ(scale.str({"status", "selector"}), "a=b");
  Reply patched = sim.patch(deploy + "/d/scale", R"({"spec":{"replicas":5}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::get_int(*json::find(patched.doc(), "spec"), "replicas"), 5);
  Reply d = sim.get(deploy + "/d");
  EXPECT_EQ(json::get_int(*json::find(d.doc(), "spec"), "replicas"), 5);
  EXPECT_EQ(json::get_int(*json::find(d.doc(), "metadata"), "generation"), 2);
}

}  // namespace
}  // namespace berth::sim::testing
