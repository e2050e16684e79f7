// The CRD in deploy/crds against the code: every field the controller reads or writes must be
// declared (the apiserver prunes undeclared ones), and every sample must be a valid Rollout.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "controllers/rollout/spec.h"
#include "controllers/rollout/status.h"
#include "kube/core/strings.h"
#include "kube/core/yaml.h"
#include "tests/support/fixtures.h"

namespace berth::rollout {
namespace {

namespace json = kube::json;
namespace fs = std::filesystem;

json::Document load_yaml(const fs::path& path) {
  auto doc = kube::yaml::to_json(berth::testing::read_file(path));
  EXPECT_TRUE(doc.ok()) << path << ": " << (doc.ok() ? "" : doc.error().message);
  return doc.ok() ? std::move(doc).value() : json::Document();
}

const fs::path kSource = BERTH_SOURCE_DIR;

const json::Value& version_schema(const json::Document& crd) {
  const json::Value* v = json::find_path(crd, {"spec", "versions"});
  EXPECT_TRUE(v != nullptr && v->IsArray() && v->Size() == 1);
  return *json::find_path((*v)[0], {"schema", "openAPIV3Schema"});
}

// Paths in `value` that `schema` would prune.
void undeclared(const json::Value& value, const json::Value& schema, const std::string& path,
                std::vector<std::string>& out) {
  if (json::get_bool(schema, "x-kubernetes-preserve-unknown-fields") ||
      json::get_bool(schema, "x-kubernetes-int-or-string")) {
    return;
  }
  if (value.IsObject()) {
    const json::Value* props = json::find(schema, "properties");
    const json::Value* extra = json::find(schema, "additionalProperties");
    for (const auto& m : value.GetObject()) {
      std::string key(json::as_string(m.name));
      const json::Value* child = props != nullptr ? json::find(*props, key) : nullptr;
      if (child == nullptr && extra != nullptr && extra->IsObject()) child = extra;
      if (child == nullptr) {
        out.push_back(path + "." + key);
        continue;
      }
      undeclared(m.value, *child, path + "." + key, out);
    }
  } else if (value.IsArray()) {
    const json::Value* items = json::find(schema, "items");
    for (const json::Value& item : value.GetArray()) {
      if (items == nullptr) {
        out.push_back(path + "[]");
        return;
      }
      undeclared(item, *items, path + "[]", out);
    }
  }
}

TEST(RolloutCrd, DeclaresEveryStatusField) {
  json::Document crd = load_yaml(kSource / "deploy/crds/rollouts.berth.dev.yaml");
  const json::Value& schema = version_schema(crd);
  RolloutStatus s;
  kube::SystemTime t{};
  s.observed_generation = 1;
  s.message = "m";
  s.stable_hash = s.canary_hash = "h";
  s.step_started = s.last_progress = s.degraded_since = t;
  s.replicas = s.ready_replicas = s.available_replicas = s.updated_replicas = 1;
  s.updated_available_replicas = s.stable_available_replicas = 1;
  s.selector = "app=web";
  s.abort = AbortInfo{"h", "r", "m", t};
  s.promote_full_hash = s.promoted_hash = "h";
  s.pending_rollback = PendingRollback{1, "h"};
  s.action_ack = "promote";
  s.analysis_runs.push_back({"step-1", "h", RunPhase::kRunning, t, "m", {{"c", 1, 1, 0, t, "m"}}});
  s.history.push_back({1, "h", "NewRevision", "r", "b", t});
  s.scale_down_deadlines.push_back({"ReplicaSet/x", t});
  set_condition(s.conditions, "Available", "True", "R", "m", t, 1);
  json::Document status = s.to_json();
  std::vector<std::string> missing;
  undeclared(status, *json::find_path(schema, {"properties", "status"}), "status", missing);
  EXPECT_TRUE(missing.empty()) << "pruned: " << kube::join(missing, ", ");
  // The scale subresource reads these two.
  EXPECT_NE(json::find(status, "replicas"), nullptr);
  EXPECT_NE(json::find(status, "selector"), nullptr);
}

TEST(RolloutCrd, DeclaresEverySpecField) {
  json::Document crd = load_yaml(kSource / "deploy/crds/rollouts.berth.dev.yaml");
  const json::Value& schema = version_schema(crd);
  auto spec = json::parse(R"({"replicas":3,"selector":{"matchLabels":{"a":"b"},
    "matchExpressions":[{"key":"k","operator":"In","values":["v"]}]},
    "template":{"metadata":{"labels":{"a":"b","k":"v"}},"spec":{"containers":[{"name":"c"}]}},
    "minReadySeconds":1,"revisionHistoryLimit":2,"progressDeadlineSeconds":30,"paused":false,
    "strategy":{"canary":{"maxSurge":"25%","maxUnavailable":1,"stableService":"s",
      "canaryService":"c","steps":[{"setWeight":5},{"pause":{"duration":"1m"}},
      {"analysis":{"checks":[{"name":"r","podReadiness":{},"interval":"5s","count":2,
                              "failureLimit":1}]}}],
      "analysis":{"checks":[{"name":"x","restarts":{"maxRestarts":1}},
        {"name":"h","http":{"url":"http://h","timeoutSeconds":2,"headers":[{"name":"a","value":"b"}],
         "successCondition":{"statusCodes":[200],"jsonField":"a","equals":"b"}}},
        {"name":"l","http":{"url":"http://h","successCondition":{"jsonField":"a","lessThan":1}}},
        {"name":"g","http":{"url":"http://h","successCondition":{"jsonField":"a","greaterThan":1}}}]}}}})");
  ASSERT_TRUE(spec.ok());
  auto parsed = parse_spec(*spec);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  std::vector<std::string> missing;
  undeclared(*spec, *json::find_path(schema, {"properties", "spec"}), "spec", missing);
  auto bg = json::parse(R"({"workloadRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"d"},
    "selector":{"matchLabels":{"a":"b"}},
    "strategy":{"blueGreen":{"activeService":"a","previewService":"p","autoPromotion":false,
      "scaleDownDelaySeconds":3,"prePromotionAnalysis":{"checks":[{"name":"r","podReadiness":{}}]}}}})");
  ASSERT_TRUE(bg.ok());
  ASSERT_TRUE(parse_spec(*bg).ok());
  undeclared(*bg, *json::find_path(schema, {"properties", "spec"}), "spec", missing);
  EXPECT_TRUE(missing.empty()) << "pruned: " << kube::join(missing, ", ");
}

