#include "kube/patch/apply.h"

#include <gtest/gtest.h>

#include "kube/core/yaml.h"
#include "kube/patch/patch.h"
#include "tests/unit/kube/patch/fixture_objects.h"

namespace kube::patch {
namespace {

using testing::fixture;
using testing::parse_json;
using testing::request_body;

SystemTime at(std::string_view rfc3339) {
  auto t = parse_time(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(SystemTime{});
}

const SystemTime kNow = at("2026-11-25T04:08:48Z");

json::Document yaml_body(std::string_view fixture_name) {
  json::Document body = request_body(fixture_name);
  auto doc = yaml::to_json(json::as_string(body));
  EXPECT_TRUE(doc.ok()) << fixture_name;
  return doc.ok() ? std::move(doc).value() : json::Document();
}

std::string managed_fields(const json::Value& object) {
  const json::Value* mf = json::find_path(object, {"metadata", "managedFields"});
  return mf != nullptr ? json::dump(*mf) : "<none>";
}

// The managedFields entries of the named managers, in order.
std::string managed_fields_of(const json::Value& object,
                              std::initializer_list<std::string_view> managers) {
  json::Document out(rapidjson::kArrayType);
  const json::Value* mf = json::find_path(object, {"metadata", "managedFields"});
  if (mf == nullptr) return "<none>";
  for (const auto& e : mf->GetArray()) {
    for (std::string_view m : managers) {
      if (json::get_string(e, "manager") == m) {
        out.PushBack(json::Value(e, out.GetAllocator()), out.GetAllocator());
      }
    }
  }
  return json::dump(out);
}

// What the apply decides, apart from what the apiserver adds when storing (namespace, uid,
// timestamps, resourceVersion, generation, defaults of a new object).
::testing::AssertionResult same_content(const json::Value& actual, const json::Value& expected) {
  json::Document a = testing::normalized(actual);
  json::Document e = testing::normalized(expected);
  for (json::Document* d : {&a, &e}) {
    if (json::Value* md = json::find(*d, "metadata")) json::remove(*md, "namespace");
  }
  if (json::equal(a, e)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\n  actual:   " << json::dump(a) << "\n  expected: " << json::dump(e);
}

void expect_status(const Error& error, std::string_view status_fixture) {
  json::Document status = fixture(status_fixture);
  EXPECT_EQ(error.code, json::get_int(status, "code"));
  EXPECT_EQ(reason_name(error.reason), json::get_string(status, "reason"));
  EXPECT_EQ(error.message, json::get_string(status, "message"));
  const json::Value& causes = status["details"]["causes"];
  ASSERT_EQ(error.causes.size(), causes.Size());
  for (rapidjson::SizeType i = 0; i < causes.Size(); ++i) {
    EXPECT_EQ(error.causes[i].reason, json::get_string(causes[i], "reason"));
    EXPECT_EQ(error.causes[i].message, json::get_string(causes[i], "message"));
    EXPECT_EQ(error.causes[i].field, json::get_string(causes[i], "field"));
  }
}

TEST(ApplyFixtures, ConfigMapOwnershipSequence) {
  BERTH_REQUIRE_FIXTURES();
  auto apply = [](const json::Value* live, std::string_view step, std::string_view manager,
                  bool force) {
    return server_side_apply(live, yaml_body("patch/" + std::string(step)), manager, force,
                             "ConfigMap", "v1", kNow);
  };
  // 01: creates the object; alpha owns what it applied.
  auto created = apply(nullptr, "apply-01-create-via-apply", "alpha", false);
  ASSERT_TRUE(created.ok()) << created.error().message;
  json::Document step1 = fixture("patch/apply-01-create-via-apply.json");
  EXPECT_TRUE(same_content(*created, step1));
  EXPECT_EQ(managed_fields(*created), managed_fields(step1));

  // 02: alpha no longer applies key2, which nobody else owns: removed.
  auto dropped = apply(&step1, "apply-02-same-manager-change-and-drop-field", "alpha", false);
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  json::Document step2 = fixture("patch/apply-02-same-manager-change-and-drop-field.json");
  EXPECT_TRUE(same_content(*dropped, step2));
  EXPECT_EQ(managed_fields(*dropped), managed_fields(step2));

  // 03: beta sets alpha's key1 to another value: conflict.
  auto conflict = apply(&step2, "apply-03-conflict-other-manager", "beta", false);
  ASSERT_FALSE(conflict.ok());
  expect_status(conflict.error(), "patch/apply-03-conflict-other-manager.json");

  // 04: forced, beta takes key1 over.
  auto forced = apply(&step2, "apply-04-force-takes-ownership", "beta", true);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  json::Document step4 = fixture("patch/apply-04-force-takes-ownership.json");
  EXPECT_TRUE(same_content(*forced, step4));
  EXPECT_EQ(managed_fields(*forced), managed_fields(step4));

  // 05: a JSON body from a third manager adds its own key.
  json::Document json_body = parse_json(json::as_string(request_body("patch/apply-05-json-body")));
  auto gamma = server_side_apply(&step4, json_body, "gamma", false, "ConfigMap", "v1", kNow);
  ASSERT_TRUE(gamma.ok()) << gamma.error().message;
  json::Document step5 = fixture("patch/apply-05-json-body.json");
  EXPECT_TRUE(same_content(*gamma, step5));
  EXPECT_EQ(managed_fields(*gamma), managed_fields(step5));

  // A merge patch with ?fieldManager=delta records an Update entry for what it changed.
  json::Document patched = json::copy(step5);
  ASSERT_TRUE(apply_merge_patch(
                  patched, request_body("patch/merge-patch-with-fieldmanager-update-operation"))
                  .ok());
  json::Document updated = track_update(patched, &step5, "delta", "v1", kNow);
  json::Document step6 = fixture("patch/merge-patch-with-fieldmanager-update-operation.json");
  EXPECT_TRUE(same_content(updated, step6));
  EXPECT_EQ(managed_fields(updated), managed_fields(step6));
}

TEST(ApplyFixtures, DeploymentContainerOwnership) {
  BERTH_REQUIRE_FIXTURES();
  const SystemTime now = at("2026-11-25T04:09:04Z");
  auto created =
      server_side_apply(nullptr, yaml_body("patch/apply-06-deployment-create-two-containers"),
                        "alpha", false, "Deployment", "apps/v1", now);
  ASSERT_TRUE(created.ok()) << created.error().message;
  json::Document step6 = fixture("patch/apply-06-deployment-create-two-containers.json");
  EXPECT_EQ(managed_fields(*created), managed_fields(step6));
  const json::Value* containers =
      json::find_path(*created, {"spec", "template", "spec", "containers"});
  ASSERT_NE(containers, nullptr);
  EXPECT_EQ(
      json::dump(*containers),
      R"([{"name":"app","image":"nginx:1.25"},{"name":"sidecar","image":"busybox:1.36","command":["sleep","infinity"]}])");

  // berth-rollout sets alpha's image of the app container: conflict on exactly that field.
  json::Document body = yaml_body("patch/apply-08-deployment-one-container-image-force");
  auto conflict =
      server_side_apply(&step6, body, "berth-rollout", false, "Deployment", "apps/v1", now);
  ASSERT_FALSE(conflict.ok());
  expect_status(conflict.error(), "patch/apply-07-deployment-other-manager-conflict.json");

  // Forced: the image changes, the sidecar (still alpha's) stays, alpha keeps the app's name.
  auto forced =
      server_side_apply(&step6, body, "berth-rollout", true, "Deployment", "apps/v1", now);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  json::Document step8 = fixture("patch/apply-08-deployment-one-container-image-force.json");
  EXPECT_EQ(json::dump((*forced)["spec"]), json::dump(step8["spec"]));
  EXPECT_EQ(managed_fields_of(*forced, {"alpha", "berth-rollout"}),
            managed_fields_of(step8, {"alpha", "berth-rollout"}));
}

// ---- managedFields of objects created with POST -----------------------------------------------

// Fields the apiserver adds after computing managedFields (storage strategy, admission).
struct Created {
  std::string_view file;
  std::initializer_list<std::string_view> added_later;
};

void remove_dotted(json::Value& object, std::string_view dotted) {
  json::Value* node = &object;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = dotted.find('.', start);
    std::string key(
        dotted.substr(start, dot == std::string_view::npos ? dotted.npos : dot - start));
    if (dot == std::string_view::npos) {
      json::remove(*node, key);
      return;
    }
    node = json::find(*node, key);
    if (node == nullptr) return;
    start = dot + 1;
  }
}

TEST(TrackUpdateFixtures, CreatorsOwnWhatTheyWrote) {
  BERTH_REQUIRE_FIXTURES();
  const Created kCases[] = {
      {"configmap-create", {}},
      {"deployment-create", {}},
      {"secret-create", {}},
      {"lease-leader-election-create", {}},
      {"priorityclass-create", {}},
      {"storageclass-create", {}},
      {"pdb-create", {}},
      {"event-core-v1-create", {}},
      {"event-events.k8s.io-v1-create", {}},
      {"mutatingwebhookconfiguration-create-defaults", {}},
      {"validatingwebhookconfiguration-create-defaults", {}},
      {"cr-create-status-dropped", {}},
      {"crd-create", {"status"}},
      {"namespace-create", {"status", "spec"}},
      {"pv-create", {"status", "metadata.finalizers"}},
      {"pvc-create", {"status", "metadata.finalizers"}},
      {"service-create-clusterip",
       {"spec.clusterIP", "spec.clusterIPs", "spec.ipFamilies", "spec.ipFamilyPolicy"}},
      {"service-create-nodeport",
       {"spec.clusterIP", "spec.clusterIPs", "spec.ipFamilies", "spec.ipFamilyPolicy"}},
      {"service-create-headless", {"spec.clusterIPs", "spec.ipFamilies", "spec.ipFamilyPolicy"}},
      {"pod-create-minimal",
       {"status", "spec.volumes", "spec.serviceAccount", "spec.serviceAccountName",
        "spec.tolerations", "spec.priority", "spec.preemptionPolicy"}},
      {"pod-create-manual-scheduler",
       {"status", "spec.volumes", "spec.serviceAccount", "spec.serviceAccountName",
        "spec.tolerations", "spec.priority", "spec.preemptionPolicy"}},
  };
  for (const Created& c : kCases) {
    json::Document stored = fixture("objects/" + std::string(c.file) + ".json");
    const json::Value& entry = stored["metadata"]["managedFields"][0];
    json::Document written = json::copy(stored);
    json::remove(written["metadata"], "managedFields");
    for (std::string_view later : c.added_later)
      remove_dotted(written, later);
    // The service account token mount is added by admission and node ports are allocated by
    // the storage layer, both after managedFields.
    json::Value* spec = json::find(written, "spec");
    if (json::Value* cs = spec != nullptr ? json::find(*spec, "containers") : nullptr) {
      for (auto& container : cs->GetArray())
        json::remove(container, "volumeMounts");
    }
    if (json::Value* ports = spec != nullptr ? json::find(*spec, "ports") : nullptr) {
      for (auto& port : ports->GetArray())
        json::remove(port, "nodePort");
    }
    json::Document tracked =
        track_update(written, nullptr, json::get_string(entry, "manager"),
                     json::get_string(entry, "apiVersion"), at(json::get_string(entry, "time")));
    // Custom resources come back with sorted keys; compare as JSON values.
    json::Document expected = json::copy(stored["metadata"]["managedFields"]);
    const json::Value* actual = json::find_path(tracked, {"metadata", "managedFields"});
    ASSERT_NE(actual, nullptr) << c.file;
    EXPECT_TRUE(json::equal(*actual, expected)) << c.file << "\n  actual:   " << json::dump(*actual)
                                                << "\n  expected: " << json::dump(expected);
  }
}

// ---- Behaviour beyond the fixtures ------------------------------------------------------------

constexpr std::string_view kConfigMap = "ConfigMap";

json::Document must(Result<json::Document> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : json::Document();
}

TEST(ServerSideApply, SharedOwnershipKeepsAFieldWhenOneManagerDropsIt) {
  json::Document v1 = must(server_side_apply(
      nullptr,
      parse_json(
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1","b":"2"}})"),
      "alpha", false, kConfigMap, "v1", kNow));
  // Same value: no conflict, both own b.
  json::Document v2 = must(server_side_apply(
      &v1,
      parse_json(
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"b":"2"}})"),
      "beta", false, kConfigMap, "v1", kNow));
  json::Document v3 = must(server_side_apply(
      &v2,
      parse_json(
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}})"),
      "alpha", false, kConfigMap, "v1", kNow));
  EXPECT_EQ(json::dump(v3["data"]), R"({"a":"1","b":"2"})");
  EXPECT_EQ(
      managed_fields_of(v3, {"alpha"}),
      R"([{"manager":"alpha","operation":"Apply","apiVersion":"v1","time":"2026-11-25T04:08:48Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{}}}}])");
  // Once beta drops it too, b goes.
  json::Document v4 = must(server_side_apply(
      &v3, parse_json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})"), "beta",
      false, kConfigMap, "v1", kNow));
  EXPECT_EQ(json::dump(v4["data"]), R"({"a":"1"})");
  EXPECT_EQ(managed_fields_of(v4, {"beta"}), "[]");
}

