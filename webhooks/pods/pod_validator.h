// PodValidator: the /validate/pods webhook. Image policy (allowed registries, no :latest or
// untagged images, digest pinning) and best-practice checks (privileged, hostPath, host
// namespaces, resource requests/limits, runAsNonRoot), each finding phrased as what to change:
// container, field and fix.
//
// Mode per namespace: label berth.dev/policy-mode (enforce|warn), else the config's default.
// enforce denies a pod with any finding (403, every finding in the message); warn admits it
// with one warning per finding. digestPinning: warn findings are warnings in either mode. On
// UPDATE, findings the stored pod already had are warnings only, so a label change on an old
// pod is never refused. Subresources, DELETE and excluded namespaces are not checked.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "webhooks/admission/namespace_labels.h"
#include "webhooks/admission/webhook.h"
#include "webhooks/config/config.h"

namespace berth::webhooks {

struct Finding {
  std::string check;    // "image", "latest", "digest", "privileged", "hostPath", ...
  std::string message;  // complete: which container/field, what is wrong, how to fix it
  bool warn_only = false;
};

// Every finding for `pod` under `policy`, in spec order. No I/O.
std::vector<Finding> check_pod(const kube::json::Value& pod, const PolicyConfig& policy);

class PodValidator final : public AdmissionWebhook {
 public:
  // `namespaces` must outlive the validator.
  PodValidator(std::shared_ptr<const WebhooksConfig> config, const NamespaceLookup& namespaces);

  AdmissionResponse review(const AdmissionRequest& request) const override;

 private:
  std::shared_ptr<const WebhooksConfig> config_;
  const NamespaceLookup& namespaces_;
};

}  // namespace berth::webhooks
