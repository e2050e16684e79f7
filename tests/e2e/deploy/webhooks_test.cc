// The Mutating/ValidatingWebhookConfigurations: safe settings on every entry, exclusions that
// really exclude (evaluated as the apiserver evaluates namespaceSelector), opt-in entries that
// never overlap, and consistency with the Service, the certificate and the webhooks' config.
#include <set>
#include <string>

#include "kube/core/strings.h"
#include "kube/core/yaml.h"
#include "tests/e2e/deploy/deploy_test.h"

namespace berth::deploy_test {
namespace {

namespace json = kube::json;

constexpr std::string_view kMutating = "MutatingWebhookConfiguration";
constexpr std::string_view kValidating = "ValidatingWebhookConfiguration";

// A namespace's labels as the apiserver sets them (kubernetes.io/metadata.name), plus `extra`.
json::Document namespace_labels(
    std::string_view name,
    std::initializer_list<std::pair<std::string_view, std::string_view>> extra = {}) {
  json::Document labels(rapidjson::kObjectType);
  json::set_string(labels, "kubernetes.io/metadata.name", name, labels.GetAllocator());
  for (auto [k, v] : extra)
    json::set_string(labels, k, v, labels.GetAllocator());
  return labels;
}

struct Entry {
  std::string_view configuration;  // kind
  const json::Value* webhook;
};

class Webhooks : public DeployTree {
 protected:
  std::vector<Entry> entries() const {
    std::vector<Entry> out;
    for (std::string_view kind : {kMutating, kValidating}) {
      for (const json::Value* c : of_kind(kind)) {
        const json::Value* hooks = json::find(*c, "webhooks");
        if (hooks == nullptr || !hooks->IsArray()) continue;
        for (const json::Value& w : hooks->GetArray())
          out.push_back({kind, &w});
      }
    }
    return out;
  }

