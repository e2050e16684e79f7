// Every object `kubectl apply -k deploy/` installs: real kinds and API versions, valid names
// and labels, the right namespace, and the full inventory of Berth's components.
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "kube/api/selector.h"
#include "tests/e2e/deploy/deploy_test.h"

namespace berth::deploy_test {
namespace {

namespace json = kube::json;

struct KindInfo {
  std::string_view api_version;
  bool namespaced;
};

// The kinds deploy/ may contain, at the API versions Kubernetes 1.26 serves as stable.
const std::map<std::string_view, KindInfo>& known_kinds() {
  static const std::map<std::string_view, KindInfo> kinds = {
      {"Namespace", {"v1", false}},
      {"ServiceAccount", {"v1", true}},
      {"ConfigMap", {"v1", true}},
      {"Service", {"v1", true}},
      {"Deployment", {"apps/v1", true}},
      {"PodDisruptionBudget", {"policy/v1", true}},
      {"NetworkPolicy", {"networking.k8s.io/v1", true}},
      {"ClusterRole", {"rbac.authorization.k8s.io/v1", false}},
      {"ClusterRoleBinding", {"rbac.authorization.k8s.io/v1", false}},
      {"Role", {"rbac.authorization.k8s.io/v1", true}},
      {"RoleBinding", {"rbac.authorization.k8s.io/v1", true}},
      {"CustomResourceDefinition", {"apiextensions.k8s.io/v1", false}},
      {"MutatingWebhookConfiguration", {"admissionregistration.k8s.io/v1", false}},
      {"ValidatingWebhookConfiguration", {"admissionregistration.k8s.io/v1", false}},
  };
  return kinds;
}

bool dns_subdomain(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(name.front()) && alnum(name.back());
}

TEST_F(DeployTree, RendersWithoutWarnings) {
  // A warning means a deprecated kustomize field; kubectl versions that dropped it fail.
  EXPECT_EQ(rendered_.warnings, "");
}

TEST_F(DeployTree, EveryObjectHasAKnownKindAtAStableApiVersion) {
  for (const json::Document& o : objects()) {
    ASSERT_TRUE(o.IsObject());
    std::string_view kind = json::get_string(o, "kind");
    auto it = known_kinds().find(kind);
    ASSERT_NE(it, known_kinds().end()) << describe(o) << ": unexpected kind";
    EXPECT_EQ(json::get_string(o, "apiVersion"), it->second.api_version) << describe(o);
  }
}

TEST_F(DeployTree, NamesAreValidAndUnique) {
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const json::Document& o : objects()) {
    EXPECT_TRUE(dns_subdomain(name_of(o))) << describe(o) << ": invalid name";
    auto key = std::make_tuple(std::string(json::get_string(o, "kind")),
                               std::string(namespace_of(o)), std::string(name_of(o)));
    EXPECT_TRUE(seen.insert(key).second) << describe(o) << " appears twice";
  }
}

TEST_F(DeployTree, NamespacedObjectsLiveInBerthSystem) {
  int outside = 0;
  for (const json::Document& o : objects()) {
    auto it = known_kinds().find(json::get_string(o, "kind"));
    ASSERT_NE(it, known_kinds().end());
    if (!it->second.namespaced) {
      EXPECT_EQ(namespace_of(o), "") << describe(o) << " is cluster-scoped";
      continue;
    }
    if (namespace_of(o) == kNamespace) continue;
    // The one exception: kube-scheduler reads extension-apiserver-authentication there.
    ++outside;
    EXPECT_EQ(json::get_string(o, "kind"), "RoleBinding") << describe(o);
    EXPECT_EQ(namespace_of(o), "kube-system") << describe(o);
    const json::Value* role = json::find_path(o, {"roleRef", "name"});
    ASSERT_NE(role, nullptr);
    EXPECT_EQ(json::as_string(*role), "extension-apiserver-authentication-reader");
  }
  EXPECT_EQ(outside, 1);
}

TEST_F(DeployTree, BerthSystemEnforcesTheRestrictedPodSecurityStandard) {
  const json::Value* ns = find("Namespace", kNamespace);
  ASSERT_NE(ns, nullptr);
  const json::Value* labels = json::find_path(*ns, {"metadata", "labels"});
  ASSERT_NE(labels, nullptr);
  EXPECT_EQ(json::get_string(*labels, "pod-security.kubernetes.io/enforce"), "restricted");
  // The webhooks never act on their own namespace, by label as well as by selector.
  EXPECT_EQ(json::get_string(*labels, "berth.dev/injection"), "disabled");
}

TEST_F(DeployTree, EveryObjectCarriesValidBerthLabels) {
  for (const json::Document& o : objects()) {
    const json::Value* labels = json::find_path(o, {"metadata", "labels"});
    ASSERT_NE(labels, nullptr) << describe(o) << " has no labels";
    EXPECT_EQ(json::get_string(*labels, "app.kubernetes.io/part-of"), "berth") << describe(o);
    EXPECT_FALSE(json::get_string(*labels, "app.kubernetes.io/name").empty()) << describe(o);
    for (const auto& [key, value] : labels->GetObject()) {
      EXPECT_TRUE(kube::qualified_name_errors(json::as_string(key)).empty())
          << describe(o) << ": label key " << json::as_string(key);
      ASSERT_TRUE(value.IsString()) << describe(o) << ": label " << json::as_string(key);
      EXPECT_TRUE(kube::label_value_errors(json::as_string(value)).empty())
          << describe(o) << ": label value " << json::as_string(value);
    }
    if (const json::Value* annotations = json::find_path(o, {"metadata", "annotations"})) {
      for (const auto& [key, value] : annotations->GetObject()) {
        EXPECT_TRUE(kube::qualified_name_errors(json::as_string(key)).empty())
            << describe(o) << ": annotation " << json::as_string(key);
        EXPECT_TRUE(value.IsString()) << describe(o) << ": annotation " << json::as_string(key);
      }
    }
  }
}

TEST_F(DeployTree, InstallsEveryComponent) {
  EXPECT_NE(find("Namespace", kNamespace), nullptr);
  for (std::string_view component :
       {"berth-extender", "berth-webhooks", "berth-controller", "berth-scheduler"}) {
    SCOPED_TRACE(component);
    const json::Value* deployment = find("Deployment", component, kNamespace);
    ASSERT_NE(deployment, nullptr);
    EXPECT_EQ(json::get_int(*json::find(*deployment, "spec"), "replicas"), 2);
    EXPECT_NE(find("ServiceAccount", component, kNamespace), nullptr);
    EXPECT_NE(find("PodDisruptionBudget", component, kNamespace), nullptr);
    EXPECT_NE(find("NetworkPolicy", component, kNamespace), nullptr);
  }
  for (std::string_view service : {"berth-extender", "berth-webhooks", "berth-controller"}) {
    EXPECT_NE(find("Service", service, kNamespace), nullptr) << service;
  }
  for (std::string_view config :
       {"berth-extender-config", "berth-webhooks-config", "berth-scheduler-config"}) {
    EXPECT_NE(find("ConfigMap", config, kNamespace), nullptr) << config;
  }
  EXPECT_NE(find("MutatingWebhookConfiguration", "berth-webhooks"), nullptr);
  EXPECT_NE(find("ValidatingWebhookConfiguration", "berth-webhooks"), nullptr);
  EXPECT_NE(find("CustomResourceDefinition", "rollouts.berth.dev"), nullptr);
}

TEST_F(DeployTree, CustomResourceDefinitionsAreStructuralWithStatus) {
  auto crds = of_kind("CustomResourceDefinition");
  ASSERT_FALSE(crds.empty());
  for (const json::Value* crd : crds) {
    SCOPED_TRACE(describe(*crd));
    const json::Value* spec = json::find(*crd, "spec");
    ASSERT_NE(spec, nullptr);
    EXPECT_EQ(json::get_string(*spec, "group"), "berth.dev");
    const json::Value* plural = json::find_path(*spec, {"names", "plural"});
    ASSERT_NE(plural, nullptr);
    EXPECT_EQ(name_of(*crd), std::string(json::as_string(*plural)) + ".berth.dev");
    const json::Value* versions = json::find(*spec, "versions");
    ASSERT_TRUE(versions && versions->IsArray() && !versions->Empty());
    int storage = 0;
    for (const json::Value& v : versions->GetArray()) {
      if (json::get_bool(v, "storage")) ++storage;
      EXPECT_NE(json::find_path(v, {"schema", "openAPIV3Schema"}), nullptr)
          << json::get_string(v, "name");
      EXPECT_NE(json::find_path(v, {"subresources", "status"}), nullptr)
          << json::get_string(v, "name");
    }
    EXPECT_EQ(storage, 1);
  }
}

}  // namespace
}  // namespace berth::deploy_test