TEST(ServerSideApply, NoOpApplyKeepsTheObjectAndItsTimes) {
  json::Document config = parse_json(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"x":"1"}},"data":{"a":"1"}})");
  json::Document v1 =
      must(server_side_apply(nullptr, config, "alpha", false, kConfigMap, "v1", kNow));
  json::Document v2 = must(
      server_side_apply(&v1, config, "alpha", false, kConfigMap, "v1", at("2026-11-25T05:00:00Z")));
  EXPECT_TRUE(json::equal(v1, v2)) << json::dump(v2);
}

TEST(ServerSideApply, SeveralConflictsAreGroupedByManager) {
  json::Document v1 = must(server_side_apply(
      nullptr,
      parse_json(
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1","b":"2"}})"),
      "alpha", false, kConfigMap, "v1", kNow));
  json::Document patched = json::copy(v1);
  ASSERT_TRUE(apply_merge_patch(patched, parse_json(R"({"data":{"c":"3"}})")).ok());
  json::Document v2 = track_update(patched, &v1, "kubectl-edit", "v1", kNow);
  auto r = server_side_apply(
      &v2,
      parse_json(
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"x","b":"y","c":"z"}})"),
      "beta", false, kConfigMap, "v1", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "Apply failed with 3 conflicts: conflicts with \"alpha\":\n- .data.a\n- .data.b\n"
            "conflicts with \"kubectl-edit\" using v1:\n- .data.c");
  ASSERT_EQ(r.error().causes.size(), 3u);
  EXPECT_EQ(r.error().causes[2].message, "conflict with \"kubectl-edit\" using v1");
}

