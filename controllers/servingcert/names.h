// The names the servingcert controller shares with users and deploy/: the Service annotation
// that asks for a certificate, and the labels and annotation that mark the Secrets it keeps.
#pragma once

#include <string_view>

namespace berth::servingcert {

// On a Service: the name of the Secret (same namespace) to keep a serving certificate in.
inline constexpr std::string_view kServingCertSecretAnnotation = "berth.dev/serving-cert-secret";

// On both Secrets the controller keeps: who manages them (a Secret without it that holds data
// is never overwritten) and the Service they belong to (two Services naming one Secret do not
// take turns replacing each other's certificate).
inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedBy = "berth-controller";
inline constexpr std::string_view kComponentLabel = "app.kubernetes.io/component";
inline constexpr std::string_view kServiceAnnotation = "berth.dev/serving-cert-service";

// The signing CA of each serving Secret lives in "<secret>-ca", which only berth-controller
// reads: pods mount the serving Secret whole, and must not receive the key that could sign
// certificates their clients trust.
inline constexpr std::string_view kCaSecretSuffix = "-ca";

// Event source and log name.
inline constexpr std::string_view kControllerName = "servingcert";

}  // namespace berth::servingcert
