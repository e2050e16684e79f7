#include "sim/apiserver/crd.h"

#include <gtest/gtest.h>

#include "sim/apiserver/strategy.h"

namespace berth::sim {
namespace {

namespace json = kube::json;

constexpr const char* kCrd = R"({"metadata":{"name":"widgets.fx.example.com"},"spec":{
  "group":"fx.example.com","scope":"Namespaced",
  "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList","shortNames":["wd"]},
  "versions":[{"name":"v1","served":true,"storage":true,
    "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{
      "replicas":{"type":"integer","minimum":1},"mode":{"type":"string","enum":["fast","safe"]}}}}}},
    "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas"}},
    "additionalPrinterColumns":[{"name":"Replicas","type":"integer","jsonPath":".spec.replicas"}]},
   {"name":"v2","served":false,"storage":false}]}})";

TEST(Crd, ServedVersionsBecomeResources) {
  auto crd = json::parse(kCrd);
  auto infos = crd_resources(*crd);
  ASSERT_EQ(infos.size(), 1u);
  const ResourceInfo& r = infos[0];
  EXPECT_EQ(r.group, "fx.example.com");
  EXPECT_EQ(r.kind, "Widget");
  EXPECT_EQ(r.list_kind, "WidgetList");
  EXPECT_TRUE(r.custom);
  EXPECT_TRUE(r.has_generation);
  EXPECT_TRUE(r.has_status());
  ASSERT_TRUE(r.scale);
  EXPECT_EQ(r.scale->spec_replicas_path, ".spec.replicas");
  ASSERT_EQ(r.printer_columns.size(), 1u);
  EXPECT_EQ(r.storage_version_hash, "gbWEbm3kEGg=");
}

TEST(Crd, ScaleAccessorRejectsNonIntegerReplicas) {
  auto crd = json::parse(kCrd);
  auto infos = crd_resources(*crd);
  auto obj = json::parse(R"({"spec":{"replicas":"two"}})");
  auto errs = infos[0].strategy->validate(*obj);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[1].to_string(),
            ".spec.replicas: Invalid value: 0: .spec.replicas accessor error: two is of the type "
            "string, expected int64");
  auto good = json::parse(R"({"spec":{"replicas":3}})");
  EXPECT_TRUE(infos[0].strategy->validate(*good).empty());
  ASSERT_NE(find_dotted(*good, ".spec.replicas"), nullptr);
}

}  // namespace
}  // namespace berth::sim
