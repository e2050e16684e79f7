#include "sim/apiserver/webhook_config.h"

#include <algorithm>

#include "kube/core/strings.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

std::vector<std::string> strings_at(const Value& object, std::string_view key) {
  std::vector<std::string> out;
  const Value* list = json::find(object, key);
  if (list == nullptr || !list->IsArray()) return out;
  for (const auto& v : list->GetArray()) {
    if (v.IsString()) out.emplace_back(json::as_string(v));
  }
  return out;
}

bool listed(const std::vector<std::string>& values, std::string_view value) {
  return std::any_of(values.begin(), values.end(),
                     [&](const std::string& v) { return v == "*" || v == value; });
}

SideEffects side_effects_of(std::string_view text) {
  if (text.empty()) return SideEffects::kUnset;
  if (text == "None") return SideEffects::kNone;
  if (text == "NoneOnDryRun") return SideEffects::kNoneOnDryRun;
  if (text == "Some") return SideEffects::kSome;
  return SideEffects::kUnknown;
}

// A selector member: absent means "everything" (the API defaults it to {}).
kube::LabelSelector selector_at(const Value& hook, std::string_view key, std::string& invalid) {
  const Value* selector = json::find(hook, key);
  if (selector == nullptr) return {};
  auto parsed = kube::LabelSelector::from_json(*selector);
  if (!parsed.ok()) {
    if (invalid.empty()) invalid = "invalid " + std::string(key) + ": " + parsed.error().message;
    return kube::LabelSelector::nothing();
  }
  return std::move(parsed).value();
}

Webhook parse_webhook(const Value& hook, std::string_view configuration, std::size_t index,
                      bool mutating) {
  Webhook w;
  w.configuration = std::string(configuration);
  w.id = w.configuration + "/" + std::to_string(index);
  if (!hook.IsObject()) {
    w.invalid = "webhook entry is not an object";
    return w;
  }
  w.name = std::string(json::get_string(hook, "name"));
  if (const Value* cc = json::find(hook, "clientConfig"); cc != nullptr && cc->IsObject()) {
    w.url = std::string(json::get_string(*cc, "url"));
    if (const Value* svc = json::find(*cc, "service"); svc != nullptr && svc->IsObject()) {
      ServiceReference ref;
      ref.namespace_ = std::string(json::get_string(*svc, "namespace"));
      ref.name = std::string(json::get_string(*svc, "name"));
      ref.path = std::string(json::get_string(*svc, "path"));
      ref.port = static_cast<int>(json::get_int(*svc, "port", 443));
      w.service = std::move(ref);
    }
    std::string_view bundle = json::get_string(*cc, "caBundle");
    if (!bundle.empty()) {
      auto pem = kube::base64_decode(bundle);
      if (pem) {
        w.ca_pem = std::move(*pem);
      } else {
        w.invalid = "clientConfig.caBundle is not valid base64";
      }
    }
  }
  if (w.invalid.empty() && w.url.empty() && !w.service) {
    w.invalid = "clientConfig has neither url nor service";
  }
  if (w.invalid.empty() && !w.url.empty() && !w.url.starts_with("https://")) {
    w.invalid = "clientConfig.url must use https";
  }
  if (const Value* rules = json::find(hook, "rules"); rules != nullptr && rules->IsArray()) {
    for (const auto& r : rules->GetArray()) {
      if (!r.IsObject()) continue;
      WebhookRule rule;
      rule.operations = strings_at(r, "operations");
      rule.api_groups = strings_at(r, "apiGroups");
      rule.api_versions = strings_at(r, "apiVersions");
      rule.resources = strings_at(r, "resources");
      rule.scope = std::string(json::get_string(r, "scope", "*"));
      w.rules.push_back(std::move(rule));
    }
  }
  if (json::get_string(hook, "failurePolicy") == "Ignore") {
    w.failure_policy = FailurePolicy::kIgnore;
  }
  w.namespace_selector = selector_at(hook, "namespaceSelector", w.invalid);
  w.object_selector = selector_at(hook, "objectSelector", w.invalid);
  w.side_effects = side_effects_of(json::get_string(hook, "sideEffects"));
  // The API bounds timeoutSeconds to 1..30; anything else falls back to the default.
  std::int64_t timeout = json::get_int(hook, "timeoutSeconds", 10);
  w.timeout = std::chrono::seconds(timeout >= 1 && timeout <= 30 ? timeout : 10);
  w.reinvoke_if_needed = mutating && json::get_string(hook, "reinvocationPolicy") == "IfNeeded";
  return w;
}

