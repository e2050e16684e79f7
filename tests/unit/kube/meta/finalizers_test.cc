#include "kube/meta/finalizers.h"

#include <gtest/gtest.h>

#include "tests/unit/kube/meta/fake_patch_server.h"

namespace kube {
namespace {

using berth::testing::client_for;
using berth::testing::FakePatchServer;

const ResourceType kWidgets{"fx.example.com", "v1", "widgets", "Widget", true};

std::string widget(const std::string& finalizers, bool deleting = false) {
  std::string json = R"({"apiVersion":"fx.example.com/v1","kind":"Widget","metadata":{
      "name":"w","namespace":"ns","uid":"uid-1","resourceVersion":"10")";
  if (!finalizers.empty()) json += R"(,"finalizers":)" + finalizers;
  if (deleting) json += R"(,"deletionTimestamp":"2026-11-25T04:03:04Z")";
  return json + "}}";
}

std::string finalizers_of(const Object& o) {
  const json::Value* f = json::find(*o.metadata(), "finalizers");
  return f != nullptr ? json::dump(*f) : "<none>";
}

TEST(FinalizersTest, AddKeepsOtherFinalizersAndIsIdempotent) {
  auto server = std::make_shared<FakePatchServer>(widget(R"(["other.io/x"])"));
  auto client = client_for(server);
  auto added = add_finalizer(*client, kWidgets, server->current(), "berth.dev/cleanup");
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_EQ(finalizers_of(*added), R"(["other.io/x","berth.dev/cleanup"])");
  EXPECT_EQ(server->requests().back().content_type, "application/json-patch+json");
  EXPECT_EQ(server->requests().back().target, "/apis/fx.example.com/v1/namespaces/ns/widgets/w");
  auto again = add_finalizer(*client, kWidgets, *added, "berth.dev/cleanup");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->same(*added));  // already there: no request
  EXPECT_EQ(server->requests().size(), 1u);
}

TEST(FinalizersTest, FirstFinalizerAndRemovalOfTheLast) {
  auto server = std::make_shared<FakePatchServer>(widget(""));
  auto client = client_for(server);
  auto added = ensure_finalizer(*client, kWidgets, server->current(), "berth.dev/cleanup");
  ASSERT_TRUE(added.ok()) << added.error().to_string();
  EXPECT_EQ(finalizers_of(*added), R"(["berth.dev/cleanup"])");
  auto removed = remove_finalizer(*client, kWidgets, *added, "berth.dev/cleanup");
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_EQ(finalizers_of(*removed), "<none>");
  auto none = remove_finalizer(*client, kWidgets, *removed, "berth.dev/cleanup");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(server->requests().size(), 2u);
}

TEST(FinalizersTest, ConcurrentListChangeIsAConflictNotAnOverwrite) {
  auto server = std::make_shared<FakePatchServer>(widget(R"(["a.io/x"])"));
  auto client = client_for(server);
  Object read = server->current();
  server->mutate([](json::Document& d) {
    d["metadata"]["finalizers"].PushBack(json::make_string("b.io/y", d.GetAllocator()),
                                         d.GetAllocator());
  });
  auto added = add_finalizer(*client, kWidgets, read, "berth.dev/cleanup");
  ASSERT_FALSE(added.ok());
  EXPECT_TRUE(added.error().is_conflict()) << added.error().to_string();
  EXPECT_EQ(finalizers_of(server->current()), R"(["a.io/x","b.io/y"])");
  // An unrelated change (status, labels) does not conflict.
  Object fresh = server->current();
  server->mutate([](json::Document& d) {
    json::set(d, "status", json::Value(rapidjson::kObjectType), d.GetAllocator());
  });
  auto ok = add_finalizer(*client, kWidgets, fresh, "berth.dev/cleanup");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(finalizers_of(*ok), R"(["a.io/x","b.io/y","berth.dev/cleanup"])");
}

