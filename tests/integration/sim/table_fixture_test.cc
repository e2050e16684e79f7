// Server-side printing as kube-apiserver v1.26 serves it to kubectl get: Tables for lists, single
// objects and watches, built-in printers, CRD printer columns, includeObject.
#include <gtest/gtest.h>

#include <future>
#include <regex>

#include "kube/core/strings.h"
#include "tests/integration/sim/scenario.h"
#include "tests/integration/sim/world.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;
using json::Value;

constexpr std::string_view kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta."
    "k8s.io,application/json";

// What a Go duration.HumanDuration of a few seconds or minutes looks like.
bool is_age(const Value& cell) {
  static const std::regex kAge("^[0-9]+(s|m|m[0-9]+s|h|h[0-9]+m|d|d[0-9]+h|y|y[0-9]+d)$");
  return cell.IsString() && std::regex_match(std::string(json::as_string(cell)), kAge);
}

// The metadata the sim itself serves for the object a row is about.
json::Document stored_object(Sim& sim, std::string_view collection, std::string_view name) {
  Reply r = sim.get(std::string(collection) + "/" + std::string(name));
  EXPECT_EQ(r.status, 200) << r.body;
  return json::copy(r.doc());
}

// Compares a Table with the captured one: envelope, column definitions byte for byte, every
// cell except the Age-like columns (which must read as a duration), and each row's object,
// which must be the sim's own object (or its metadata) and name the same object as the capture.
void expect_table(Sim& sim, std::string_view collection, const Value& expected, const Value& actual,
                  bool whole_objects = false) {
  ASSERT_TRUE(actual.IsObject());
  EXPECT_EQ(json::get_string(actual, "kind"), "Table");
  EXPECT_EQ(json::get_string(actual, "apiVersion"), "meta.k8s.io/v1");
  // Member order is Go struct order.
  std::vector<std::string> keys;
  for (const auto& m : actual.GetObject())
    keys.emplace_back(json::as_string(m.name));
  EXPECT_EQ(keys, (std::vector<std::string>{"kind", "apiVersion", "metadata", "columnDefinitions",
                                            "rows"}));
  expect_same_shape(*json::find(expected, "metadata"), *json::find(actual, "metadata"));
  const Value& columns = *json::find(expected, "columnDefinitions");
  EXPECT_EQ(json::dump(*json::find(actual, "columnDefinitions")), json::dump(columns));
  std::vector<bool> volatile_column;
  if (columns.IsArray()) {
    for (const auto& c : columns.GetArray()) {
      std::string_view name = json::get_string(c, "name");
      volatile_column.push_back(name == "Age" || name == "Last Seen" || name == "First Seen");
    }
  }
  const Value& rows = *json::find(expected, "rows");
  const Value& got = *json::find(actual, "rows");
  ASSERT_EQ(got.Size(), rows.Size()) << json::dump(actual).substr(0, 2000);
  for (rapidjson::SizeType i = 0; i < rows.Size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    const Value& want_cells = *json::find(rows[i], "cells");
    const Value& cells = *json::find(got[i], "cells");
    ASSERT_EQ(cells.Size(), want_cells.Size()) << json::dump(cells);
    for (rapidjson::SizeType c = 0; c < cells.Size(); ++c) {
      if (c < volatile_column.size() && volatile_column[c]) {
        EXPECT_TRUE(is_age(cells[c])) << json::dump(cells[c]);
      } else {
        EXPECT_EQ(json::dump(cells[c]), json::dump(want_cells[c])) << "cell " << c;
      }
    }
    const Value& want_object = *json::find(rows[i], "object");
    const Value& object = *json::find(got[i], "object");
    EXPECT_EQ(json::get_string(object, "kind"), json::get_string(want_object, "kind"));
    EXPECT_EQ(json::get_string(object, "apiVersion"), json::get_string(want_object, "apiVersion"));
    const Value& want_meta = *json::find(want_object, "metadata");
    const Value& meta = *json::find(object, "metadata");
    EXPECT_EQ(json::get_string(meta, "name"), json::get_string(want_meta, "name"));
    EXPECT_EQ(json::get_string(meta, "namespace"), json::get_string(want_meta, "namespace"));
    json::Document live = stored_object(sim, collection, json::get_string(meta, "name"));
    if (whole_objects) {
      EXPECT_TRUE(json::equal(object, live)) << json::dump(object);
    } else {
      EXPECT_TRUE(json::equal(meta, *json::find(live, "metadata"))) << json::dump(meta);
    }
  }
}

