// ResourceType: how to address a kind over REST (group, version, plural, scope) - what client-go
// splits between GroupVersionResource and the RESTMapper. Built-in types Berth uses are
// constants below; custom resources are described the same way.
#pragma once

#include <string>
#include <string_view>

namespace kube {

struct ResourceType {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "pods"
  std::string kind;     // "Pod"
  bool namespaced = true;

  // "v1" or "apps/v1"
  std::string api_version() const;
  // "/api/v1" or "/apis/apps/v1"
  std::string group_version_path() const;
  // Collection or object path: /api/v1/namespaces/ns/pods[/name[/subresource]].
  // An empty namespace on a namespaced type addresses all namespaces (list/watch only).
  std::string path(std::string_view namespace_ = {}, std::string_view name = {},
                   std::string_view subresource = {}) const;

  friend bool operator==(const ResourceType&, const ResourceType&) = default;
};

namespace resources {
// core/v1
inline const ResourceType kNamespaces{"", "v1", "namespaces", "Namespace", false};
inline const ResourceType kNodes{"", "v1", "nodes", "Node", false};
inline const ResourceType kPods{"", "v1", "pods", "Pod", true};
inline const ResourceType kServices{"", "v1", "services", "Service", true};
inline const ResourceType kEndpoints{"", "v1", "endpoints", "Endpoints", true};
inline const ResourceType kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
inline const ResourceType kSecrets{"", "v1", "secrets", "Secret", true};
inline const ResourceType kServiceAccounts{"", "v1", "serviceaccounts", "ServiceAccount", true};
inline const ResourceType kEvents{"", "v1", "events", "Event", true};
inline const ResourceType kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims",
                                                  "PersistentVolumeClaim", true};
inline const ResourceType kPersistentVolumes{"", "v1", "persistentvolumes", "PersistentVolume",
                                             false};
// apps/v1
inline const ResourceType kDeployments{"apps", "v1", "deployments", "Deployment", true};
inline const ResourceType kReplicaSets{"apps", "v1", "replicasets", "ReplicaSet", true};
inline const ResourceType kStatefulSets{"apps", "v1", "statefulsets", "StatefulSet", true};
inline const ResourceType kDaemonSets{"apps", "v1", "daemonsets", "DaemonSet", true};
// others
inline const ResourceType kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
inline const ResourceType kEventsV1{"events.k8s.io", "v1", "events", "Event", true};
inline const ResourceType kStorageClasses{"storage.k8s.io", "v1", "storageclasses", "StorageClass",
                                          false};
inline const ResourceType kVolumeSnapshots{"snapshot.storage.k8s.io", "v1", "volumesnapshots",
                                           "VolumeSnapshot", true};
inline const ResourceType kCustomResourceDefinitions{
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
inline const ResourceType kMutatingWebhookConfigurations{"admissionregistration.k8s.io", "v1",
                                                         "mutatingwebhookconfigurations",
                                                         "MutatingWebhookConfiguration", false};
inline const ResourceType kValidatingWebhookConfigurations{"admissionregistration.k8s.io", "v1",
                                                           "validatingwebhookconfigurations",
                                                           "ValidatingWebhookConfiguration", false};
inline const ResourceType kPodDisruptionBudgets{"policy", "v1", "poddisruptionbudgets",
                                                "PodDisruptionBudget", true};
}  // namespace resources

}  // namespace kube
