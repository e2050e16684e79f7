// Replays every request of fixtures/errors that concerns berth-sim (authentication, RBAC and
// webhooks belong elsewhere) and compares the response with what kube-apiserver answered.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "tests/integration/sim/scenario.h"
#include "tests/integration/sim/sim_harness.h"
#include "tests/integration/sim/world.h"
#include "tests/support/fixtures.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;

// Extra state some requests need on top of build_errors_world.
void eviction_target(Sim& sim) {
  create_bound_pod(sim, "fx-objects", "web-595b59c9b5-qvs5s", R"({"app":"web"})", "nginx");
  set_pod_phase(sim, "fx-objects", "web-595b59c9b5-qvs5s", "Running");
}

void budget(Sim& sim, const std::string& name, int allowed, int healthy, int desired) {
  sim.must_create("/apis/policy/v1/namespaces/fx-objects/poddisruptionbudgets",
                  R"({"metadata":{"name":")" + name +
                      R"("},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}})");
  // What the disruption controller would have written.
  Reply r =
      sim.patch("/apis/policy/v1/namespaces/fx-objects/poddisruptionbudgets/" + name + "/status",
                R"({"status":{"disruptionsAllowed":)" + std::to_string(allowed) +
                    R"(,"currentHealthy":)" + std::to_string(healthy) + R"(,"desiredHealthy":)" +
                    std::to_string(desired) + R"(,"expectedPods":2}})");
  EXPECT_EQ(r.status, 200) << r.body;
}

const std::map<std::string, std::function<void(Sim&)>>& extra_setup() {
  static const std::map<std::string, std::function<void(Sim&)>> kSetup{
      {"415-strategic-merge-patch-on-custom-resource",
       [](Sim& sim) {
         sim.must_create("/apis/fx.example.com/v1/namespaces/fx-errors/widgets",
                         R"({"metadata":{"name":"pruned"},"spec":{"replicas":1}})");
       }},
      {"429-eviction-blocked-by-pdb",
       [](Sim& sim) {
         eviction_target(sim);
         budget(sim, "web-pdb", 0, 1, 1);
       }},
      {"500-eviction-pod-has-two-pdbs",
       [](Sim& sim) {
         eviction_target(sim);
         budget(sim, "web-pdb", 1, 2, 1);
         budget(sim, "web-pdb-2", 1, 2, 1);
       }},
  };
  return kSetup;
}

class ErrorFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ErrorFixture, MatchesKubeApiserver) {
  BERTH_REQUIRE_FIXTURES();
  const std::string name = GetParam();
  auto request = load_request("errors", name);
  ASSERT_TRUE(request) << name;
  // A small history window, so resourceVersion 1 is compacted as on the captured cluster.
  Sim sim(ApiServerOptions{.watch_history = 40});
  // At the time of these captures p1 was not bound yet.
  bool unbound = name == "ok-pod-image-change-is-mutable" || name.starts_with("422-pod-immutable");
  build_errors_world(sim, !unbound);
  for (int i = 0; i < 50; ++i) {
    sim.patch("/api/v1/namespaces/fx-errors/configmaps/dup",
              R"({"metadata":{"annotations":{"churn":")" + std::to_string(i) + "\"}}}");
  }
  if (auto it = extra_setup().find(name); it != extra_setup().end()) it->second(sim);
  if (name == "422-pod-immutable-field-update") refresh_identity(sim, *request);
  if (name == "409-conflict-stale-resourceversion") {
    // The stale version must stay stale; only the uid is the live one.
    auto body = json::parse(request->body);
    Reply current = sim.get(request->target);
    json::set_string(*json::find(*body, "metadata"), "uid", current.str({"metadata", "uid"}),
                     body->GetAllocator());
    request->body = json::dump(*body);
  }

  Reply reply = replay(sim, *request);
  EXPECT_EQ(reply.status, request->status) << reply.body;

  if (name == "404-unknown-group") {
    EXPECT_EQ(reply.body, berth::testing::read_fixture("errors/404-unknown-group.txt").value());
    EXPECT_EQ(reply.headers.get("Content-Type"), "text/plain; charset=utf-8");
    return;
  }
  if (name == "410-watch-resourceversion-1-error-event") {
    auto expected = fixture_body("errors", name);
    std::string first = reply.body.substr(0, reply.body.find('\n'));
    auto actual = json::parse(first);
    ASSERT_TRUE(actual.ok()) << reply.body;
    expect_same_shape(*json::find(*expected, "type"), *json::find(*actual, "type"));
    EXPECT_EQ(normalize(json::get_string(*json::find(*actual, "object"), "message")),
              normalize(json::get_string(*json::find(*expected, "object"), "message")));
    EXPECT_EQ(reply.body.size(), first.size() + 1) << "the stream ends after the ERROR event";
    return;
  }
  auto expected = fixture_body("errors", name);
  ASSERT_TRUE(expected) << name;
  ASSERT_TRUE(reply.json && reply.json->IsObject()) << reply.body;
  if (name == "ok-list-notolderthan-resourceversion-1") {
    // Served from the watch cache, whose order is not the key order.
    auto sorted = [](const json::Value& list) {
      json::Document doc = json::copy(list);
      json::Value* items = json::find(doc, "items");
      std::vector<json::Value> v;
      for (auto& i : items->GetArray())
        v.emplace_back(std::move(i));
      std::sort(v.begin(), v.end(), [](const json::Value& a, const json::Value& b) {
        return json::get_string(*json::find(a, "metadata"), "name") <
               json::get_string(*json::find(b, "metadata"), "name");
      });
      items->Clear();
      for (auto& i : v)
        items->PushBack(std::move(i), doc.GetAllocator());
      return doc;
    };
    expect_same_shape(sorted(*expected), sorted(reply.doc()), kIgnored);
  } else if (json::get_string(*expected, "kind") != "Status") {
    expect_same_shape(*expected, reply.doc(), kIgnored);
  } else {
    json::Document e = json::copy(*expected);
    json::Document a = json::copy(reply.doc());
    std::string em(json::get_string(e, "message"));
    std::string am(json::get_string(a, "message"));
    json::remove(e, "message");
    json::remove(a, "message");
    // Continue tokens and the causes' messages embed the same variable parts as the message.
    for (json::Document* doc : {&e, &a}) {
      json::Value* details = json::find(*doc, "details");
      json::Value* causes = details != nullptr ? json::find(*details, "causes") : nullptr;
      if (causes != nullptr && causes->IsArray()) {
        for (auto& c : causes->GetArray())
          json::remove(c, "message");
      }
    }
    if (name == "422-invalid-generatename") {
      // The generated name is random: compare it by shape.
      std::string generated = reply.str({"details", "name"});
      EXPECT_EQ(generated.size(), 9u);
      EXPECT_TRUE(generated.starts_with("Bad_"));
      json::remove(*json::find(e, "details"), "name");
      json::remove(*json::find(a, "details"), "name");
      auto replace_all = [](std::string s, const std::string& from, const std::string& to) {
        for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
          s.replace(p, from.size(), to);
        }
        return s;
      };
      em = replace_all(em, "Bad_dzsnr", "<generated>");
      am = replace_all(am, generated, "<generated>");
    }
    expect_same_shape(e, a);
    if (name.starts_with("422-pod-immutable")) {
      // The apiserver appends a Go struct diff; the rule itself is the first line.
      EXPECT_EQ(am.substr(0, am.find('\n')), em.substr(0, em.find('\n')));
    } else {
      EXPECT_EQ(normalize(am), normalize(em));
    }
  }
  // Warnings travel as headers.
  auto meta = berth::testing::read_fixture_json("errors/" + name + ".meta.json");
  std::string_view warning = json::get_string(*json::find(*meta, "headers"), "Warning");
  if (!warning.empty() && name.starts_with("ok-cr")) {
    EXPECT_EQ(reply.headers.get("Warning"), warning);
  }
}

