// The domain logic of the ConfigMap hash sample, with no I/O: which ConfigMap a Deployment
// follows, the hash of a ConfigMap's content, and the patch that rolls the Deployment when the
// hash in its pod template is out of date. (The reconciler in reconciler.h does the I/O.)
//
// A Deployment opts in with the annotation
//   berth.dev/config-map: <name of a ConfigMap in the same namespace>
// and the controller keeps
//   spec.template.metadata.annotations["berth.dev/config-hash"]
// equal to the hash of that ConfigMap's data. Changing the template makes the Deployment
// controller roll out new pods, which read the new configuration.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"

namespace berth::samples {

inline constexpr std::string_view kConfigMapAnnotation = "berth.dev/config-map";
inline constexpr std::string_view kHashAnnotation = "berth.dev/config-hash";
// Index of Deployments by the "namespace/name" of the ConfigMap they follow.
inline constexpr std::string_view kByConfigMapIndex = "berth.dev/config-map";

// The ConfigMap a Deployment follows, if it opted in (an empty value does not count).
std::optional<std::string> followed_config_map(const kube::Object& deployment);

// Index function for kByConfigMapIndex.
std::vector<std::string> config_map_key(const kube::Object& deployment);

// 16 hex digits of SHA-256 over `data` and `binaryData`, keys in sorted order, each entry
// length-prefixed so that no two different contents hash alike by concatenation.
std::string config_hash(const kube::Object& config_map);

// The hash the Deployment's pod template carries now ("" when none).
std::string_view template_hash(const kube::Object& deployment);

// A JSON merge patch setting the template's hash annotation to `hash`; nullopt when it is
// already set to it.
std::optional<std::string> hash_patch(const kube::Object& deployment, std::string_view hash);

}  // namespace berth::samples
