// The names the rollout controller shares with users, the kubectl plugin and the validating
// webhook: its resource type, and the labels, annotations and finalizer it reads and writes.
#pragma once

#include <string_view>

#include "kube/api/resource.h"

namespace berth::rollout {

inline const kube::ResourceType kRollouts{"berth.dev", "v1alpha1", "rollouts", "Rollout", true};

// On every ReplicaSet, pod template and pinned Service selector: the revision's template hash.
inline constexpr std::string_view kPodTemplateHashLabel = "berth.dev/pod-template-hash";
// On every ReplicaSet and pod the controller creates: the owning Rollout's name (also lets the
// controller watch only its own pods).
inline constexpr std::string_view kRolloutLabel = "berth.dev/rollout";

// ReplicaSet annotations: the revision number (bumped when an old revision comes back, as
// Deployments do) and what caused the revision.
inline constexpr std::string_view kRevisionAnnotation = "berth.dev/revision";
inline constexpr std::string_view kChangeCauseAnnotation = "kubernetes.io/change-cause";

// Rollout annotation a user or the kubectl plugin sets to request an operation. Value:
// "<action>[:<argument>][@<requester>]", e.g. "promote", "abort@alice", "rollback:3@ci".
// The controller removes it once the operation has been applied.
inline constexpr std::string_view kActionAnnotation = "berth.dev/rollout-action";

// Deployment annotations written when a Rollout takes a Deployment over through workloadRef:
// which Rollout manages it, and its replica count before it was scaled to zero.
inline constexpr std::string_view kManagedByAnnotation = "berth.dev/managed-by-rollout";
inline constexpr std::string_view kOriginalReplicasAnnotation = "berth.dev/original-replicas";

// On Rollouts with a workloadRef: deletion waits until the Deployment serves again.
inline constexpr std::string_view kFinalizer = "berth.dev/rollout";

// The field manager and event source name.
inline constexpr std::string_view kControllerName = "berth-rollout-controller";

}  // namespace berth::rollout
