#include "sim/apiserver/webhook_config.h"

#include <gtest/gtest.h>

#include "kube/core/strings.h"

namespace berth::sim {
namespace {

namespace json = kube::json;

std::vector<Webhook> parse(std::string_view text, bool mutating = true) {
  auto doc = json::parse(text);
  EXPECT_TRUE(doc.ok()) << text;
  return parse_webhook_configuration(*doc, mutating);
}

Webhook one(std::string_view webhook_json, bool mutating = true) {
  auto hooks = parse(
      R"({"metadata":{"name":"cfg"},"webhooks":[)" + std::string(webhook_json) + "]}", mutating);
  EXPECT_EQ(hooks.size(), 1u);
  return hooks.empty() ? Webhook{} : hooks.front();
}

WebhookRule rule(std::vector<std::string> ops, std::vector<std::string> groups,
                 std::vector<std::string> versions, std::vector<std::string> resources,
                 std::string scope = "*") {
  return {std::move(ops), std::move(groups), std::move(versions), std::move(resources),
          std::move(scope)};
}

MatchAttributes pod(Operation op = Operation::kCreate, std::string sub = "",
                    std::string ns = "team") {
  return {op, "", "v1", "pods", std::move(sub), std::move(ns)};
}

TEST(WebhookConfig, ParsesEveryFieldTheChainUses) {
  std::string ca =
      kube::base64_encode("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
  auto hooks = parse(
      R"({"metadata":{"name":"berth"},"webhooks":[)"
      R"({"name":"a.berth.dev","clientConfig":{"url":"https://127.0.0.1:9443/m","caBundle":")" +
      ca +
      R"("},"rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],)"
      R"("resources":["pods"],"scope":"Namespaced"}],"failurePolicy":"Ignore",)"
      R"("namespaceSelector":{"matchLabels":{"x":"y"}},"objectSelector":{},)"
      R"("sideEffects":"NoneOnDryRun","timeoutSeconds":3,"reinvocationPolicy":"IfNeeded"},)"
      R"({"name":"b.berth.dev","clientConfig":{"service":{"namespace":"berth-system",)"
      R"("name":"berth-webhooks","path":"/mutate/pods","port":8443}}}]})");
  ASSERT_EQ(hooks.size(), 2u);
  const Webhook& a = hooks[0];
  EXPECT_EQ(a.configuration, "berth");
  EXPECT_EQ(a.name, "a.berth.dev");
  EXPECT_EQ(a.id, "berth/0");
  EXPECT_EQ(a.url, "https://127.0.0.1:9443/m");
  EXPECT_NE(a.ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  ASSERT_EQ(a.rules.size(), 1u);
  EXPECT_EQ(a.rules[0].scope, "Namespaced");
  EXPECT_EQ(a.failure_policy, FailurePolicy::kIgnore);
  EXPECT_FALSE(a.namespace_selector.empty());
  EXPECT_TRUE(a.object_selector.empty());
  EXPECT_EQ(a.side_effects, SideEffects::kNoneOnDryRun);
  EXPECT_EQ(a.timeout, std::chrono::seconds(3));
  EXPECT_TRUE(a.reinvoke_if_needed);
  EXPECT_TRUE(a.invalid.empty()) << a.invalid;

  const Webhook& b = hooks[1];
  EXPECT_EQ(b.id, "berth/1");
  ASSERT_TRUE(b.service.has_value());
  EXPECT_EQ(b.service->namespace_, "berth-system");
  EXPECT_EQ(b.service->name, "berth-webhooks");
  EXPECT_EQ(b.service->path, "/mutate/pods");
  EXPECT_EQ(b.service->port, 8443);
  // Defaults: Fail, 10 s, no reinvocation, everything selected.
  EXPECT_EQ(b.failure_policy, FailurePolicy::kFail);
  EXPECT_EQ(b.timeout, std::chrono::seconds(10));
  EXPECT_FALSE(b.reinvoke_if_needed);
  EXPECT_EQ(b.side_effects, SideEffects::kUnset);
  EXPECT_TRUE(b.namespace_selector.empty());
}

TEST(WebhookConfig, ReinvocationIsForMutatingWebhooksOnly) {
  EXPECT_FALSE(one(R"({"name":"v","clientConfig":{"url":"https://h/"},)"
                   R"("reinvocationPolicy":"IfNeeded"})",
                   false)
                   .reinvoke_if_needed);
}

TEST(WebhookConfig, BrokenEntriesAreMarkedNotDropped) {
  EXPECT_EQ(one(R"({"name":"x","clientConfig":{"url":"https://h/","caBundle":"%%%"}})").invalid,
            "clientConfig.caBundle is not valid base64");
  EXPECT_EQ(one(R"({"name":"x","clientConfig":{}})").invalid,
            "clientConfig has neither url nor service");
  EXPECT_EQ(one(R"({"name":"x","clientConfig":{"url":"http://127.0.0.1:80/"}})").invalid,
            "clientConfig.url must use https");
  Webhook bad_selector =
      one(R"({"name":"x","clientConfig":{"url":"https://h/"},)"
          R"("namespaceSelector":{"matchExpressions":[{"key":"k","operator":"Bogus"}]}})");
  EXPECT_NE(bad_selector.invalid.find("invalid namespaceSelector"), std::string::npos)
      << bad_selector.invalid;
  // Out-of-range timeouts fall back to the default rather than blocking for minutes.
  EXPECT_EQ(one(R"({"name":"x","clientConfig":{"url":"https://h/"},"timeoutSeconds":600})").timeout,
            std::chrono::seconds(10));
  EXPECT_TRUE(parse(R"({"metadata":{"name":"empty"}})").empty());
}

TEST(WebhookRules, OperationsGroupsAndVersions) {
  auto r = rule({"CREATE", "UPDATE"}, {""}, {"v1"}, {"pods"});
  EXPECT_TRUE(rule_matches(r, pod(Operation::kCreate)));
  EXPECT_TRUE(rule_matches(r, pod(Operation::kUpdate)));
  EXPECT_FALSE(rule_matches(r, pod(Operation::kDelete)));
  EXPECT_TRUE(rule_matches(rule({"*"}, {""}, {"v1"}, {"pods"}), pod(Operation::kDelete)));

  MatchAttributes deployment{Operation::kCreate, "apps", "v1", "deployments", "", "team"};
  EXPECT_FALSE(rule_matches(rule({"*"}, {""}, {"v1"}, {"deployments"}), deployment));
  EXPECT_TRUE(rule_matches(rule({"*"}, {"apps"}, {"v1"}, {"deployments"}), deployment));
  EXPECT_TRUE(rule_matches(rule({"*"}, {"*"}, {"*"}, {"deployments"}), deployment));
  EXPECT_FALSE(rule_matches(rule({"*"}, {"apps"}, {"v1beta1"}, {"deployments"}), deployment));
  EXPECT_FALSE(rule_matches(rule({"*"}, {}, {"v1"}, {"deployments"}), deployment))
      << "an empty list matches nothing";
}

TEST(WebhookRules, ResourcesAndSubresources) {
  MatchAttributes status = pod(Operation::kUpdate, "status");
  MatchAttributes binding = pod(Operation::kCreate, "binding");
  MatchAttributes main = pod(Operation::kUpdate);
  auto with = [](std::vector<std::string> resources) {
    return rule({"*"}, {"*"}, {"*"}, std::move(resources));
  };
  EXPECT_TRUE(rule_matches(with({"pods"}), main));
  EXPECT_FALSE(rule_matches(with({"pods"}), status));
  EXPECT_TRUE(rule_matches(with({"pods/status"}), status));
  EXPECT_FALSE(rule_matches(with({"pods/status"}), binding));
  EXPECT_FALSE(rule_matches(with({"pods/status"}), main));
  // "pods/*": every subresource of pods and, as the apiserver's matcher has it, pods itself.
  EXPECT_TRUE(rule_matches(with({"pods/*"}), status));
  EXPECT_TRUE(rule_matches(with({"pods/*"}), binding));
  EXPECT_TRUE(rule_matches(with({"pods/*"}), main));
  EXPECT_FALSE(rule_matches(with({"nodes/*"}), main));
  // "*": every resource, no subresource; "*/*": everything; "*/status": every status.
  EXPECT_TRUE(rule_matches(with({"*"}), main));
  EXPECT_FALSE(rule_matches(with({"*"}), status));
  EXPECT_TRUE(rule_matches(with({"*/*"}), status));
  EXPECT_TRUE(rule_matches(with({"*/*"}), main));
  EXPECT_TRUE(rule_matches(with({"*/status"}), status));
  EXPECT_FALSE(rule_matches(with({"*/status"}), binding));
  EXPECT_FALSE(rule_matches(with({"configmaps"}), main));
  EXPECT_TRUE(rule_matches(with({"configmaps", "pods"}), main));
}

TEST(WebhookRules, Scope) {
  MatchAttributes namespaced = pod();
  MatchAttributes node{Operation::kCreate, "", "v1", "nodes", "", ""};
  MatchAttributes ns{Operation::kCreate, "", "v1", "namespaces", "", ""};
  auto scoped = [](std::string scope) {
    return rule({"*"}, {"*"}, {"*"}, {"*"}, std::move(scope));
  };
  EXPECT_TRUE(rule_matches(scoped("*"), namespaced));
  EXPECT_TRUE(rule_matches(scoped("*"), node));
  EXPECT_TRUE(rule_matches(scoped("Namespaced"), namespaced));
  EXPECT_FALSE(rule_matches(scoped("Namespaced"), node));
  EXPECT_FALSE(rule_matches(scoped("Cluster"), namespaced));
  EXPECT_TRUE(rule_matches(scoped("Cluster"), node));
  // Namespaces are cluster-scoped, even when a request about one names a namespace.
  EXPECT_TRUE(rule_matches(scoped("Cluster"), ns));
  EXPECT_FALSE(rule_matches(scoped("Namespaced"), ns));
  ns.namespace_ = "team";
  EXPECT_TRUE(rule_matches(scoped("Cluster"), ns));
  EXPECT_FALSE(rule_matches(scoped("Namespaced"), ns));
}

TEST(WebhookRules, AnyRuleOfTheWebhook) {
  Webhook w;
  EXPECT_FALSE(rules_match(w, pod())) << "no rules, no calls";
  w.rules.push_back(rule({"DELETE"}, {""}, {"v1"}, {"pods"}));
  EXPECT_FALSE(rules_match(w, pod()));
  w.rules.push_back(rule({"CREATE"}, {""}, {"v1"}, {"pods"}));
  EXPECT_TRUE(rules_match(w, pod()));
}

TEST(WebhookSelectors, NamespaceSelector) {
  Webhook w = one(R"({"name":"x","clientConfig":{"url":"https://h/"},"namespaceSelector":)"
                  R"({"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":)"
                  R"("NotIn","values":["kube-system"]},{"key":"berth.dev/injection",)"
                  R"("operator":"In","values":["enabled"]}]}})");
  ASSERT_TRUE(w.invalid.empty()) << w.invalid;
  auto labels = [](std::string_view text) { return json::parse(text).value(); };
  json::Document opted_in =
      labels(R"({"kubernetes.io/metadata.name":"team","berth.dev/injection":"enabled"})");
  json::Document system =
      labels(R"({"kubernetes.io/metadata.name":"kube-system","berth.dev/injection":"enabled"})");
  json::Document plain = labels(R"({"kubernetes.io/metadata.name":"team"})");
  EXPECT_TRUE(needs_namespace_labels(w, pod()));
  EXPECT_TRUE(namespace_selector_matches(w, pod(), &opted_in));
  EXPECT_FALSE(namespace_selector_matches(w, pod(), &system));
  EXPECT_FALSE(namespace_selector_matches(w, pod(), &plain));
  EXPECT_FALSE(namespace_selector_matches(w, pod(), nullptr));

  // Cluster-scoped objects other than namespaces are never exempted.
  MatchAttributes node{Operation::kCreate, "", "v1", "nodes", "", ""};
  EXPECT_FALSE(needs_namespace_labels(w, node));
  EXPECT_TRUE(namespace_selector_matches(w, node, nullptr));
  // A Namespace is matched by the labels it is given (the caller passes its own).
  MatchAttributes ns{Operation::kCreate, "", "v1", "namespaces", "", ""};
  EXPECT_TRUE(needs_namespace_labels(w, ns));
  EXPECT_TRUE(namespace_selector_matches(w, ns, &opted_in));
  EXPECT_FALSE(namespace_selector_matches(w, ns, &plain));

  Webhook everything = one(R"({"name":"x","clientConfig":{"url":"https://h/"}})");
  EXPECT_FALSE(needs_namespace_labels(everything, pod()));
  EXPECT_TRUE(namespace_selector_matches(everything, pod(), nullptr));
}

TEST(WebhookSelectors, ObjectSelectorSeesNewOrOldLabels) {
  Webhook w = one(R"({"name":"x","clientConfig":{"url":"https://h/"},)"
                  R"("objectSelector":{"matchLabels":{"app":"web"}}})");
  auto object = [](std::string_view labels) {
    return json::parse(R"({"metadata":{"labels":)" + std::string(labels) + "}}").value();
  };
  json::Document web = object(R"({"app":"web"})");
  json::Document db = object(R"({"app":"db"})");
  json::Document unlabelled = json::parse(R"({"metadata":{}})").value();
  EXPECT_TRUE(object_selector_matches(w, &web, nullptr));
  EXPECT_FALSE(object_selector_matches(w, &db, nullptr));
  EXPECT_FALSE(object_selector_matches(w, &unlabelled, nullptr));
  // Relabelled away from the selector, or a DELETE (no new object): the old labels count.
  EXPECT_TRUE(object_selector_matches(w, &db, &web));
  EXPECT_TRUE(object_selector_matches(w, nullptr, &web));
  EXPECT_FALSE(object_selector_matches(w, nullptr, nullptr));

  Webhook any = one(R"({"name":"x","clientConfig":{"url":"https://h/"},"objectSelector":{}})");
  EXPECT_TRUE(object_selector_matches(any, nullptr, nullptr));
  Webhook absent_label = one(R"({"name":"x","clientConfig":{"url":"https://h/"},"objectSelector":)"
                             R"({"matchExpressions":[{"key":"skip","operator":"DoesNotExist"}]}})");
  EXPECT_TRUE(object_selector_matches(absent_label, &unlabelled, nullptr));
  EXPECT_FALSE(object_selector_matches(absent_label, nullptr, nullptr))
      << "no object at all never matches a selector";
}

}  // namespace
}  // namespace berth::sim