std::pair<std::string_view, std::string_view> split_resource(std::string_view resource) {
  auto slash = resource.find('/');
  if (slash == std::string_view::npos) return {resource, {}};
  return {resource.substr(0, slash), resource.substr(slash + 1)};
}

}  // namespace

std::vector<Webhook> parse_webhook_configuration(const Value& configuration, bool mutating) {
  std::vector<Webhook> out;
  const Value* meta = json::find(configuration, "metadata");
  std::string_view name = meta != nullptr ? json::get_string(*meta, "name") : std::string_view();
  const Value* hooks = json::find(configuration, "webhooks");
  if (hooks == nullptr || !hooks->IsArray()) return out;
  std::size_t index = 0;
  for (const auto& h : hooks->GetArray())
    out.push_back(parse_webhook(h, name, index++, mutating));
  return out;
}

bool is_namespace_resource(const MatchAttributes& a) {
  return a.group.empty() && a.resource == "namespaces";
}

bool rule_matches(const WebhookRule& rule, const MatchAttributes& a) {
  if (!listed(rule.operations, operation_name(a.operation))) return false;
  if (!listed(rule.api_groups, a.group)) return false;
  if (!listed(rule.api_versions, a.version)) return false;
  // Namespace objects are cluster-scoped even though requests about them name a namespace.
  if (rule.scope == "Namespaced" && (is_namespace_resource(a) || a.namespace_.empty())) {
    return false;
  }
  if (rule.scope == "Cluster" && !is_namespace_resource(a) && !a.namespace_.empty()) return false;
  for (const auto& r : rule.resources) {
    auto [resource, sub] = split_resource(r);
    // "*" alone is every resource but no subresource; "*/*" everything; "pods/*" pods and
    // every subresource of pods (a "*" subresource also matches none, as in the apiserver).
    bool resource_ok = resource == "*" || resource == a.resource;
    bool sub_ok = sub == "*" || sub == a.subresource;
    if (resource_ok && sub_ok) return true;
  }
  return false;
}

bool rules_match(const Webhook& webhook, const MatchAttributes& attributes) {
  return std::any_of(webhook.rules.begin(), webhook.rules.end(),
                     [&](const WebhookRule& r) { return rule_matches(r, attributes); });
}

bool needs_namespace_labels(const Webhook& webhook, const MatchAttributes& a) {
  if (a.namespace_.empty() && !is_namespace_resource(a)) return false;
  return !webhook.namespace_selector.empty();
}

bool namespace_selector_matches(const Webhook& webhook, const MatchAttributes& a,
                                const Value* labels) {
  if (!needs_namespace_labels(webhook, a)) return true;
  return webhook.namespace_selector.matches(labels);
}

bool object_selector_matches(const Webhook& webhook, const Value* object, const Value* old_object) {
  if (webhook.object_selector.empty()) return true;
  auto labels_of = [](const Value* o) -> const Value* {
    if (o == nullptr || !o->IsObject()) return nullptr;
    const Value* meta = json::find(*o, "metadata");
    return meta != nullptr ? json::find(*meta, "labels") : nullptr;
  };
  // A missing object does not match, not even a selector of absent labels.
  return (object != nullptr && object->IsObject() &&
          webhook.object_selector.matches(labels_of(object))) ||
         (old_object != nullptr && old_object->IsObject() &&
          webhook.object_selector.matches(labels_of(old_object)));
}

}  // namespace berth::sim