  // The entries for `path` whose namespaceSelector selects a namespace with `labels`.
  std::vector<const json::Value*> matching(std::string_view path, const json::Value& labels) const {
    std::vector<const json::Value*> out;
    for (const Entry& e : entries()) {
      const json::Value* p = json::find_path(*e.webhook, {"clientConfig", "service", "path"});
      const json::Value* selector = json::find(*e.webhook, "namespaceSelector");
      if (p && json::as_string(*p) == path && selector && selects(*selector, &labels)) {
        out.push_back(e.webhook);
      }
    }
    return out;
  }
};

TEST_F(Webhooks, EveryEntryIsSafe) {
  auto all = entries();
  ASSERT_GE(all.size(), 3u);
  std::set<std::string> names;
  for (const Entry& e : all) {
    const json::Value& w = *e.webhook;
    std::string name(json::get_string(w, "name"));
    SCOPED_TRACE(std::string(e.configuration) + " " + name);
    EXPECT_TRUE(names.insert(name).second) << "duplicate name";
    EXPECT_GE(kube::split(name, '.').size(), 3u) << "names need three DNS segments";
    EXPECT_EQ(strings(json::find(w, "admissionReviewVersions")), std::vector<std::string>{"v1"});
    EXPECT_EQ(json::get_string(w, "sideEffects"), "None");
    std::int64_t timeout = json::get_int(w, "timeoutSeconds", 0);
    EXPECT_GE(timeout, 1) << "timeoutSeconds must be set";
    EXPECT_LE(timeout, 10);
    std::string_view policy = json::get_string(w, "failurePolicy");
    EXPECT_TRUE(policy == "Fail" || policy == "Ignore") << "failurePolicy must be explicit";
    EXPECT_EQ(json::get_string(w, "matchPolicy"), "Equivalent");
    if (e.configuration == kMutating) {
      EXPECT_EQ(json::get_string(w, "reinvocationPolicy"), "IfNeeded");
    }
    const json::Value* rules = json::find(w, "rules");
    ASSERT_TRUE(rules && rules->IsArray() && !rules->Empty());
    for (const json::Value& rule : rules->GetArray()) {
      EXPECT_EQ(json::get_string(rule, "scope"), "Namespaced");
      for (std::string_view field : {"apiGroups", "apiVersions", "operations", "resources"}) {
        auto values = strings(json::find(rule, field));
        EXPECT_FALSE(values.empty()) << field;
        for (const std::string& v : values) {
          EXPECT_EQ(v.find('*'), std::string::npos) << field;
          EXPECT_NE(v, "CONNECT");
          EXPECT_NE(v, "DELETE") << "no Berth webhook judges deletions";
        }
      }
    }
  }
}

TEST_F(Webhooks, CallTheServiceAtKnownRoutesWithoutABakedInCaBundle) {
  for (const Entry& e : entries()) {
    const json::Value& w = *e.webhook;
    SCOPED_TRACE(json::get_string(w, "name"));
    const json::Value* config = json::find(w, "clientConfig");
    ASSERT_NE(config, nullptr);
    EXPECT_EQ(json::find(*config, "url"), nullptr);
    EXPECT_EQ(json::find(*config, "caBundle"), nullptr) << "berth-controller writes it";
    const json::Value* service = json::find(*config, "service");
    ASSERT_NE(service, nullptr);
    const json::Value* s = find("Service", json::get_string(*service, "name"),
                                json::get_string(*service, "namespace"));
    ASSERT_NE(s, nullptr) << "the Service is not installed";
    bool port_exists = false;
    for (const json::Value& p : json::find_path(*s, {"spec", "ports"})->GetArray())
      port_exists |= json::get_int(p, "port") == json::get_int(*service, "port", 443);
    EXPECT_TRUE(port_exists);
    std::string_view path = json::get_string(*service, "path");
    if (e.configuration == kMutating) {
      EXPECT_EQ(path, "/mutate/pods");
    } else {
      EXPECT_TRUE(path == "/validate/pods" || path == "/validate/berth") << path;
    }
  }
}

TEST_F(Webhooks, SystemNamespacesAreNeverSelected) {
  for (std::string_view ns : {"kube-system", "berth-system"}) {
    // Even a system namespace that somebody labelled for Berth stays out.
    json::Document labelled = namespace_labels(
        ns, {{"berth.dev/injection", "enabled"}, {"berth.dev/policy-mode", "enforce"}});
    json::Document plain = namespace_labels(ns);
    for (const Entry& e : entries()) {
      const json::Value* selector = json::find(*e.webhook, "namespaceSelector");
      ASSERT_NE(selector, nullptr) << json::get_string(*e.webhook, "name");
      EXPECT_FALSE(selects(*selector, &labelled))
          << json::get_string(*e.webhook, "name") << " " << ns;
      EXPECT_FALSE(selects(*selector, &plain)) << json::get_string(*e.webhook, "name") << " " << ns;
    }
  }
}

TEST_F(Webhooks, MutationFailsClosedOnlyWhereTheNamespaceOptedIn) {
  json::Document opted_in = namespace_labels("shop", {{"berth.dev/injection", "enabled"}});
  auto hit = matching("/mutate/pods", opted_in);
  ASSERT_EQ(hit.size(), 1u) << "each pod is mutated by exactly one entry";
  EXPECT_EQ(json::get_string(*hit[0], "failurePolicy"), "Fail");

  json::Document unlabelled = namespace_labels("shop");
  hit = matching("/mutate/pods", unlabelled);
  ASSERT_EQ(hit.size(), 1u) << "pods may opt in by annotation anywhere";
  EXPECT_EQ(json::get_string(*hit[0], "failurePolicy"), "Ignore");

  json::Document opted_out = namespace_labels("shop", {{"berth.dev/injection", "disabled"}});
  EXPECT_TRUE(matching("/mutate/pods", opted_out).empty());
}

TEST_F(Webhooks, ValidationFailsClosedOnlyWhereEnforced) {
  json::Document enforced = namespace_labels("shop", {{"berth.dev/policy-mode", "enforce"}});
  auto hit = matching("/validate/pods", enforced);
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(json::get_string(*hit[0], "failurePolicy"), "Fail");
  for (std::string_view mode : {"", "warn"}) {
    json::Document labels = mode.empty()
                                ? namespace_labels("shop")
                                : namespace_labels("shop", {{"berth.dev/policy-mode", mode}});
    hit = matching("/validate/pods", labels);
    ASSERT_EQ(hit.size(), 1u) << "mode " << mode;
    EXPECT_EQ(json::get_string(*hit[0], "failurePolicy"), "Ignore") << "mode " << mode;
  }
  // Berth's own resources are validated everywhere but the system namespaces, fail-closed.
  hit = matching("/validate/berth", namespace_labels("shop"));
  ASSERT_EQ(hit.size(), 1u);
  EXPECT_EQ(json::get_string(*hit[0], "failurePolicy"), "Fail");
}

TEST_F(Webhooks, BerthValidationCoversEveryCustomResource) {
  std::set<std::string> covered;
  for (const Entry& e : entries()) {
    const json::Value* p = json::find_path(*e.webhook, {"clientConfig", "service", "path"});
    if (!p || json::as_string(*p) != "/validate/berth") continue;
    for (const json::Value& rule : json::find(*e.webhook, "rules")->GetArray()) {
      EXPECT_EQ(strings(json::find(rule, "apiGroups")), std::vector<std::string>{"berth.dev"});
      for (const std::string& v : strings(json::find(rule, "apiVersions"))) {
        for (const std::string& r : strings(json::find(rule, "resources")))
          covered.insert(r + "/" + v);
      }
    }
  }
  auto crds = of_kind("CustomResourceDefinition");
  ASSERT_FALSE(crds.empty());
  for (const json::Value* crd : crds) {
    std::string plural(json::as_string(*json::find_path(*crd, {"spec", "names", "plural"})));
    for (const json::Value& v : json::find_path(*crd, {"spec", "versions"})->GetArray()) {
      if (!json::get_bool(v, "served")) continue;
      EXPECT_TRUE(covered.contains(plural + "/" + std::string(json::get_string(v, "name"))))
          << plural << " " << json::get_string(v, "name");
    }
  }
}

// berth-webhooks issues its certificate for the Service it is told and writes caBundle into
// the configurations it is told: both must be the objects the apiserver actually uses.
TEST_F(Webhooks, CertificateManagementTargetsTheseObjects) {
  const json::Value* deployment = find("Deployment", "berth-webhooks", kNamespace);
  ASSERT_NE(deployment, nullptr);
  const json::Value* c = container_running(*deployment, "berth-webhooks");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(has_flag(*c, "--tls-cert-file")) << "certificates are managed, not mounted";
  EXPECT_EQ(flag_value(*c, "--namespace").value_or(""), kNamespace);
  std::string service = flag_value(*c, "--service-name").value_or("");
  for (const Entry& e : entries()) {
    const json::Value* target = json::find_path(*e.webhook, {"clientConfig", "service"});
    ASSERT_NE(target, nullptr);
    EXPECT_EQ(json::get_string(*target, "name"), service) << json::get_string(*e.webhook, "name");
    EXPECT_EQ(json::get_string(*target, "namespace"), kNamespace);
  }
  std::string names = flag_value(*c, "--webhook-config-names").value_or("");
  std::set<std::string> configured;
  for (std::string_view name : kube::split(names, ','))
    configured.insert(std::string(name));
  for (std::string_view kind : {kMutating, kValidating}) {
    auto configurations = of_kind(kind);
    ASSERT_FALSE(configurations.empty()) << kind;
    for (const json::Value* configuration : configurations) {
      EXPECT_TRUE(configured.contains(std::string(name_of(*configuration))))
          << describe(*configuration) << " would never get a caBundle";
    }
  }
  EXPECT_TRUE(flag_value(*c, "--cert-secret").has_value());
}

TEST_F(Webhooks, SelectorsAgreeWithTheWebhooksConfiguration) {
  const json::Value* deployment = find("Deployment", "berth-webhooks", kNamespace);
  ASSERT_NE(deployment, nullptr);
  const json::Value* c = container_running(*deployment, "berth-webhooks");
  ASSERT_NE(c, nullptr);
  auto path = flag_value(*c, "--config");
  ASSERT_TRUE(path.has_value());
  auto config = kube::yaml::to_json(mounted_config(objects(), *deployment, *c, *path));
  ASSERT_TRUE(config.ok()) << config.error().message;
  std::set<std::string> excluded = {std::string(kNamespace)};
  for (std::string& ns : strings(json::find(config.value(), "excludedNamespaces")))
    excluded.insert(std::move(ns));
  for (const Entry& e : entries()) {
    std::set<std::string> not_in;
    const json::Value* expressions =
        json::find_path(*e.webhook, {"namespaceSelector", "matchExpressions"});
    ASSERT_NE(expressions, nullptr);
    for (const json::Value& x : expressions->GetArray()) {
      if (json::get_string(x, "key") == "kubernetes.io/metadata.name" &&
          json::get_string(x, "operator") == "NotIn") {
        for (std::string& v : strings(json::find(x, "values")))
          not_in.insert(std::move(v));
      }
    }
    EXPECT_EQ(not_in, excluded) << json::get_string(*e.webhook, "name");
  }
  // A default mode of enforce would make the warn entry's Ignore a hole in the policy.
  const json::Value* mode = json::find_path(config.value(), {"policy", "mode"});
  if (mode != nullptr && json::as_string(*mode) == "enforce") {
    for (const Entry& e : entries()) {
      const json::Value* p = json::find_path(*e.webhook, {"clientConfig", "service", "path"});
      if (p && json::as_string(*p) == "/validate/pods") {
        EXPECT_EQ(json::get_string(*e.webhook, "failurePolicy"), "Fail");
      }
    }
  }
}

}  // namespace
}  // namespace berth::deploy_test
