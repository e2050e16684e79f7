#include <gtest/gtest.h>

#include "kube/patch/patch.h"
#include "tests/unit/kube/patch/fixture_objects.h"

namespace kube::patch {
namespace {

using testing::fixture;
using testing::parse_json;
using testing::request_body;
using testing::same_object;

// Applies `patch` to `target` for `kind`; returns the compact result or "error <code>: <msg>".
std::string smp(std::string_view kind, std::string_view target, std::string_view patch) {
  json::Document doc = parse_json(target);
  json::Document p = parse_json(patch);
  std::string before = json::dump(doc);
  Status st = apply_strategic_merge_patch(doc, p, kind);
  if (!st.ok()) {
    EXPECT_EQ(json::dump(doc), before) << "a failed patch must not change the target";
    return "error " + std::to_string(st.error().code) + ": " + st.error().message;
  }
  return json::dump(doc);
}

constexpr std::string_view kDeployment = R"({"kind":"Deployment","metadata":{"name":"d"},
  "spec":{"template":{"spec":{"containers":[
    {"name":"app","image":"a:1","args":["x","y"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
     "ports":[{"containerPort":80,"protocol":"TCP"}]},
    {"name":"side","image":"s:1"}],
    "tolerations":[{"key":"k1","operator":"Exists"}]}}}})";

std::string containers(const std::string& result) {
  auto doc = parse_json(result);
  const json::Value* c = json::find_path(doc, {"spec", "template", "spec", "containers"});
  return c != nullptr ? json::dump(*c) : result;
}

TEST(StrategicMergePatch, ContainersMergeByName) {
  std::string r =
      smp("Deployment", kDeployment,
          R"({"spec":{"template":{"spec":{"containers":[{"name":"side","image":"s:2"}]}}}})");
  EXPECT_EQ(
      containers(r),
      R"([{"name":"app","image":"a:1","args":["x","y"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"ports":[{"containerPort":80,"protocol":"TCP"}]},{"name":"side","image":"s:2"}])");
}

TEST(StrategicMergePatch, NewListElementsGoFirstUnlessTheLiveOrderSaysOtherwise) {
  std::string r =
      smp("Deployment", kDeployment,
          R"({"spec":{"template":{"spec":{"containers":[{"name":"new","image":"n"}]}}}})");
  EXPECT_EQ(containers(r).find(R"([{"name":"new")"), 0u) << r;
}

TEST(StrategicMergePatch, NestedListsMergeByTheirOwnKeys) {
  std::string r = smp("Deployment", kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"app","env":[{"name":"B","value":"20"},{"name":"C","value":"3"}],
       "ports":[{"containerPort":8080}]}]}}}})");
  auto doc = parse_json(r);
  const json::Value& app = doc["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(json::dump(app["env"]),
            R"([{"name":"A","value":"1"},{"name":"B","value":"20"},{"name":"C","value":"3"}])");
  EXPECT_EQ(json::dump(app["ports"]),
            R"([{"containerPort":8080},{"containerPort":80,"protocol":"TCP"}])");
}

TEST(StrategicMergePatch, ListsWithoutStrategyAreReplaced) {
  std::string r = smp("Deployment", kDeployment, R"({"spec":{"template":{"spec":{
      "tolerations":[{"key":"k2","operator":"Exists"}],
      "containers":[{"name":"app","args":["z"],"command":["sh"]}]}}}})");
  auto doc = parse_json(r);
  EXPECT_EQ(json::dump(doc["spec"]["template"]["spec"]["tolerations"]),
            R"([{"key":"k2","operator":"Exists"}])");
  EXPECT_EQ(json::dump(doc["spec"]["template"]["spec"]["containers"][0]["args"]), R"(["z"])");
  EXPECT_EQ(json::dump(doc["spec"]["template"]["spec"]["containers"][0]["command"]), R"(["sh"])");
}

TEST(StrategicMergePatch, PatchDeleteOnListElements) {
  std::string r = smp("Deployment", kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"side","$patch":"delete"},
      {"name":"app","env":[{"name":"A","$patch":"delete"}]}]}}}})");
  EXPECT_EQ(
      containers(r),
      R"([{"name":"app","image":"a:1","args":["x","y"],"env":[{"name":"B","value":"2"}],"ports":[{"containerPort":80,"protocol":"TCP"}]}])");
}

