// Validation of built-in kinds: the field errors kube-apiserver v1.26 reports for the mistakes
// clients commonly make (the fixtures in errors/422-* are the reference for wording).
#pragma once

#include "kube/core/json.h"
#include "sim/apiserver/field_error.h"

namespace berth::sim::validation {

using kube::json::Value;

// PodSpec at `path` ("spec", "spec.template.spec").
FieldErrors pod_spec(const Value& spec, const std::string& path);
FieldErrors pod(const Value& pod);
// Only images, activeDeadlineSeconds, tolerations (additions) and
// terminationGracePeriodSeconds may change.
FieldErrors pod_update(const Value& pod, const Value& old);

// Workloads with a selector and a pod template (Deployment, ReplicaSet, StatefulSet,
// DaemonSet): selector required, matching the template labels, immutable on update.
FieldErrors workload(const Value& object, bool replicas);
FieldErrors workload_update(const Value& object, const Value& old, bool replicas);

FieldErrors service(const Value& object);
FieldErrors config_map(const Value& object);
FieldErrors secret(const Value& object);
FieldErrors events_v1_event(const Value& object);
FieldErrors custom_resource_definition(const Value& object);
FieldErrors webhook_configuration(const Value& object);
FieldErrors priority_class(const Value& object);

}  // namespace berth::sim::validation
