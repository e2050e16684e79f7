// The workload the webhook benchmarks send: an AdmissionReview for a pod as a Deployment
// creates it (about 6 KB: managedFields, ownerReference, two containers with env, probes and
// resources, the service-account volume, default tolerations), in a namespace opted in to
// injection, asking for a log sidecar and two Secrets, with images behind a registry mirror.
#pragma once

#include <memory>
#include <string>

#include "webhooks/admission/namespace_labels.h"
#include "webhooks/config/config.h"

namespace berth::bench {

std::string pod_review();
// A configuration that rewrites docker.io images, checks every best practice in warn mode.
std::shared_ptr<webhooks::WebhooksConfig> bench_config();
// Namespace "shop" labelled berth.dev/injection: enabled.
void add_bench_namespace(webhooks::NamespaceLabelMap& namespaces);

}  // namespace berth::bench