TEST(StrategicMergePatch, PatchReplaceOnAList) {
  std::string r = smp("Deployment", kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"only","image":"o"},{"$patch":"replace"}]}}}})");
  EXPECT_EQ(containers(r), R"([{"name":"only","image":"o"}])");
}

TEST(StrategicMergePatch, PatchDirectivesOnMaps) {
  EXPECT_EQ(smp("ConfigMap", R"({"metadata":{"labels":{"a":"1","b":"2"}},"data":{"k":"v"}})",
                R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})"),
            R"({"metadata":{"labels":{"c":"3"}},"data":{"k":"v"}})");
  EXPECT_EQ(smp("ConfigMap", R"({"metadata":{"labels":{"a":"1"}},"data":{"k":"v"}})",
                R"({"data":{"$patch":"delete"}})"),
            R"({"metadata":{"labels":{"a":"1"}},"data":{}})");
  EXPECT_EQ(smp("ConfigMap", R"({"data":{"k":"v"}})", R"({"data":{"$patch":"merge","x":"y"}})"),
            R"(error 500: unknown patch type: merge in map: {"$patch":"merge","x":"y"})");
}

TEST(StrategicMergePatch, NullDeletesAndNestedNullsAreDropped) {
  EXPECT_EQ(smp("ConfigMap", R"({"data":{"a":"1","b":"2"}})",
                R"({"data":{"a":null},"metadata":{"labels":{"x":"1","y":null}}})"),
            R"({"data":{"b":"2"},"metadata":{"labels":{"x":"1"}}})");
}

TEST(StrategicMergePatch, FinalizersMergeAsASet) {
  EXPECT_EQ(smp("Pod", R"({"metadata":{"finalizers":["a","b"]}})",
                R"({"metadata":{"finalizers":["b","c"]}})"),
            R"({"metadata":{"finalizers":["a","b","c"]}})");
  EXPECT_EQ(smp("Pod", R"({"metadata":{"finalizers":["a","b","c"]}})",
                R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b","x"]}})"),
            R"({"metadata":{"finalizers":["a","c"]}})");
  EXPECT_EQ(smp("Pod", R"({"metadata":{"finalizers":["a","b"]}})",
                R"({"metadata":{"$setElementOrder/finalizers":["b","a"]}})"),
            R"({"metadata":{"finalizers":["b","a"]}})");
}

TEST(StrategicMergePatch, OwnerReferencesMergeByUid) {
  EXPECT_EQ(
      smp("ReplicaSet",
          R"({"metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"b"}]}})",
          R"({"metadata":{"ownerReferences":[{"uid":"2","name":"B","controller":true}]}})"),
      R"({"metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"B","controller":true}]}})");
}

TEST(StrategicMergePatch, ConditionsMergeByType) {
  constexpr std::string_view kStatus = R"({"status":{"conditions":[
      {"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}})";
  constexpr std::string_view kPatch =
      R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})";
  constexpr std::string_view kMerged =
      R"({"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}]}})";
  for (std::string_view kind :
       {"Pod", "Node", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "Namespace",
        "PersistentVolumeClaim", "PodDisruptionBudget", "Service"}) {
    EXPECT_EQ(smp(kind, kStatus, kPatch), kMerged) << kind;
  }
  // A kind without keyed conditions replaces the list.
  EXPECT_EQ(smp("ConfigMap", kStatus, kPatch),
            R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})");
}

TEST(StrategicMergePatch, ServicePortsMergeByPort) {
  EXPECT_EQ(
      smp("Service",
          R"({"spec":{"ports":[{"port":80,"name":"http"},{"port":443,"name":"https"}]}})",
          R"({"spec":{"ports":[{"port":443,"targetPort":8443}]}})"),
      R"({"spec":{"ports":[{"port":80,"name":"http"},{"port":443,"name":"https","targetPort":8443}]}})");
}

