// Revision identity. A revision is a pod template; its hash names the ReplicaSet
// (<rollout>-<hash>), labels its pods and pins Service selectors, so it must be the same in
// every process and across restarts for the same template.
#pragma once

#include <string>

#include "kube/core/json.h"

namespace berth::rollout {

// JSON with every object's members sorted by key, arrays in order: equal for templates that
// differ only in member order.
std::string canonical_json(const kube::json::Value& value);

// A copy of `pod_template` without what the controller adds to a ReplicaSet's template (its
// pod-template-hash and rollout labels) and without a null metadata.creationTimestamp, so a
// template read back from a ReplicaSet compares equal to the one it was created from.
kube::json::Document strip_controller_fields(const kube::json::Value& pod_template);

// 10 characters from the alphabet Kubernetes uses for generated names (a valid label value and
// name suffix): FNV-1a 64 of canonical_json(strip_controller_fields(pod_template)).
std::string template_hash(const kube::json::Value& pod_template);

}  // namespace berth::rollout
