// Kubernetes objects in and out of the rollout controller, with no I/O: what the planner is
// told about ReplicaSets, the workloadRef Deployment, Services and pods, and the objects and
// patches the reconciler sends. Every write is conditional (a resourceVersion, or a JSON patch
// test of the value it replaces), so a decision made on a stale cache fails instead of landing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/rollout/planner.h"
#include "controllers/rollout/spec.h"
#include "controllers/rollout/world.h"
#include "kube/api/object.h"
#include "kube/core/json.h"
#include "kube/core/result.h"

namespace berth::rollout {

// A ReplicaSet as a planner Workload. pod_template points into `rs`, which must outlive it.
Workload replica_set_workload(const kube::Object& rs);
// The workloadRef Deployment as a planner Workload.
Workload deployment_workload(const kube::Object& deployment);
ServiceState service_state(const kube::Object& service);
// Per revision (pod-template-hash label): counts, restarts and crash loops of live pods
// (terminating pods are left out, as the ReplicaSet controller does).
std::map<std::string, RevisionPods, std::less<>> summarize_pods(
    const std::vector<kube::Object>& pods);

// Desired pods: spec.replicas, else the Deployment's count before the takeover (its
// berth.dev/original-replicas annotation, or its spec.replicas before the claim), else 1.
int effective_replicas(const RolloutSpec& spec, const kube::Object* deployment);

// The Rollout that manages `deployment` (its berth.dev/managed-by-rollout annotation), if any.
std::optional<std::string> managing_rollout(const kube::Object& deployment);

// The ReplicaSet of a new revision: the template's labels plus the hash and rollout labels,
// the selector narrowed to the hash, revision and change-cause annotations, and a controller
// reference to the Rollout.
kube::Result<kube::json::Document> build_replica_set(const kube::Object& rollout,
                                                     const RolloutSpec& spec,
                                                     const kube::json::Value& pod_template,
                                                     const CreateReplicaSet& create);

// Merge patches conditional on `resource_version`.
std::string scale_patch(std::string_view resource_version, int replicas);
std::string revision_patch(std::string_view resource_version, int revision);
// Pins the Service's selector to `hash` (adds berth.dev/pod-template-hash), or removes the pin
// when `hash` is empty.
std::string pin_patch(std::string_view resource_version, std::string_view hash);
// Claims a Deployment for `rollout`: the managed-by and original-replicas annotations.
std::string claim_patch(std::string_view resource_version, std::string_view rollout,
                        int original_replicas);
// Drops both annotations again (the Deployment was scaled back by then).
std::string release_patch(std::string_view resource_version);

// JSON patches.
// Removes the action annotation if it still holds `value`.
std::string remove_action_patch(std::string_view value);
// Replaces spec.template with `replacement` if the object's resourceVersion is still
// `resource_version`.
std::string template_patch(std::string_view resource_version, const kube::json::Value& replacement);

// "berth.dev/rollout" -> "berth.dev~1rollout" (RFC 6901).
std::string json_pointer_escape(std::string_view key);

}  // namespace berth::rollout
