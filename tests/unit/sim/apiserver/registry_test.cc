#include "sim/apiserver/registry.h"

#include <gtest/gtest.h>

#include "sim/apiserver/builtins.h"

namespace berth::sim {
namespace {

TEST(StorageVersionHash, MatchesTheApiserverForBuiltins) {
  // Values from kube-apiserver v1.26 discovery documents.
  EXPECT_EQ(storage_version_hash("", "v1", "ConfigMap"), "qFsyl6wFWjQ=");
  EXPECT_EQ(storage_version_hash("", "v1", "Pod"), "xPOwRZ+Yhw8=");
  EXPECT_EQ(storage_version_hash("apps", "v1", "Deployment"), "8aSe+NMegvE=");
  EXPECT_EQ(storage_version_hash("fx.example.com", "v1", "Widget"), "gbWEbm3kEGg=");
}

TEST(Registry, BuiltinsCoverWhatBerthUses) {
  Registry r;
  register_builtins(r);
  for (auto [group, plural] : {std::pair{"", "pods"},
                               {"", "namespaces"},
                               {"", "nodes"},
                               {"apps", "deployments"},
                               {"coordination.k8s.io", "leases"},
                               {"apiextensions.k8s.io", "customresourcedefinitions"},
                               {"rbac.authorization.k8s.io", "clusterroles"},
                               {"policy", "poddisruptionbudgets"},
                               {"admissionregistration.k8s.io", "mutatingwebhookconfigurations"}}) {
    EXPECT_NE(r.find(group, "v1", plural), nullptr) << group << "/" << plural;
  }
  auto pods = r.find("", "v1", "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_TRUE(pods->namespaced);
  EXPECT_EQ(pods->list_kind, "PodList");
  EXPECT_EQ(pods->storage_version_hash, "xPOwRZ+Yhw8=");
  ASSERT_NE(pods->subresource("binding"), nullptr);
  EXPECT_TRUE(pods->subresource("binding")->served);
  ASSERT_NE(pods->subresource("exec"), nullptr);
  EXPECT_FALSE(pods->subresource("exec")->served);
  EXPECT_FALSE(pods->has_generation);
  EXPECT_TRUE(r.find("apps", "v1", "deployments")->has_generation);
  EXPECT_TRUE(r.find("apps", "v1", "deployments")->scale.has_value());
}

TEST(Registry, GroupsFollowTheApiserverOrderAndPreferredVersions) {
  Registry r;
  register_builtins(r);
  auto groups = r.groups();
  ASSERT_GE(groups.size(), 3u);
  EXPECT_EQ(groups[0].name, "apiregistration.k8s.io");
  EXPECT_EQ(groups[1].name, "apps");
  for (const auto& g : groups) {
    if (g.name == "autoscaling") {
      ASSERT_EQ(g.versions.size(), 2u);
      EXPECT_EQ(g.versions[0], "v2");
    }
  }
}

TEST(Registry, AddReplacesAndRemoveDropsEveryVersion) {
  Registry r;
  auto gen = r.generation();
  ResourceInfo w;
  w.group = "fx.example.com";
  w.version = "v1";
  w.plural = "widgets";
  w.kind = "Widget";
  w.list_kind = "WidgetList";
  w.verbs = {"get"};
  r.add(w);
  w.version = "v2";
  r.add(w);
  w.verbs = {"get", "list"};
  r.add(w);
  EXPECT_GT(r.generation(), gen);
  EXPECT_TRUE(r.find("fx.example.com", "v2", "widgets")->allows("list"));
  EXPECT_EQ(r.find("fx.example.com", "v2", "widgets")->storage_table, "fx.example.com/widgets");
  EXPECT_TRUE(r.serves("fx.example.com", "v1"));
  r.remove("fx.example.com", "widgets");
  EXPECT_EQ(r.find("fx.example.com", "v1", "widgets"), nullptr);
  EXPECT_FALSE(r.serves_group("fx.example.com"));
}

}  // namespace
}  // namespace berth::sim
