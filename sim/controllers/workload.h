// Workload helpers shared by berth-sim's ReplicaSet and Deployment controllers: pod readiness
// and availability, controller references, pod-template-hash, and the rollout arithmetic of
// kube-controller-manager v1.26 (maxSurge/maxUnavailable resolution, new ReplicaSet size,
// proportional scaling). Pure functions over JSON, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"
#include "kube/core/json.h"
#include "kube/core/result.h"

namespace berth::sim::workload {

inline constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";
inline constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr std::string_view kDesiredReplicasAnnotation =
    "deployment.kubernetes.io/desired-replicas";
inline constexpr std::string_view kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

using SystemTime = std::chrono::system_clock::time_point;

// Ready condition True.
bool pod_ready(const kube::Object& pod);
// Ready for at least `min_ready_seconds` at `now` (the Ready condition's lastTransitionTime).
bool pod_available(const kube::Object& pod, std::int64_t min_ready_seconds, SystemTime now);
// When a ready pod becomes available (nullopt when not ready).
std::optional<SystemTime> pod_ready_since(const kube::Object& pod);
// Neither Succeeded/Failed nor being deleted: counts toward a ReplicaSet's replicas.
bool pod_active(const kube::Object& pod);
int pod_restarts(const kube::Object& pod);

// The ownerReference with controller: true, or null.
const kube::json::Value* controller_ref(const kube::Object& object);
// {apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true} for `owner`.
kube::json::Value controller_reference(const kube::Object& owner, kube::json::Allocator& a);

// The pod-template-hash of a template (FNV-32a of its canonical JSON, plus the collision
// count), spelled with Kubernetes' safe alphabet like the real label ("595b59c9b5").
std::string pod_template_hash(const kube::json::Value& pod_template,
                              std::optional<std::int64_t> collision_count);
// Templates equal once the pod-template-hash label is ignored.
bool equal_ignore_hash(const kube::json::Value& a, const kube::json::Value& b);

// intstr.GetScaledValueFromIntOrPercent: an integer, or "N%" of `total` rounded up or down.
// A missing value is 0. Errors are kInvalid.
kube::Result<std::int64_t> scaled_value(const kube::json::Value* int_or_percent, std::int64_t total,
                                        bool round_up);

struct Fenceposts {
  std::int64_t max_surge = 0;
  std::int64_t max_unavailable = 0;
};
// ResolveFenceposts: surge rounds up, unavailable down; both zero → unavailable 1.
kube::Result<Fenceposts> resolve_fenceposts(const kube::json::Value* max_surge,
                                            const kube::json::Value* max_unavailable,
                                            std::int64_t desired);

// What the rollout math needs to know about one ReplicaSet.
struct ReplicaSetCounts {
  std::string name;
  std::int64_t spec = 0;
  std::int64_t status = 0;     // status.replicas (pods it has, as last reported)
  std::int64_t available = 0;  // status.availableReplicas
  // deployment.kubernetes.io/max-replicas, when present.
  std::optional<std::int64_t> max_replicas{};
  std::string created{};  // creationTimestamp (RFC 3339 sorts by time)
};

// The size of the new ReplicaSet in a rolling update: up to replicas + maxSurge pods in total.
// Pods are counted as max(spec, status) per ReplicaSet: a ReplicaSet told to shrink still has
// its pods until its controller deletes them, and counting them keeps the surge bound true for
// observed pods, not only for specs.
std::int64_t new_rs_new_replicas(std::int64_t replicas, std::int64_t max_surge,
                                 const std::vector<ReplicaSetCounts>& all, std::int64_t new_spec);

// Proportional scaling of active ReplicaSets when a deployment is resized mid-rollout
// (deployment controller's scale()): the new sizes, index-aligned with `active`.
std::vector<std::int64_t> proportional_sizes(const std::vector<ReplicaSetCounts>& active,
                                             std::int64_t replicas, std::int64_t max_surge,
                                             std::int64_t status_replicas);

}  // namespace berth::sim::workload
