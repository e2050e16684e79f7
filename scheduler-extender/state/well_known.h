// Label and annotation names the extender reads. The berth.dev/ ones are Berth's public
// contract with pod authors and with Berth's volume controller; scheduler-extender/README.md
// documents each.
#pragma once

#include <string_view>

namespace berth::extender::well_known {

// Topology levels, most specific first.
inline constexpr std::string_view kHostnameLabel = "kubernetes.io/hostname";
inline constexpr std::string_view kRackLabel = "topology.berth.dev/rack";
inline constexpr std::string_view kZoneLabel = "topology.kubernetes.io/zone";
inline constexpr std::string_view kRegionLabel = "topology.kubernetes.io/region";
// Legacy spellings still found on older PersistentVolumes.
inline constexpr std::string_view kLegacyZoneLabel = "failure-domain.beta.kubernetes.io/zone";
inline constexpr std::string_view kLegacyRegionLabel = "failure-domain.beta.kubernetes.io/region";

// Pods.
inline constexpr std::string_view kWorkloadClassLabel = "berth.dev/workload-class";
inline constexpr std::string_view kPodGroupLabel = "berth.dev/pod-group";
inline constexpr std::string_view kMinMembersAnnotation = "berth.dev/min-members";
inline constexpr std::string_view kDeadlineAnnotation = "berth.dev/deadline";
inline constexpr std::string_view kDataLocalityAnnotation = "berth.dev/data-locality";
inline constexpr std::string_view kLatencyCriticalClass = "latency-critical";

// PersistentVolumeClaims: where the claim's data lives, published by Berth's volume controller.
inline constexpr std::string_view kDataLocationAnnotation = "berth.dev/data-location";

// Taint a cordoned node carries for the scheduler (the NodeUnschedulable plugin's check).
inline constexpr std::string_view kUnschedulableTaint = "node.kubernetes.io/unschedulable";

}  // namespace berth::extender::well_known