TEST(StrategicMergePatch, PodTemplatesWhereverTheySit) {
  constexpr std::string_view kPatch = R"({"name":"app","image":"new"})";
  auto at = [&](std::string_view prefix, std::string_view suffix) {
    return std::string(prefix) + R"({"containers":[{"name":"app","image":"old"},{"name":"b"}]})" +
           std::string(suffix);
  };
  auto patch_at = [&](std::string_view prefix, std::string_view suffix) {
    return std::string(prefix) + R"({"containers":[)" + std::string(kPatch) + "]}" +
           std::string(suffix);
  };
  struct Case {
    std::string_view kind, prefix, suffix;
  };
  for (const Case& c :
       {Case{"Pod", R"({"spec":)", "}"}, Case{"PodTemplate", R"({"template":{"spec":)", "}}"},
        Case{"ReplicationController", R"({"spec":{"template":{"spec":)", "}}}"},
        Case{"Job", R"({"spec":{"template":{"spec":)", "}}}"},
        Case{"CronJob", R"({"spec":{"jobTemplate":{"spec":{"template":{"spec":)", "}}}}}"}}) {
    std::string r = smp(c.kind, at(c.prefix, c.suffix), patch_at(c.prefix, c.suffix));
    EXPECT_NE(r.find(R"([{"name":"app","image":"new"},{"name":"b"}])"), std::string::npos)
        << c.kind << ": " << r;
  }
}

TEST(StrategicMergePatch, RetainKeys) {
  EXPECT_EQ(smp("Deployment",
                R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})",
                R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})"),
            R"({"spec":{"strategy":{"type":"Recreate"}}})");
  EXPECT_EQ(smp("Deployment", R"({"spec":{"strategy":{"type":"RollingUpdate"}}})",
                R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})"),
            "error 400: invalid patch format of retainKeys");
  EXPECT_EQ(smp("Deployment", R"({"spec":{}})", R"({"spec":{"$retainKeys":"type"}})"),
            "error 400: invalid patch format of retainKeys");
}

TEST(StrategicMergePatch, SetElementOrderReordersAndValidates) {
  EXPECT_EQ(containers(smp("Deployment", kDeployment, R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"side"},{"name":"app"}]}}}})"))
                .find(R"([{"name":"side")"),
            0u);
  EXPECT_EQ(smp("Deployment", kDeployment, R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"app"}],
      "containers":[{"name":"side","image":"x"}]}}}})")
                .substr(0, 38),
            "error 500: The order in patch list:\n[{");
  EXPECT_EQ(smp("Deployment", kDeployment, R"({"spec":{"$setElementOrder":[]}})"),
            "error 400: invalid patch format of setElementOrder list");
  EXPECT_EQ(smp("Pod", R"({"metadata":{"finalizers":["a"]}})",
                R"({"metadata":{"$deleteFromPrimitiveListfinalizers":["a"]}})"),
            "error 400: invalid patch format of primitive list");
}

TEST(StrategicMergePatch, ErrorsAsTheApiserverClassifiesThem) {
  EXPECT_EQ(smp("Deployment", kDeployment,
                R"({"spec":{"template":{"spec":{"containers":[{"image":"nameless"}]}}}})"),
            R"(error 500: map: {"image":"nameless"} does not contain declared merge key: name)");
  EXPECT_EQ(smp("Pod", R"({"metadata":{"finalizers":[["x"]]}})",
                R"({"metadata":{"finalizers":[["a"]]}})"),
            "error 422: lists of lists are not supported");
  EXPECT_EQ(
      smp("Pod", R"({"metadata":{"finalizers":["a"]}})", R"({"metadata":{"finalizers":[1]}})"),
      R"(error 500: list element types are not identical: [["a"] [1]])");
  EXPECT_EQ(smp("Deployment", kDeployment,
                R"({"spec":{"template":{"spec":{"containers":[{"name":"a","$patch":"merge"}]}}}})"),
            "error 500: merging lists cannot yet be specified in the patch");
  EXPECT_EQ(
      smp("Pod", "{}", "[1]"),
      "error 400: json: cannot unmarshal array into Go value of type map[string]interface {}");
}

TEST(StrategicMergePatch, CustomResourcesAreRejected) {
  json::Document doc = parse_json(R"({"spec":{"replicas":1}})");
  Status st = apply_strategic_merge_patch(doc, parse_json(R"({"spec":{"replicas":2}})"), "Widget");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, Reason::kUnsupportedMediaType);
  EXPECT_EQ(st.error().code, 415);
}

// ---- Against the real apiserver --------------------------------------------------------------

