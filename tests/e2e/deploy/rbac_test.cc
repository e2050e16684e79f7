// RBAC: no wildcards, only real verbs, bindings that resolve, and the least-privilege shape of
// each component's permissions.
#include <algorithm>
#include <set>
#include <string>

#include "tests/e2e/deploy/deploy_test.h"

namespace berth::deploy_test {
namespace {

namespace json = kube::json;

// Roles every cluster bootstraps, which deploy/ binds but does not define.
bool bootstrap_role(std::string_view kind, std::string_view name, std::string_view ns) {
  if (kind == "ClusterRole")
    return name == "system:kube-scheduler" || name == "system:volume-scheduler";
  return kind == "Role" && name == "extension-apiserver-authentication-reader" &&
         ns == "kube-system";
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// One rule as granted to a service account: where (empty = cluster-wide) and what.
struct Grant {
  std::string where;
  std::vector<std::string> groups, resources, verbs, names;
};

class Rbac : public DeployTree {
 protected:
  std::vector<const json::Value*> roles() const {
    auto all = of_kind("ClusterRole");
    for (const json::Value* r : of_kind("Role"))
      all.push_back(r);
    return all;
  }
  std::vector<const json::Value*> bindings() const {
    auto all = of_kind("ClusterRoleBinding");
    for (const json::Value* b : of_kind("RoleBinding"))
      all.push_back(b);
    return all;
  }

  // The rules deploy/ itself grants to service account berth-system/<account>.
  std::vector<Grant> grants(std::string_view account) const {
    std::vector<Grant> out;
    for (const json::Value* binding : bindings()) {
      const json::Value* subjects = json::find(*binding, "subjects");
      bool bound = false;
      for (const json::Value& s : subjects->GetArray()) {
        bound |= json::get_string(s, "kind") == "ServiceAccount" &&
                 json::get_string(s, "name") == account &&
                 json::get_string(s, "namespace") == kNamespace;
      }
      if (!bound) continue;
      const json::Value& ref = *json::find(*binding, "roleRef");
      std::string_view kind = json::get_string(ref, "kind");
      const json::Value* role =
          find(kind, json::get_string(ref, "name"), kind == "Role" ? namespace_of(*binding) : "");
      if (role == nullptr) continue;  // a bootstrap role
      for (const json::Value& rule : json::find(*role, "rules")->GetArray()) {
        out.push_back({std::string(namespace_of(*binding)), strings(json::find(rule, "apiGroups")),
                       strings(json::find(rule, "resources")), strings(json::find(rule, "verbs")),
                       strings(json::find(rule, "resourceNames"))});
      }
    }
    return out;
  }
};

TEST_F(Rbac, NoWildcardAnywhere) {
  for (const json::Value* role : roles()) {
    const json::Value* rules = json::find(*role, "rules");
    ASSERT_TRUE(rules && rules->IsArray() && !rules->Empty()) << describe(*role);
    for (const json::Value& rule : rules->GetArray()) {
      for (std::string_view field :
           {"verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"}) {
        for (const std::string& v : strings(json::find(rule, field))) {
          EXPECT_EQ(v.find('*'), std::string::npos) << describe(*role) << ": " << field << " " << v;
        }
      }
      EXPECT_EQ(json::find(rule, "nonResourceURLs"), nullptr) << describe(*role);
    }
  }
}

TEST_F(Rbac, OnlyOrdinaryVerbs) {
  // Never escalate, bind, impersonate, approve or sign: each would let a compromised Berth pod
  // grant itself more than this file shows.
  const std::set<std::string, std::less<>> ordinary = {
      "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"};
  for (const json::Value* role : roles()) {
    for (const json::Value& rule : json::find(*role, "rules")->GetArray()) {
      auto verbs = strings(json::find(rule, "verbs"));
      EXPECT_FALSE(verbs.empty()) << describe(*role);
      for (const std::string& v : verbs)
        EXPECT_TRUE(ordinary.contains(v)) << describe(*role) << ": verb " << v;
      for (const std::string& r : strings(json::find(rule, "resources"))) {
        for (std::string_view dangerous : {"pods/exec", "pods/attach", "pods/portforward",
                                           "nodes/proxy", "serviceaccounts/token"}) {
          EXPECT_NE(r, dangerous) << describe(*role);
        }
      }
    }
  }
}

TEST_F(Rbac, BindingsResolveToRolesAndServiceAccounts) {
  for (const json::Value* binding : bindings()) {
    SCOPED_TRACE(describe(*binding));
    const json::Value* ref = json::find(*binding, "roleRef");
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(json::get_string(*ref, "apiGroup"), "rbac.authorization.k8s.io");
    std::string_view kind = json::get_string(*ref, "kind");
    std::string_view name = json::get_string(*ref, "name");
    if (json::get_string(*binding, "kind") == "ClusterRoleBinding") {
      EXPECT_EQ(kind, "ClusterRole");
    }
    std::string_view ns = kind == "Role" ? namespace_of(*binding) : "";
    EXPECT_TRUE(find(kind, name, ns) != nullptr || bootstrap_role(kind, name, ns))
        << kind << " " << name << " does not exist";
    const json::Value* subjects = json::find(*binding, "subjects");
    ASSERT_TRUE(subjects && subjects->IsArray() && !subjects->Empty());
    for (const json::Value& s : subjects->GetArray()) {
      EXPECT_EQ(json::get_string(s, "kind"), "ServiceAccount");
      EXPECT_NE(
          find("ServiceAccount", json::get_string(s, "name"), json::get_string(s, "namespace")),
          nullptr)
          << json::get_string(s, "namespace") << "/" << json::get_string(s, "name");
    }
  }
}

TEST_F(Rbac, EachDeploymentRunsAsItsOwnServiceAccount) {
  std::set<std::string> accounts;
  for (const json::Value* d : of_kind("Deployment")) {
    std::string_view account = json::get_string(pod_spec(*d), "serviceAccountName");
    EXPECT_NE(find("ServiceAccount", account, kNamespace), nullptr) << describe(*d);
    EXPECT_TRUE(accounts.insert(std::string(account)).second)
        << describe(*d) << " shares " << account;
  }
}

bool read_only(const Grant& g) {
  return std::all_of(g.verbs.begin(), g.verbs.end(), [](const std::string& v) {
    return v == "get" || v == "list" || v == "watch";
  });
}

TEST_F(Rbac, ExtenderOnlyReads) {
  auto granted = grants("berth-extender");
  EXPECT_FALSE(granted.empty());
  for (const Grant& g : granted) {
    EXPECT_TRUE(read_only(g));
    EXPECT_FALSE(contains(g.resources, "secrets"));
  }
}

// berth-webhooks reads namespaces; its only writes are its certificate Secret and the caBundle
// of its own webhook configurations, each by the names its flags give.
TEST_F(Rbac, WebhooksWriteOnlyTheirCertificateAndCaBundle) {
  const json::Value* d = find("Deployment", "berth-webhooks", kNamespace);
  ASSERT_NE(d, nullptr);
  const json::Value* c = container_running(*d, "berth-webhooks");
  ASSERT_NE(c, nullptr);
  auto secret = flag_value(*c, "--cert-secret");
  auto configurations = flag_value(*c, "--webhook-config-names");
  ASSERT_TRUE(secret && configurations);
  bool reads_namespaces = false, manages_secret = false, injects = false;
  for (const Grant& g : grants("berth-webhooks")) {
    if (read_only(g) && g.names.empty()) {
      EXPECT_EQ(g.resources, std::vector<std::string>{"namespaces"});
      reads_namespaces = true;
    } else if (contains(g.resources, "secrets")) {
      EXPECT_EQ(g.resources, std::vector<std::string>{"secrets"});
      EXPECT_EQ(g.where, kNamespace);
      if (g.names.empty()) {
        EXPECT_EQ(g.verbs, std::vector<std::string>{"create"});
      } else {
        EXPECT_EQ(g.names, std::vector<std::string>{*secret});
        EXPECT_EQ(g.verbs, (std::vector<std::string>{"get", "update"}));
        manages_secret = true;
      }
    } else {
      EXPECT_EQ(g.groups, std::vector<std::string>{"admissionregistration.k8s.io"});
      EXPECT_EQ(g.names, std::vector<std::string>{*configurations});
      EXPECT_EQ(g.verbs, (std::vector<std::string>{"get", "patch"}));
      injects = true;
    }
  }
  EXPECT_TRUE(reads_namespaces && manages_secret && injects);
}

TEST_F(Rbac, SecretsAreReachableOnlyInsideBerthSystem) {
  for (const json::Value* role : of_kind("ClusterRole")) {
    for (const json::Value& rule : json::find(*role, "rules")->GetArray()) {
      EXPECT_FALSE(contains(strings(json::find(rule, "resources")), "secrets")) << describe(*role);
    }
  }
  bool controller_has_secrets = false;
  for (const Grant& g : grants("berth-controller")) {
    if (contains(g.resources, "secrets")) {
      EXPECT_EQ(g.where, kNamespace);
      controller_has_secrets = true;
    }
  }
  EXPECT_TRUE(controller_has_secrets) << "berth-controller issues Berth's serving certificates";
}

TEST_F(Rbac, ControllerLeaseAccessIsLimitedToItsLease) {
  bool renew = false;
  for (const Grant& g : grants("berth-controller")) {
    if (!contains(g.resources, "leases")) continue;
    EXPECT_EQ(g.where, kNamespace);
    EXPECT_EQ(g.groups, std::vector<std::string>{"coordination.k8s.io"});
    if (contains(g.verbs, "update")) {
      EXPECT_EQ(g.names, std::vector<std::string>{"berth-controller"});
      renew = contains(g.verbs, "get");
    }
    if (g.names.empty()) {
      EXPECT_EQ(g.verbs, std::vector<std::string>{"create"});
    }
  }
  EXPECT_TRUE(renew);
}

TEST_F(Rbac, WebhookConfigurationsAreWritableOnlyByName) {
  std::vector<std::string> own;
  for (std::string_view kind : {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    for (const json::Value* c : of_kind(kind))
      own.emplace_back(name_of(*c));
  }
  for (const json::Value* role : roles()) {
    for (const json::Value& rule : json::find(*role, "rules")->GetArray()) {
      if (!contains(strings(json::find(rule, "apiGroups")), "admissionregistration.k8s.io")) {
        continue;
      }
      auto verbs = strings(json::find(rule, "verbs"));
      auto names = strings(json::find(rule, "resourceNames"));
      bool writes = contains(verbs, "update") || contains(verbs, "patch") ||
                    contains(verbs, "create") || contains(verbs, "delete");
      if (!writes) continue;
      ASSERT_FALSE(names.empty()) << describe(*role) << ": may change Berth's configurations only";
      for (const std::string& n : names)
        EXPECT_TRUE(contains(own, n)) << describe(*role) << ": " << n;
    }
  }
}

TEST_F(Rbac, BerthResourcesInRulesExistAsCustomResources) {
  std::set<std::string, std::less<>> plurals;
  for (const json::Value* crd : of_kind("CustomResourceDefinition")) {
    const json::Value* plural = json::find_path(*crd, {"spec", "names", "plural"});
    if (plural) plurals.insert(std::string(json::as_string(*plural)));
  }
  for (const json::Value* role : roles()) {
    for (const json::Value& rule : json::find(*role, "rules")->GetArray()) {
      if (!contains(strings(json::find(rule, "apiGroups")), "berth.dev")) continue;
      for (const std::string& r : strings(json::find(rule, "resources"))) {
        EXPECT_TRUE(plurals.contains(r.substr(0, r.find('/')))) << describe(*role) << ": " << r;
      }
    }
  }
}

TEST_F(Rbac, SchedulerIsBoundLikeKubeScheduler) {
  std::set<std::string> bound;
  for (const json::Value* binding : bindings()) {
    for (const json::Value& s : json::find(*binding, "subjects")->GetArray()) {
      if (json::get_string(s, "name") == "berth-scheduler") {
        bound.insert(std::string(namespace_of(*binding)) + ":" +
                     std::string(json::get_string(*json::find(*binding, "roleRef"), "name")));
      }
    }
  }
  EXPECT_TRUE(bound.contains(":system:kube-scheduler"));
  EXPECT_TRUE(bound.contains(":system:volume-scheduler"));
  EXPECT_TRUE(bound.contains("kube-system:extension-apiserver-authentication-reader"));
}

}  // namespace
}  // namespace berth::deploy_test