TEST(FinalizersTest, FirstFinalizerRacingAnotherWriterConflicts) {
  auto server = std::make_shared<FakePatchServer>(widget(""));
  auto client = client_for(server);
  Object read = server->current();
  server->mutate([](json::Document& d) {
    json::Value list(rapidjson::kArrayType);
    list.PushBack(json::make_string("b.io/y", d.GetAllocator()), d.GetAllocator());
    json::set(d["metadata"], "finalizers", std::move(list), d.GetAllocator());
  });
  auto added = add_finalizer(*client, kWidgets, read, "berth.dev/cleanup");
  ASSERT_FALSE(added.ok());
  EXPECT_TRUE(added.error().is_conflict());
  EXPECT_EQ(finalizers_of(server->current()), R"(["b.io/y"])");
}

TEST(FinalizersTest, RecreatedObjectIsNeverPatched) {
  auto server = std::make_shared<FakePatchServer>(widget(R"(["berth.dev/cleanup"])"));
  auto client = client_for(server);
  Object read = server->current();
  server->mutate(
      [](json::Document& d) { json::set_string(d["metadata"], "uid", "uid-2", d.GetAllocator()); });
  auto removed = remove_finalizer(*client, kWidgets, read, "berth.dev/cleanup");
  ASSERT_FALSE(removed.ok());
  EXPECT_TRUE(removed.error().is_conflict());
}

TEST(FinalizersTest, FinalizeRunsApplyOrCleanupThenRemoves) {
  std::vector<std::string> seen;
  auto handler = [&](FinalizerEvent e, const Object& o) -> Result<ReconcileResult> {
    seen.push_back((e == FinalizerEvent::kApply ? "apply " : "cleanup ") + finalizers_of(o));
    return ReconcileResult{};
  };
  // Live object: the finalizer goes on first, apply sees it.
  auto live = std::make_shared<FakePatchServer>(widget(""));
  auto client = client_for(live);
  ASSERT_TRUE(finalize(*client, kWidgets, live->current(), "berth.dev/f", handler).ok());
  EXPECT_EQ(seen, std::vector<std::string>{R"(apply ["berth.dev/f"])"});

  // Deleted with our finalizer: cleanup, then removal.
  auto deleting = std::make_shared<FakePatchServer>(widget(R"(["berth.dev/f","x.io/y"])", true));
  auto client2 = client_for(deleting);
  seen.clear();
  ASSERT_TRUE(finalize(*client2, kWidgets, deleting->current(), "berth.dev/f", handler).ok());
  EXPECT_EQ(seen, std::vector<std::string>{R"(cleanup ["berth.dev/f","x.io/y"])"});
  EXPECT_EQ(finalizers_of(deleting->current()), R"(["x.io/y"])");

  // A failing cleanup keeps the finalizer, so it is retried.
  auto failing = std::make_shared<FakePatchServer>(widget(R"(["berth.dev/f"])", true));
  auto client3 = client_for(failing);
  auto r = finalize(*client3, kWidgets, failing->current(), "berth.dev/f",
                    [](FinalizerEvent, const Object&) -> Result<ReconcileResult> {
                      return Error::make(Reason::kServiceUnavailable, "backend down");
                    });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(finalizers_of(failing->current()), R"(["berth.dev/f"])");
  EXPECT_TRUE(failing->requests().empty());

  // Deleted without our finalizer: nothing to do, and no finalizer may be added.
  auto foreign = std::make_shared<FakePatchServer>(widget(R"(["x.io/y"])", true));
  auto client4 = client_for(foreign);
  seen.clear();
  ASSERT_TRUE(finalize(*client4, kWidgets, foreign->current(), "berth.dev/f", handler).ok());
  EXPECT_TRUE(seen.empty());
  auto ensured = ensure_finalizer(*client4, kWidgets, foreign->current(), "berth.dev/f");
  ASSERT_TRUE(ensured.ok());
  EXPECT_TRUE(foreign->requests().empty());
}

}  // namespace
}  // namespace kube