TEST(RolloutCrd, HasStatusAndScaleSubresources) {
  json::Document crd = load_yaml(kSource / "deploy/crds/rollouts.berth.dev.yaml");
  const json::Value& version = (*json::find_path(crd, {"spec", "versions"}))[0];
  EXPECT_NE(json::find_path(version, {"subresources", "status"}), nullptr);
  EXPECT_EQ(
      json::get_string(*json::find_path(version, {"subresources", "scale"}), "labelSelectorPath"),
      ".status.selector");
  std::vector<std::string> columns;
  for (const json::Value& c : json::find(version, "additionalPrinterColumns")->GetArray()) {
    columns.emplace_back(json::get_string(c, "name"));
  }
  for (const char* want : {"Phase", "Step", "Ready", "Age"}) {
    EXPECT_NE(std::find(columns.begin(), columns.end(), want), columns.end()) << want;
  }
}

TEST(RolloutCrd, SamplesAreValidRollouts) {
  json::Document crd = load_yaml(kSource / "deploy/crds/rollouts.berth.dev.yaml");
  const json::Value& schema = version_schema(crd);
  int rollouts = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "deploy/samples")) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("rollout-") || !name.ends_with(".yaml")) continue;
    auto docs = kube::yaml::to_json_all(berth::testing::read_file(entry.path()));
    ASSERT_TRUE(docs.ok()) << name << ": " << docs.error().message;
    for (const json::Document& d : *docs) {
      if (json::get_string(d, "kind") != "Rollout") continue;
      ++rollouts;
      auto spec =
          parse_spec(*json::find(d, "spec"), json::get_string(*json::find(d, "metadata"), "name"));
      EXPECT_TRUE(spec.ok()) << name << ": " << spec.error().message;
      std::vector<std::string> missing;
      // The apiserver keeps object metadata whatever the schema says.
      undeclared(*json::find(d, "spec"), *json::find_path(schema, {"properties", "spec"}), "spec",
                 missing);
      EXPECT_TRUE(missing.empty()) << name << " pruned: " << kube::join(missing, ", ");
    }
  }
  EXPECT_GE(rollouts, 3);
}

}  // namespace
}  // namespace berth::rollout