TEST(ServerSideApply, FirstApplyToAnUntrackedObject) {
  json::Document live = parse_json(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","uid":"u"},"spec":{"replicas":1},"status":{"replicas":1}})");
  json::Document config = parse_json(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":3},"status":{"replicas":9}})");
  FieldManagerOptions options;
  options.ignored_fields = {"status"};
  // The fields the object already had belong to "before-first-apply".
  auto conflict =
      server_side_apply(&live, config, "alpha", false, "Deployment", "apps/v1", kNow, options);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().message,
            "Apply failed with 1 conflict: conflict with \"before-first-apply\" using apps/v1: "
            ".spec.replicas");
  // Forced: spec changes; status is neither set nor owned through the main resource.
  json::Document v =
      must(server_side_apply(&live, config, "alpha", true, "Deployment", "apps/v1", kNow, options));
  EXPECT_EQ(json::dump(v["spec"]), R"({"replicas":3})");
  EXPECT_EQ(json::dump(v["status"]), R"({"replicas":1})");
  EXPECT_EQ(
      managed_fields(v),
      R"([{"manager":"alpha","operation":"Apply","apiVersion":"apps/v1","time":"2026-11-25T04:08:48Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}])");
}

TEST(ServerSideApply, KeyedListsNeedTheirKeys) {
  auto r = server_side_apply(
      nullptr,
      parse_json(
          R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"image":"x"}]}})"),
      "alpha", false, "Pod", "v1", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 422);
  EXPECT_NE(r.error().message.find("omits key field \"name\""), std::string::npos)
      << r.error().message;
  // A port's protocol defaults to TCP when it keys the list.
  json::Document pod = must(server_side_apply(
      nullptr,
      parse_json(
          R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}]}})"),
      "alpha", false, "Pod", "v1", kNow));
  EXPECT_NE(managed_fields(pod).find(R"(k:{\"containerPort\":80,\"protocol\":\"TCP\"})"),
            std::string::npos)
      << managed_fields(pod);
}

