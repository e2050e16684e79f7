// Validation of rollouts.berth.dev/v1alpha1 in the validating webhook: exactly the rules the
// rollout controller applies when it parses a spec (controllers/rollout/spec.h), so a Rollout
// the webhook admits is one the controller runs, plus what only admission can judge (the
// selector is immutable on UPDATE). The CRD's schema checks shapes and ranges first; this
// adds the cross-field rules and reports every problem at once.
#pragma once

#include "kube/core/json.h"
#include "webhooks/crds/field_errors.h"

namespace berth::webhooks {

// `old_rollout` is the stored object on UPDATE (nullptr at CREATE).
void validate_rollout(const kube::json::Value& rollout, const kube::json::Value* old_rollout,
                      FieldErrors& errors);

}  // namespace berth::webhooks