Reply get_table(Sim& sim, std::string_view target) {
  return sim.call("GET", target, {}, "application/json", {{"Accept", std::string(kTableAccept)}});
}

// Replays a lists/table-* request and compares its Table.
void check_fixture(Sim& sim, std::string_view folder, std::string_view name,
                   std::string_view collection, bool whole_objects = false) {
  SCOPED_TRACE(std::string(name));
  auto request = load_request(folder, name);
  ASSERT_TRUE(request);
  Reply reply = replay(sim, *request);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.headers.get("Content-Type"), "application/json");
  auto expected = fixture_body(folder, name);
  ASSERT_TRUE(expected);
  expect_table(sim, collection, *expected, reply.doc(), whole_objects);
}

class TableFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!berth::testing::fixtures_dir()) GTEST_SKIP() << "fixtures not present";
  }

  // The pods of lists/table-pods, from the full objects of its includeObject=Object twin: the
  // spec's containers and node, then the status a kubelet reported.
  void build_pods() {
    sim.create_namespace("fx-objects");
    auto full = fixture_body("lists", "table-pods-includeObject-Object");
    ASSERT_TRUE(full);
    for (const auto& row : json::find(*full, "rows")->GetArray()) {
      const Value& pod = *json::find(row, "object");
      const Value& meta = *json::find(pod, "metadata");
      const Value& spec = *json::find(pod, "spec");
      json::Document body(rapidjson::kObjectType);
      auto& a = body.GetAllocator();
      Value& m = json::ensure_object(body, "metadata", a);
      json::set_string(m, "name", json::get_string(meta, "name"), a);
      if (const Value* labels = json::find(meta, "labels")) {
        json::set(m, "labels", Value(*labels, a), a);
      }
      Value& s = json::ensure_object(body, "spec", a);
      Value& containers = json::ensure_array(s, "containers", a);
      for (const auto& c : json::find(spec, "containers")->GetArray()) {
        Value container(rapidjson::kObjectType);
        json::set_string(container, "name", json::get_string(c, "name"), a);
        json::set_string(container, "image", json::get_string(c, "image"), a);
        containers.PushBack(std::move(container), a);
      }
      json::set_string(s, "nodeName", json::get_string(spec, "nodeName"), a);
      sim.must_create("/api/v1/namespaces/fx-objects/pods", json::dump(body));
      Reply st = sim.patch("/api/v1/namespaces/fx-objects/pods/" +
                               std::string(json::get_string(meta, "name")) + "/status",
                           kubelet_status(pod));
      ASSERT_EQ(st.status, 200) << st.body;
    }
  }

  Sim sim;
};

TEST_F(TableFixtures, PodsAsKubectlGetShowsThem) {
  build_pods();
  check_fixture(sim, "lists", "table-pods", "/api/v1/namespaces/fx-objects/pods");
  check_fixture(sim, "lists", "table-pods-includeObject-Object",
                "/api/v1/namespaces/fx-objects/pods", true);
}

TEST_F(TableFixtures, IncludeObjectNoneAndUnknownValues) {
  build_pods();
  Reply none = get_table(sim, "/api/v1/namespaces/fx-objects/pods?includeObject=None");
  ASSERT_EQ(none.status, 200) << none.body;
  for (const auto& row : json::find(none.doc(), "rows")->GetArray()) {
    ASSERT_NE(json::find(row, "object"), nullptr);
    EXPECT_TRUE(json::find(row, "object")->IsNull());
  }
  Reply bad = get_table(sim, "/api/v1/namespaces/fx-objects/pods?includeObject=Everything");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.str({"reason"}), "BadRequest");
  // Plain JSON ignores the parameter.
  EXPECT_EQ(sim.get("/api/v1/namespaces/fx-objects/pods?includeObject=Everything").status, 200);
}

TEST_F(TableFixtures, Nodes) {
  auto node = fixture_body("objects", "node-fake");
  ASSERT_TRUE(node);
  for (const char* name : {"fake-node-1", "fake-node-favorite", "fake-node-reject"}) {
    json::Document body(rapidjson::kObjectType);
    auto& a = body.GetAllocator();
    Value& m = json::ensure_object(body, "metadata", a);
    json::set_string(m, "name", name, a);
    json::set(m, "labels", Value(*json::find_path(*node, {"metadata", "labels"}), a), a);
    json::set(body, "status", Value(*json::find(*node, "status"), a), a);
    sim.must_create("/api/v1/nodes", json::dump(body));
    // A node's status is the kubelet's to write, also when the create carried one.
    Reply st = sim.patch(std::string("/api/v1/nodes/") + name + "/status",
                         "{\"status\":" + json::dump(*json::find(*node, "status")) + "}");
    ASSERT_EQ(st.status, 200) << st.body;
  }
  check_fixture(sim, "lists", "table-nodes", "/api/v1/nodes");
}

