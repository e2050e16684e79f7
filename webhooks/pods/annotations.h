// The annotations and labels berth-webhooks reads and writes (reference: webhooks/README.md).
#pragma once

#include <string_view>

namespace berth::webhooks {

// Namespace labels.
inline constexpr std::string_view kInjectionLabel = "berth.dev/injection";     // enabled|disabled
inline constexpr std::string_view kPolicyModeLabel = "berth.dev/policy-mode";  // enforce|warn

// Pod annotations set by users.
inline constexpr std::string_view kInjectAnnotation = "berth.dev/inject";  // "true"|"false"
inline constexpr std::string_view kLogSidecarAnnotation = "berth.dev/log-sidecar";  // "true"
inline constexpr std::string_view kLogPathsAnnotation = "berth.dev/log-paths";
inline constexpr std::string_view kLogConfigAnnotation = "berth.dev/log-config";
inline constexpr std::string_view kLogImageAnnotation = "berth.dev/log-sidecar-image";
inline constexpr std::string_view kLogCpuRequestAnnotation = "berth.dev/log-sidecar-cpu-request";
inline constexpr std::string_view kLogMemoryRequestAnnotation =
    "berth.dev/log-sidecar-memory-request";
inline constexpr std::string_view kLogCpuLimitAnnotation = "berth.dev/log-sidecar-cpu-limit";
inline constexpr std::string_view kLogMemoryLimitAnnotation = "berth.dev/log-sidecar-memory-limit";
inline constexpr std::string_view kMountSecretsAnnotation = "berth.dev/mount-secrets";

// Written by the mutating webhook: which features the pod carries ("log-sidecar,registry").
inline constexpr std::string_view kInjectedAnnotation = "berth.dev/injected";

// Feature names in kInjectedAnnotation.
inline constexpr std::string_view kFeatureLogSidecar = "log-sidecar";
inline constexpr std::string_view kFeatureSecrets = "secrets";
inline constexpr std::string_view kFeatureRegistry = "registry";

}  // namespace berth::webhooks