// What the apiserver's defaulting adds to a container that a patch brings back (the patch
// result itself does not have them).
json::Document with_container_defaults(const json::Value& deployment) {
  json::Document doc = json::copy(deployment);
  json::Value* list = json::find(doc, "spec");
  for (const char* key : {"template", "spec", "containers"}) {
    list = list != nullptr ? json::find(*list, key) : nullptr;
  }
  if (list == nullptr) return doc;
  for (auto& c : list->GetArray()) {
    auto& a = doc.GetAllocator();
    if (!c.HasMember("resources")) c.AddMember("resources", json::Value(rapidjson::kObjectType), a);
    if (!c.HasMember("terminationMessagePath")) {
      c.AddMember("terminationMessagePath", "/dev/termination-log", a);
    }
    if (!c.HasMember("terminationMessagePolicy"))
      c.AddMember("terminationMessagePolicy", "File", a);
    if (!c.HasMember("imagePullPolicy")) c.AddMember("imagePullPolicy", "IfNotPresent", a);
  }
  return doc;
}

void expect_step(json::Document& doc, std::string_view kind, std::string_view step,
                 bool adds_a_container = false) {
  std::string name = "patch/" + std::string(step);
  Status st = apply_strategic_merge_patch(doc, request_body(name), kind);
  ASSERT_TRUE(st.ok()) << step << ": " << st.error().message;
  json::Document expected = fixture(name + ".json");
  if (adds_a_container) {
    EXPECT_TRUE(same_object(with_container_defaults(doc), expected)) << step;
  } else {
    EXPECT_TRUE(same_object(doc, expected)) << step;
  }
}

TEST(StrategicMergePatchFixtures, DeploymentSequence) {
  BERTH_REQUIRE_FIXTURES();
  json::Document doc = fixture("patch/smp-deployment-00-before-create.json");
  for (std::string_view step :
       {"smp-deployment-01-change-one-container-image", "smp-deployment-02-env-merge-by-name",
        "smp-deployment-03-patch-delete-env-entry", "smp-deployment-04-patch-delete-container"}) {
    expect_step(doc, "Deployment", step);
  }
  expect_step(doc, "Deployment", "smp-deployment-05-setElementOrder-readd", true);
}

TEST(StrategicMergePatchFixtures, NoOpPatch) {
  BERTH_REQUIRE_FIXTURES();
  json::Document doc = fixture("patch/merge-patch-deployment-replaces-list.json");
  json::Document before = json::copy(doc);
  expect_step(doc, "Deployment", "smp-deployment-06-noop-same-image");
  EXPECT_TRUE(json::equal(doc, before));
}

TEST(StrategicMergePatchFixtures, DeleteFromPrimitiveListFinalizers) {
  BERTH_REQUIRE_FIXTURES();
  // The capture added two finalizers between steps 06 and 07 without recording that request.
  json::Document doc = fixture("patch/smp-deployment-06-noop-same-image.json");
  json::Value finalizers(rapidjson::kArrayType);
  finalizers.PushBack("fx.example.com/a", doc.GetAllocator());
  finalizers.PushBack("fx.example.com/b", doc.GetAllocator());
  doc["metadata"].AddMember("finalizers", finalizers, doc.GetAllocator());
  expect_step(doc, "Deployment", "smp-deployment-07-deleteFromPrimitiveList-finalizers");
}

TEST(StrategicMergePatchFixtures, ConfigMapReplaceMap) {
  BERTH_REQUIRE_FIXTURES();
  json::Document doc = fixture("patch/json-patch-configmap-escaped-key.json");
  expect_step(doc, "ConfigMap", "strategic-merge-patch-configmap-patch-replace-map");
}

TEST(StrategicMergePatchFixtures, CustomResourceMessage) {
  BERTH_REQUIRE_FIXTURES();
  json::Document status = fixture("errors/415-strategic-merge-patch-on-custom-resource.json");
  json::Document doc = parse_json(R"({"apiVersion":"fx.example.com/v1","kind":"Widget"})");
  Status st = apply_strategic_merge_patch(
      doc, request_body("errors/415-strategic-merge-patch-on-custom-resource"), "Widget");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, json::get_string(status, "message"));
  EXPECT_EQ(st.error().code, json::get_int(status, "code"));
  EXPECT_EQ(reason_name(st.error().reason), json::get_string(status, "reason"));
}

}  // namespace
}  // namespace kube::patch