TEST_F(TableFixtures, DeploymentListAndSingleObject) {
  sim.create_namespace("fx-objects");
  auto d = fixture_body("objects", "deployment-after-pods-ready");
  ASSERT_TRUE(d);
  json::Document body(rapidjson::kObjectType);
  auto& a = body.GetAllocator();
  Value& m = json::ensure_object(body, "metadata", a);
  json::set_string(m, "name", "web", a);
  json::set(m, "labels", Value(*json::find_path(*d, {"metadata", "labels"}), a), a);
  json::set(body, "spec", Value(*json::find(*d, "spec"), a), a);
  sim.must_create("/apis/apps/v1/namespaces/fx-objects/deployments", json::dump(body));
  Reply st = sim.patch("/apis/apps/v1/namespaces/fx-objects/deployments/web/status",
                       "{\"status\":" + json::dump(*json::find(*d, "status")) + "}");
  ASSERT_EQ(st.status, 200) << st.body;
  check_fixture(sim, "lists", "table-deployments",
                "/apis/apps/v1/namespaces/fx-objects/deployments");
  check_fixture(sim, "lists", "table-deployment-single",
                "/apis/apps/v1/namespaces/fx-objects/deployments");
  // A single object's Table carries the object's resourceVersion.
  Reply single = get_table(sim, "/apis/apps/v1/namespaces/fx-objects/deployments/web");
  EXPECT_EQ(single.str({"metadata", "resourceVersion"}),
            sim.get("/apis/apps/v1/namespaces/fx-objects/deployments/web")
                .str({"metadata", "resourceVersion"}));
}

TEST_F(TableFixtures, ConfigMapsCountTheirData) {
  build_lists(sim);
  ASSERT_TRUE(sim.settle());
  check_fixture(sim, "lists", "table-configmaps", "/api/v1/namespaces/fx-lists/configmaps");
  // Paging works as for plain lists: continue and remainingItemCount in the Table's metadata.
  Reply page = get_table(sim, "/api/v1/namespaces/fx-lists/configmaps?limit=4");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(json::find(page.doc(), "rows")->Size(), 4u);
  std::string token = page.str({"metadata", "continue"});
  ASSERT_FALSE(token.empty()) << page.body;
  const Value* remaining = json::find_path(page.doc(), {"metadata", "remainingItemCount"});
  ASSERT_TRUE(remaining != nullptr && remaining->IsInt64()) << page.body;
  EXPECT_EQ(remaining->GetInt64(), 2);
  Reply last = get_table(sim, "/api/v1/namespaces/fx-lists/configmaps?limit=4&continue=" + token);
  ASSERT_EQ(last.status, 200) << last.body;
  EXPECT_EQ(json::find(last.doc(), "rows")->Size(), 2u);
  EXPECT_EQ(json::find_path(last.doc(), {"metadata", "continue"}), nullptr);
  EXPECT_EQ(last.str({"metadata", "resourceVersion"}), page.str({"metadata", "resourceVersion"}));
}

TEST_F(TableFixtures, CustomResourceUsesThePrinterColumns) {
  sim.create_namespace("fx-objects");
  sim.must_create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd());
  ASSERT_TRUE(berth::testing::wait_for([&] {
    return sim.get("/apis/fx.example.com/v1/namespaces/fx-objects/widgets").status == 200;
  }));
  sim.must_create("/apis/fx.example.com/v1/namespaces/fx-objects/widgets",
                  R"({"apiVersion":"fx.example.com/v1","kind":"Widget","metadata":{"name":"w1",)"
                  R"("labels":{"tier":"b"}},"spec":{"replicas":3,"image":"nginx:1.25"}})");
  Reply st = sim.patch("/apis/fx.example.com/v1/namespaces/fx-objects/widgets/w1/status",
                       R"({"status":{"phase":"Degraded","replicas":3}})");
  ASSERT_EQ(st.status, 200) << st.body;
  check_fixture(sim, "lists", "table-customresource",
                "/apis/fx.example.com/v1/namespaces/fx-objects/widgets");
}