TEST(ServerSideApply, RequestErrors) {
  json::Document config =
      parse_json(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  auto wrong_version = server_side_apply(nullptr, config, "m", false, kConfigMap, "v2", kNow);
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_EQ(wrong_version.error().code, 400);
  EXPECT_EQ(
      wrong_version.error().message,
      "Incorrect version specified in apply patch. Specified patch version: v1, expected: v2");
  auto no_manager = server_side_apply(nullptr, config, "", false, kConfigMap, "v1", kNow);
  ASSERT_FALSE(no_manager.ok());
  EXPECT_EQ(no_manager.error().code, 422);
  auto managed = server_side_apply(
      nullptr,
      parse_json(
          R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","managedFields":[]}})"),
      "m", false, kConfigMap, "v1", kNow);
  ASSERT_FALSE(managed.ok());
  EXPECT_EQ(managed.error().message, "metadata.managedFields must be nil");
}

TEST(ApplyFixtures, ApplyWithoutFieldManager) {
  BERTH_REQUIRE_FIXTURES();
  json::Document status = fixture("errors/422-apply-patch-without-fieldmanager.json");
  json::Document body = parse_json(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"b"}})");
  auto r = server_side_apply(nullptr, body, "", false, "ConfigMap", "v1", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, json::get_string(status, "message"));
  EXPECT_EQ(r.error().code, json::get_int(status, "code"));
  EXPECT_EQ(reason_name(r.error().reason), json::get_string(status, "reason"));
  EXPECT_EQ(r.error().kind, json::get_string(status["details"], "kind"));
  const json::Value& cause = status["details"]["causes"][0];
  ASSERT_EQ(r.error().causes.size(), 1u);
  EXPECT_EQ(r.error().causes[0].reason, json::get_string(cause, "reason"));
  EXPECT_EQ(r.error().causes[0].message, json::get_string(cause, "message"));
  EXPECT_EQ(r.error().causes[0].field, json::get_string(cause, "field"));
}

