// The entries of MutatingWebhookConfiguration / ValidatingWebhookConfiguration objects
// (admissionregistration.k8s.io/v1) as berth-sim's admission chain uses them, and the matching
// kube-apiserver does before it calls one: rules (operations, apiGroups, apiVersions,
// resources with "*" and "pods/*" forms, scope), namespaceSelector and objectSelector.
//
// Pure functions over JSON, no I/O: webhook_admission.cc wires them to the store and the
// network.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/selector.h"
#include "kube/core/json.h"
#include "sim/apiserver/admission.h"

namespace berth::sim {

enum class FailurePolicy { kFail, kIgnore };
// Absent (v1 requires it, older objects may lack it), None, NoneOnDryRun, Some, Unknown.
enum class SideEffects { kUnset, kNone, kNoneOnDryRun, kSome, kUnknown };

struct WebhookRule {
  std::vector<std::string> operations;    // "CREATE", ..., "*"
  std::vector<std::string> api_groups;    // "" is the core group, "*" any
  std::vector<std::string> api_versions;  // "*" any
  std::vector<std::string> resources;     // "pods", "pods/status", "pods/*", "*", "*/*"
  std::string scope = "*";                // "*", "Cluster", "Namespaced"
};

struct ServiceReference {
  std::string namespace_;
  std::string name;
  std::string path;  // may be empty
  int port = 443;
};

struct Webhook {
  std::string configuration;  // the configuration's metadata.name
  std::string name;
  // Identifies the entry across calls of one request (reinvocation): configuration/index.
  std::string id;
  std::string url;                          // clientConfig.url (empty with a service)
  std::optional<ServiceReference> service;  // clientConfig.service
  std::string ca_pem;                       // clientConfig.caBundle decoded; empty = system roots
  std::vector<WebhookRule> rules;
  FailurePolicy failure_policy = FailurePolicy::kFail;
  kube::LabelSelector namespace_selector;
  kube::LabelSelector object_selector;
  SideEffects side_effects = SideEffects::kUnset;
  std::chrono::seconds timeout{10};
  bool reinvoke_if_needed = false;  // mutating only: reinvocationPolicy IfNeeded
  // Why the entry is unusable (bad caBundle, selector, clientConfig); calling it fails the
  // request as a call error. The API validates configurations on write, so this is rare.
  std::string invalid;
};

// The webhooks of one configuration object, in listed order. Never fails: a broken entry is
// returned with `invalid` set.
std::vector<Webhook> parse_webhook_configuration(const kube::json::Value& configuration,
                                                 bool mutating);

// What a request is, for matching.
struct MatchAttributes {
  Operation operation = Operation::kCreate;
  std::string group;
  std::string version;
  std::string resource;  // plural
  std::string subresource;
  std::string namespace_;  // empty for cluster-scoped objects
};

bool rule_matches(const WebhookRule& rule, const MatchAttributes& attributes);
// Any of the webhook's rules.
bool rules_match(const Webhook& webhook, const MatchAttributes& attributes);

// Whether the namespaceSelector needs the namespace's labels at all: false for cluster-scoped
// objects other than namespaces (never exempted) and for an empty selector.
bool needs_namespace_labels(const Webhook& webhook, const MatchAttributes& attributes);
// `labels`: the namespace's labels (for a Namespace object: its own). Cluster-scoped objects
// other than namespaces always match.
bool namespace_selector_matches(const Webhook& webhook, const MatchAttributes& attributes,
                                const kube::json::Value* labels);
// The new or the old object's labels match (either may be null).
bool object_selector_matches(const Webhook& webhook, const kube::json::Value* object,
                             const kube::json::Value* old_object);

// "Namespace" requests (group "", resource "namespaces").
bool is_namespace_resource(const MatchAttributes& attributes);

}  // namespace berth::sim