TEST_F(TableFixtures, OtherResourcesGetTheDefaultOrTheirOwnColumns) {
  sim.create_namespace("fx-objects");
  // No printer of its own: Name and Created At (the creation time itself, type date).
  sim.must_create("/apis/scheduling.k8s.io/v1/priorityclasses",
                  R"({"metadata":{"name":"high"},"value":1000})");
  Reply pc = get_table(sim, "/apis/scheduling.k8s.io/v1/priorityclasses/high");
  ASSERT_EQ(pc.status, 200) << pc.body;
  const Value& columns = *json::find(pc.doc(), "columnDefinitions");
  ASSERT_EQ(columns.Size(), 2u);
  EXPECT_EQ(json::get_string(columns[1], "name"), "Created At");
  EXPECT_EQ(json::get_string(columns[1], "type"), "date");
  const Value& cells = *json::find((*json::find(pc.doc(), "rows"))[0], "cells");
  EXPECT_EQ(json::as_string(cells[0]), "high");
  EXPECT_EQ(json::as_string(cells[1]), sim.get("/apis/scheduling.k8s.io/v1/priorityclasses/high")
                                           .str({"metadata", "creationTimestamp"}));
  // A NodePort Service: ports with their node port, no external IP, selector as labels.
  sim.must_create("/api/v1/namespaces/fx-objects/services",
                  R"({"metadata":{"name":"np"},"spec":{"type":"NodePort","selector":)"
                  R"({"app":"web","tier":"a"},"ports":[{"port":80,"nodePort":30080}]}})");
  Reply svc = get_table(sim, "/api/v1/namespaces/fx-objects/services/np");
  ASSERT_EQ(svc.status, 200) << svc.body;
  const Value& s = *json::find((*json::find(svc.doc(), "rows"))[0], "cells");
  EXPECT_EQ(json::as_string(s[1]), "NodePort");
  EXPECT_EQ(json::as_string(s[2]),
            sim.get("/api/v1/namespaces/fx-objects/services/np").str({"spec", "clusterIP"}));
  EXPECT_EQ(json::as_string(s[3]), "<none>");
  EXPECT_EQ(json::as_string(s[4]), "80:30080/TCP");
  EXPECT_EQ(json::as_string(s[6]), "app=web,tier=a");
  // Secrets: type and the number of keys.
  sim.must_create("/api/v1/namespaces/fx-objects/secrets",
                  R"({"metadata":{"name":"s"},"stringData":{"a":"1","b":"2"}})");
  Reply secret = get_table(sim, "/api/v1/namespaces/fx-objects/secrets/s");
  const Value& sc = *json::find((*json::find(secret.doc(), "rows"))[0], "cells");
  EXPECT_EQ(json::as_string(sc[1]), "Opaque");
  ASSERT_TRUE(sc[2].IsInt64()) << secret.body;
  EXPECT_EQ(sc[2].GetInt64(), 2);
}