std::vector<std::string> cases() {
  return {
      "400-bad-fieldselector-syntax",
      "400-bad-fieldselector-unsupported-field",
      "400-bad-labelselector-operator",
      "400-bad-labelselector",
      "400-bad-limit",
      "400-bad-timeoutseconds",
      "400-cr-unknown-field-fieldValidation-strict",
      "400-create-namespace-mismatch",
      "400-invalid-continue-token",
      "400-malformed-json-body",
      "400-merge-patch-malformed",
      "400-put-name-mismatch",
      "400-wrong-json-type",
      "400-wrong-kind-in-body",
      "403-create-in-terminating-namespace",
      "404-binding-missing-pod",
      "404-create-in-missing-namespace",
      "404-delete-missing-configmap",
      "404-eviction-missing-pod",
      "404-get-missing-configmap",
      "404-get-status-subresource-of-missing-pod",
      "404-patch-missing-object",
      "404-unknown-group",
      "404-unknown-resource-apps-group",
      "404-unknown-resource-core-group",
      "404-unknown-subresource",
      "405-delete-binding-subresource",
      "405-patch-collection",
      "405-post-named-resource",
      "405-put-collection",
      "409-already-exists",
      "409-conflict-stale-resourceversion",
      "409-delete-precondition-resourceversion-mismatch",
      "409-delete-precondition-uid-mismatch",
      "409-patch-with-stale-resourceversion",
      "409-pod-rebinding",
      "410-expired-continue-token",
      "410-list-exact-compacted-resourceversion",
      "410-watch-resourceversion-1-error-event",
      "415-create-text-plain",
      "415-patch-application-json",
      "415-patch-text-plain",
      "415-strategic-merge-patch-on-custom-resource",
      "422-apply-patch-without-fieldmanager",
      "422-cr-schema-minimum",
      "422-cr-schema-required",
      "422-cr-schema-type-and-enum",
      "422-invalid-generatename",
      "422-invalid-name",
      "422-json-patch-remove-missing-path",
      "422-json-patch-replace-missing-parent",
      "422-json-patch-test-failed",
      "422-json-patch-unknown-op",
      "422-missing-name",
      "422-pod-immutable-field-patch",
      "422-pod-immutable-field-update",
      "422-pod-multiple-causes",
      "422-pod-without-containers",
      "422-resourceversionmatch-without-resourceversion",
      "429-eviction-blocked-by-pdb",
      "500-eviction-pod-has-two-pdbs",
      "504-list-future-resourceversion",
      "ok-cr-unknown-field-fieldValidation-warn",
      "ok-cr-unknown-field-pruned",
      "ok-create-without-apiversion-kind",
      "ok-create-yaml-body",
      "ok-list-notolderthan-resourceversion-1",
      "ok-pod-image-change-is-mutable",
  };
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string out;
  for (char c : info.param)
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

INSTANTIATE_TEST_SUITE_P(Errors, ErrorFixture, ::testing::ValuesIn(cases()), test_name);

}  // namespace
}  // namespace berth::sim::testing
