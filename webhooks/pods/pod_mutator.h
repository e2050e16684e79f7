// PodMutator: the /mutate/pods webhook. Decides whether a pod is opted in, runs the injectors
// (log sidecar, secret mounts, registry mirror) on a copy of it, stamps the berth.dev/injected
// marker and answers with the minimal JSON patch from the pod it was sent to the result.
//
// Opt-in (first match wins): excluded namespace (kube-system, Berth's own, config) -> no;
// pod annotation berth.dev/inject: "false" -> no; namespace label berth.dev/injection:
// disabled -> no; namespace label berth.dev/injection: enabled -> yes; pod annotation
// berth.dev/inject: "true", berth.dev/log-sidecar: "true" or berth.dev/mount-secrets -> yes;
// otherwise no.
//
// Never mutates subresources (binding, status, ephemeralcontainers), DELETE or CONNECT. No side
// effects, so dryRun requests are answered like any other.
#pragma once

#include <memory>
#include <string>

#include "webhooks/admission/namespace_labels.h"
#include "webhooks/admission/webhook.h"
#include "webhooks/config/config.h"
#include "webhooks/pods/log_sidecar.h"
#include "webhooks/pods/registry_rewrite.h"
#include "webhooks/pods/secret_mounts.h"

namespace berth::webhooks {

class PodMutator final : public AdmissionWebhook {
 public:
  // `namespaces` must outlive the mutator.
  PodMutator(std::shared_ptr<const WebhooksConfig> config, const NamespaceLookup& namespaces);

  AdmissionResponse review(const AdmissionRequest& request) const override;

  struct Decision {
    bool inject = false;
    std::string reason;     // for logs and tests: which rule decided
    std::string warning{};  // set when an opt-in annotation has an unusable value
  };
  Decision decide(const kube::json::Value& pod, std::string_view namespace_) const;

 private:
  std::shared_ptr<const WebhooksConfig> config_;
  const NamespaceLookup& namespaces_;
  LogSidecarInjector log_sidecar_;
  SecretMountInjector secrets_;
  RegistryRewriter registry_;
};

}  // namespace berth::webhooks
