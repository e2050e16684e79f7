// WebhookAdmission: the MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins of
// kube-apiserver v1.26 as one berth-sim AdmissionPlugin. Its admit() calls the webhooks of every
// MutatingWebhookConfiguration in the store, its validate() those of every
// ValidatingWebhookConfiguration, over HTTPS with AdmissionReview admission.k8s.io/v1.
//
// What it does as the apiserver does:
// - Order: configurations by name, webhooks in listed order. Mutating webhooks run one after the
//   other, each seeing the previous one's patch; reinvocationPolicy IfNeeded re-runs, once, the
//   webhooks called before a later webhook changed the object. Validating webhooks run in
//   parallel on the final object.
// - Matching: rules (operations, apiGroups, apiVersions, resources incl. "*", "*/*", "pods/*",
//   scope), namespaceSelector (against the namespace's labels; a Namespace's own labels;
//   cluster-scoped objects always match), objectSelector (new or old object's labels).
//   Webhook configurations themselves are never sent to webhooks.
// - Calls: POST clientConfig.url, or a clientConfig.service resolved through
//   WebhookAdmissionOptions::service_addresses (berth-sim has no Service network) and verified
//   as <name>.<namespace>.svc; caBundle verification with hostname/IP checks, TLS 1.2+,
//   "?timeout=<timeoutSeconds>s", User-Agent kube-apiserver-admission.
// - Answers: JSONPatch responses applied (base64 RFC 6902); warnings to the client's Warning
//   headers; a denial becomes the webhook's status with the message
//   `admission webhook "<name>" denied the request: <message>` (code below 400 -> 400).
// - Failures (unreachable, TLS, timeout, non-200, malformed review, wrong uid): failurePolicy
//   Ignore skips the webhook, Fail (the default) rejects with 500 InternalError
//   `failed calling webhook "<name>": ...`. A patch that does not apply is a 500 whatever the
//   policy.
// - dryRun: a matching webhook whose sideEffects is not None/NoneOnDryRun rejects the request
//   with 400 `admission webhook "<name>" does not support dry run`.
//
// Simplified: matchPolicy Equivalent matches like Exact (no conversion to other versions of a
// resource), admissionReviewVersions is not negotiated (v1 is sent), reinvocation re-runs only
// webhooks, not the built-in plugins, and matchConditions (alpha in 1.26) are ignored.
//
// Thread-safe. Calls block the writing thread for up to timeoutSeconds per webhook: give the
// API server a write executor (ApiServerOptions::write_executor) when webhooks are slow.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kube/metrics/registry.h"
#include "sim/apiserver/admission.h"
#include "sim/apiserver/webhook_caller.h"
#include "sim/apiserver/webhook_config.h"

namespace berth::sim {

struct WebhookAdmissionOptions {
  // Call the webhooks of webhook configurations at all (a sim that stores configurations only
  // as data, for example for manifest checks, turns this off).
  bool enabled = true;
  // clientConfig.service "namespace/name" -> "host:port" to call instead (for example
  // "berth-system/berth-webhooks" -> "127.0.0.1:9443"). A service reference without an entry
  // fails its calls (and so, with failurePolicy Fail, the request).
  std::map<std::string, std::string> service_addresses{};
  // apiserver_admission_webhook_* metrics; kube::metrics::default_registry() when null. Must
  // outlive the plugin.
  kube::metrics::Registry* registry = nullptr;
};

class ObjectApi;

class WebhookAdmission : public AdmissionPlugin {
 public:
  // `api` reads the configurations and namespaces; it must outlive the plugin.
  WebhookAdmission(ObjectApi& api, WebhookAdmissionOptions options);
  ~WebhookAdmission() override;

  std::string_view name() const override { return "AdmissionWebhook"; }

  // Adds or replaces a service_addresses entry ("namespace/name" -> "host:port"): a webhook
  // server started after the API server (it needs the API for its certificates) is mapped
  // once it listens.
  void set_service_address(std::string service, std::string address);
  ApiStatus admit(AdmissionRequest& request) override;
  ApiStatus validate(const AdmissionRequest& request) override;

 private:
  struct Metrics;
  struct Cached;
  // The webhooks of every configuration of the kind, configurations ordered by name.
  std::vector<std::shared_ptr<const Webhook>> webhooks(bool mutating);
  ApiStatus run_mutating(AdmissionRequest& request);
  ApiStatus run_validating(const AdmissionRequest& request);
  ApiStatus call_validating(const Webhook& webhook, const AdmissionRequest& request,
                            std::vector<std::string>& warnings);

  std::optional<std::string> service_address(const std::string& service) const;

  ObjectApi& api_;
  WebhookAdmissionOptions options_;  // service_addresses guarded by services_mu_
  mutable std::mutex services_mu_;
  WebhookCaller caller_;
  std::unique_ptr<Metrics> metrics_;
  std::mutex mu_;
  // Parsed configurations by kind and name, re-parsed when the resourceVersion changes.
  std::map<std::string, std::shared_ptr<const Cached>> cache_;
};

}  // namespace berth::sim