// kubectl get pods -w: a Table list, then a watch from its resourceVersion where every event is
// a one-row Table and only the first carries the column definitions.
TEST_F(TableFixtures, WatchAsKubectlGetW) {
  sim.create_namespace("fx-watch");
  auto list_request = load_request("watch", "table-list-before-watch-pods");
  ASSERT_TRUE(list_request);
  Reply list = replay(sim, *list_request);
  ASSERT_EQ(list.status, 200) << list.body;
  auto expected_list = fixture_body("watch", "table-list-before-watch-pods");
  expect_table(sim, "/api/v1/namespaces/fx-watch/pods", *expected_list, list.doc());

  auto watch_request = load_request("watch", "table-watch-pods-as-kubectl-get-w");
  ASSERT_TRUE(watch_request);
  std::string target = watch_request->target;
  auto at = target.find("resourceVersion=");
  target.replace(at, target.find('&', at) - at,
                 "resourceVersion=" + list.str({"metadata", "resourceVersion"}));
  std::size_t before = sim.server().hub().watcher_count();
  auto lines = std::async(std::launch::async, [&] {
    return sim.watch_lines(target, 4, std::chrono::seconds(30), nullptr, watch_request->accept);
  });
  ASSERT_TRUE(
      berth::testing::wait_for([&] { return sim.server().hub().watcher_count() > before; }));
  const std::string pods = "/api/v1/namespaces/fx-watch/pods";
  sim.must_create(pods, R"({"metadata":{"name":"tw"},"spec":{"containers":[{"name":"c",)"
                        R"("image":"nginx:1.25"}]}})");
  ASSERT_EQ(sim.patch(pods + "/tw", R"({"metadata":{"labels":{"x":"y"}}})").status, 200);
  ASSERT_EQ(sim.del(pods + "/tw").status, 200);
  std::vector<std::string> got = lines.get();

  auto text = berth::testing::read_fixture("watch/table-watch-pods-as-kubectl-get-w.jsonl");
  ASSERT_TRUE(text);
  std::vector<json::Document> want;
  for (auto l : kube::split(*text, '\n')) {
    if (!l.empty()) want.push_back(std::move(json::parse(l)).value());
  }
  ASSERT_EQ(got.size(), want.size());
  const Value& columns = *json::find(*expected_list, "columnDefinitions");
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    auto event = json::parse(got[i]);
    ASSERT_TRUE(event.ok()) << got[i];
    EXPECT_EQ(json::get_string(*event, "type"), json::get_string(want[i], "type"));
    const Value& table = *json::find(*event, "object");
    const Value& want_table = *json::find(want[i], "object");
    EXPECT_EQ(json::get_string(table, "kind"), "Table");
    const Value& defs = *json::find(table, "columnDefinitions");
    if (i == 0) {
      EXPECT_EQ(json::dump(defs), json::dump(columns));
    } else {
      EXPECT_TRUE(defs.IsNull());
    }
    const Value& row = (*json::find(table, "rows"))[0];
    const Value& want_row = (*json::find(want_table, "rows"))[0];
    const Value& cells = *json::find(row, "cells");
    const Value& want_cells = *json::find(want_row, "cells");
    ASSERT_EQ(cells.Size(), want_cells.Size());
    for (rapidjson::SizeType c = 0; c < cells.Size(); ++c) {
      if (c == 4) {
        EXPECT_TRUE(is_age(cells[c])) << json::dump(cells[c]);
      } else {
        EXPECT_EQ(json::dump(cells[c]), json::dump(want_cells[c])) << "cell " << c;
      }
    }
    // The Table's resourceVersion is the event's.
    EXPECT_EQ(json::get_string(*json::find(table, "metadata"), "resourceVersion"),
              json::get_string(*json::find_path(row, {"object", "metadata"}), "resourceVersion"));
    expect_same_shape(want_row, row, {"managedFields", "cells"});
  }
}

// Bookmarks are printed like any event: a one-row Table for the empty object carrying the
// resourceVersion, without column definitions after the first event.
TEST(TableWatch, BookmarksAreOneRowTables) {
  ApiServerOptions options;
  options.bookmark_interval = std::chrono::milliseconds(100);
  Sim sim(options);
  sim.create_namespace("tb");
  const std::string pods = "/api/v1/namespaces/tb/pods";
  Reply list = get_table(sim, pods);
  ASSERT_EQ(list.status, 200) << list.body;
  Reply created = sim.must_create(
      pods, R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}})");
  std::string created_rv = created.str({"metadata", "resourceVersion"});
  auto lines = sim.watch_lines(pods + "?watch=true&allowWatchBookmarks=true&resourceVersion=" +
                                   list.str({"metadata", "resourceVersion"}),
                               2, std::chrono::seconds(20), nullptr, kTableAccept);
  ASSERT_EQ(lines.size(), 2u);
  auto added = json::parse(lines[0]);
  ASSERT_TRUE(added.ok()) << lines[0];
  EXPECT_EQ(json::get_string(*added, "type"), "ADDED");
  EXPECT_TRUE(json::find_path(*added, {"object", "columnDefinitions"})->IsArray());
  auto bookmark = json::parse(lines[1]);
  ASSERT_TRUE(bookmark.ok()) << lines[1];
  EXPECT_EQ(json::get_string(*bookmark, "type"), "BOOKMARK");
  const Value& table = *json::find(*bookmark, "object");
  EXPECT_EQ(json::get_string(table, "kind"), "Table");
  EXPECT_TRUE(json::find(table, "columnDefinitions")->IsNull());
  EXPECT_EQ(json::get_string(*json::find(table, "metadata"), "resourceVersion"), created_rv);
  const Value& rows = *json::find(table, "rows");
  ASSERT_EQ(rows.Size(), 1u);
  EXPECT_EQ(json::dump(*json::find(rows[0], "cells")),
            R"(["","0/0","","0","\u003cunknown\u003e","\u003cnone\u003e","\u003cnone\u003e",)"
            R"("\u003cnone\u003e","\u003cnone\u003e"])");
  EXPECT_EQ(json::dump(*json::find(rows[0], "object")),
            R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":)"
            R"({"resourceVersion":")" +
                created_rv + R"(","creationTimestamp":null}})");
}

}  // namespace
}  // namespace berth::sim::testing
