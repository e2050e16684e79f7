// Cross-field validation of rollouts.berth.dev/v1alpha1 — what the CRD's openAPIV3Schema cannot
// say. The shape (reference: webhooks/README.md):
//
//   spec:
//     replicas: 3                       # >= 0
//     selector: {matchLabels: ...}      # required, non-empty, immutable
//     template: <PodTemplateSpec>       # exactly one of template / workloadRef
//     workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
//     strategy:                         # exactly one of canary / blueGreen
//       canary:
//         steps:                        # each exactly one of setWeight / pause / analysis
//           - setWeight: 20             # 0..100
//           - pause: {duration: 10m}    # duration optional ("30s", "1h30m" or seconds)
//           - analysis: {templates: [{templateName: success-rate}]}
//         maxSurge: 25%                 # int or "N%"; not both 0 with maxUnavailable
//         maxUnavailable: 0
//         canaryService / stableService # optional, different
//       blueGreen:
//         activeService: web-active     # required
//         previewService: web-preview   # optional, != activeService
//         autoPromotionEnabled: true
//         autoPromotionSeconds / scaleDownDelaySeconds: >= 0
//     progressDeadlineSeconds: 600      # > 0
//     revisionHistoryLimit: 10          # >= 0
#pragma once

#include "kube/core/json.h"
#include "webhooks/crds/field_errors.h"

namespace berth::webhooks {

// `old_rollout` is the stored object on UPDATE (nullptr at CREATE).
void validate_rollout(const kube::json::Value& rollout, const kube::json::Value* old_rollout,
                      FieldErrors& errors);

// Go-style durations with integer amounts ("500ms", "30s", "10m", "1h30m"); false otherwise.
bool valid_duration(std::string_view text);

}  // namespace berth::webhooks