TEST(TrackUpdate, UntrackedObjectsStayUntracked) {
  json::Document old =
      parse_json(R"({"kind":"ConfigMap","metadata":{"name":"c","uid":"u"},"data":{"a":"1"}})");
  json::Document updated =
      parse_json(R"({"kind":"ConfigMap","metadata":{"name":"c","uid":"u"},"data":{"a":"2"}})");
  json::Document r = track_update(updated, &old, "m", "v1", kNow);
  EXPECT_EQ(managed_fields(r), "<none>");
}

TEST(TrackUpdate, ChangedFieldsMoveToTheWriter) {
  json::Document created = track_update(
      parse_json(R"({"kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1","b":"2"}})"),
      nullptr, "creator", "v1", kNow);
  EXPECT_EQ(
      managed_fields(created),
      R"([{"manager":"creator","operation":"Update","apiVersion":"v1","time":"2026-11-25T04:08:48Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:a":{},"f:b":{}}}}])");
  json::Document edited = json::copy(created);
  edited["data"]["a"].SetString("9");
  json::remove(edited["data"], "b");
  json::Document r = track_update(edited, &created, "editor", "v1", at("2026-11-25T04:09:00Z"));
  EXPECT_EQ(
      managed_fields(r),
      R"([{"manager":"creator","operation":"Update","apiVersion":"v1","time":"2026-11-25T04:08:48Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{}}},)"
      R"({"manager":"editor","operation":"Update","apiVersion":"v1","time":"2026-11-25T04:09:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{}}}}])");
  // A subresource writer is a separate entry.
  json::Document status = json::copy(r);
  json::set_string(json::ensure_object(status, "status", status.GetAllocator()), "phase", "Ready",
                   status.GetAllocator());
  FieldManagerOptions sub;
  sub.subresource = "status";
  json::Document s = track_update(status, &r, "editor", "v1", kNow, sub);
  EXPECT_NE(managed_fields(s).find(
                R"("fieldsV1":{"f:status":{".":{},"f:phase":{}}},"subresource":"status")"),
            std::string::npos)
      << managed_fields(s);
}

TEST(TrackUpdate, AtMostTenUpdateManagers) {
  json::Document doc =
      track_update(parse_json(R"({"kind":"ConfigMap","metadata":{"name":"c"},"data":{}})"), nullptr,
                   "m0", "v1", at("2026-11-25T04:00:00Z"));
  for (int i = 1; i <= 12; ++i) {
    json::Document next = json::copy(doc);
    std::string key = "k" + std::to_string(i);
    json::set_string(next["data"], key, "v", next.GetAllocator());
    doc = track_update(
        next, &doc, "m" + std::to_string(i), "v1",
        at("2026-11-25T04:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "Z"));
  }
  const json::Value& mf = doc["metadata"]["managedFields"];
  EXPECT_EQ(mf.Size(), 10u) << managed_fields(doc);
  EXPECT_NE(managed_fields(doc).find("\"manager\":\"ancient-changes\""), std::string::npos);
}

TEST(ManagerFromUserAgent, PrefixBeforeTheFirstSlash) {
  EXPECT_EQ(manager_from_user_agent("kubectl/v1.32.4 (linux/amd64) kubernetes/6ad0e69"), "kubectl");
  EXPECT_EQ(manager_from_user_agent("berth-fixture-capture/1.0"), "berth-fixture-capture");
  EXPECT_EQ(manager_from_user_agent("plain"), "plain");
  EXPECT_EQ(manager_from_user_agent(std::string(200, 'x')).size(), 128u);
  EXPECT_EQ(manager_from_user_agent("a\tb/c"), "ab");
}

}  // namespace
}  // namespace kube::patch
