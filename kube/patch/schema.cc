#include "kube/patch/schema.h"

#include <utility>

namespace kube::patch {
namespace {

constexpr FieldSchema field(std::string_view name, const TypeSchema* type, PatchStrategy strategy,
                            std::string_view merge_key = {},
                            ListType list_type = ListType::kFromPatchStrategy,
                            std::array<std::string_view, 2> list_keys = {},
                            std::array<std::string_view, 2> list_key_defaults = {}) {
  FieldSchema f;
  f.name = name;
  f.type = type;
  f.strategy = strategy;
  f.merge_key = merge_key;
  f.list_type = list_type;
  f.list_keys = list_keys;
  f.list_key_defaults = list_key_defaults;
  return f;
}
// A list merged by `key` (patchStrategy=merge, patchMergeKey=key).
constexpr FieldSchema keyed(std::string_view name, std::string_view key,
                            const TypeSchema* type = nullptr) {
  return field(name, type, PatchStrategy::kMerge, key);
}
// A list of scalars merged as a set (patchStrategy=merge without a key).
constexpr FieldSchema scalar_set(std::string_view name) {
  return field(name, nullptr, PatchStrategy::kMerge);
}
constexpr FieldSchema typed(std::string_view name, const TypeSchema* type) {
  return field(name, type, PatchStrategy::kDefault);
}
// A list server-side apply keys by two fields while strategic merge uses the first.
constexpr FieldSchema keyed2(std::string_view name, std::string_view key1, std::string_view key2,
                             std::string_view key2_default = {}) {
  return field(name, nullptr, PatchStrategy::kMerge, key1, ListType::kMap, {key1, key2},
               {std::string_view(), key2_default});
}

constexpr TypeSchema kAtomic{{}, true};

constexpr FieldSchema kObjectMetaFields[] = {
    scalar_set("finalizers"),
    keyed("ownerReferences", "uid", &kAtomic),
};
constexpr TypeSchema kObjectMeta{kObjectMetaFields};

constexpr FieldSchema kEnvVarSourceFields[] = {
    typed("configMapKeyRef", &kAtomic),
    typed("secretKeyRef", &kAtomic),
    typed("fieldRef", &kAtomic),
    typed("resourceFieldRef", &kAtomic),
};
constexpr TypeSchema kEnvVarSource{kEnvVarSourceFields};
constexpr FieldSchema kEnvVarFields[] = {typed("valueFrom", &kEnvVarSource)};
constexpr TypeSchema kEnvVar{kEnvVarFields};

constexpr FieldSchema kResourceRequirementsFields[] = {
    field("claims", nullptr, PatchStrategy::kDefault, {}, ListType::kMap, {"name", {}}),
};
constexpr TypeSchema kResourceRequirements{kResourceRequirementsFields};

constexpr FieldSchema kContainerFields[] = {
    keyed2("ports", "containerPort", "protocol", "TCP"),
    keyed("env", "name", &kEnvVar),
    keyed("volumeMounts", "mountPath"),
    keyed("volumeDevices", "devicePath"),
    typed("resources", &kResourceRequirements),
};
constexpr TypeSchema kContainer{kContainerFields};

constexpr FieldSchema kNodeAffinityFields[] = {
    typed("requiredDuringSchedulingIgnoredDuringExecution", &kAtomic),
};
constexpr TypeSchema kNodeAffinity{kNodeAffinityFields};
constexpr FieldSchema kAffinityFields[] = {typed("nodeAffinity", &kNodeAffinity)};
constexpr TypeSchema kAffinity{kAffinityFields};

constexpr FieldSchema kPodSpecFields[] = {
    keyed("volumes", "name"),  // patchStrategy "merge,retainKeys"
    keyed("initContainers", "name", &kContainer),
    keyed("containers", "name", &kContainer),
    keyed("ephemeralContainers", "name", &kContainer),
    keyed("imagePullSecrets", "name", &kAtomic),
    keyed("hostAliases", "ip"),
    keyed2("topologySpreadConstraints", "topologyKey", "whenUnsatisfiable"),
    keyed("schedulingGates", "name"),
    keyed("resourceClaims", "name"),
    typed("nodeSelector", &kAtomic),
    typed("affinity", &kAffinity),
};
constexpr TypeSchema kPodSpec{kPodSpecFields};

constexpr FieldSchema kPodTemplateSpecFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kPodSpec),
};
constexpr TypeSchema kPodTemplateSpec{kPodTemplateSpecFields};

constexpr FieldSchema kPodStatusFields[] = {
    keyed("conditions", "type"),
    keyed("podIPs", "ip"),
};
constexpr TypeSchema kPodStatus{kPodStatusFields};

constexpr FieldSchema kConditionsFields[] = {keyed("conditions", "type")};
constexpr TypeSchema kConditionsStatus{kConditionsFields};

// ---- Kinds -----------------------------------------------------------------------------------

constexpr FieldSchema kMetadataOnlyFields[] = {typed("metadata", &kObjectMeta)};
constexpr TypeSchema kMetadataOnly{kMetadataOnlyFields};

constexpr FieldSchema kWithConditionsFields[] = {
    typed("metadata", &kObjectMeta),
    typed("status", &kConditionsStatus),
};
constexpr TypeSchema kWithConditions{kWithConditionsFields};

constexpr FieldSchema kPodFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kPodSpec),
    typed("status", &kPodStatus),
};
constexpr TypeSchema kPod{kPodFields};

constexpr FieldSchema kPodTemplateFields[] = {
    typed("metadata", &kObjectMeta),
    typed("template", &kPodTemplateSpec),
};
constexpr TypeSchema kPodTemplate{kPodTemplateFields};

// Deployment, ReplicaSet, StatefulSet, DaemonSet: a label selector and a pod template.
constexpr FieldSchema kWorkloadSpecFields[] = {
    typed("selector", &kAtomic),
    typed("template", &kPodTemplateSpec),
    field("strategy", nullptr, PatchStrategy::kRetainKeys),
};
constexpr TypeSchema kWorkloadSpec{kWorkloadSpecFields};
constexpr FieldSchema kWorkloadFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kWorkloadSpec),
    typed("status", &kConditionsStatus),
};
constexpr TypeSchema kWorkload{kWorkloadFields};

constexpr FieldSchema kReplicationControllerSpecFields[] = {
    typed("selector", &kAtomic),
    typed("template", &kPodTemplateSpec),
};
constexpr TypeSchema kReplicationControllerSpec{kReplicationControllerSpecFields};
constexpr FieldSchema kReplicationControllerFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kReplicationControllerSpec),
    typed("status", &kConditionsStatus),
};
constexpr TypeSchema kReplicationController{kReplicationControllerFields};

constexpr FieldSchema kJobSpecFields[] = {
    typed("selector", &kAtomic),
    typed("template", &kPodTemplateSpec),
};
constexpr TypeSchema kJobSpec{kJobSpecFields};
// Job conditions merge by type in a strategic merge patch but are +listType=atomic.
constexpr FieldSchema kJobStatusFields[] = {
    field("conditions", nullptr, PatchStrategy::kMerge, "type", ListType::kAtomic),
};
constexpr TypeSchema kJobStatus{kJobStatusFields};
constexpr FieldSchema kJobFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kJobSpec),
    typed("status", &kJobStatus),
};
constexpr TypeSchema kJob{kJobFields};

constexpr FieldSchema kJobTemplateFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kJobSpec),
};
constexpr TypeSchema kJobTemplate{kJobTemplateFields};
constexpr FieldSchema kCronJobSpecFields[] = {typed("jobTemplate", &kJobTemplate)};
constexpr TypeSchema kCronJobSpec{kCronJobSpecFields};
constexpr FieldSchema kCronJobFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kCronJobSpec),
};
constexpr TypeSchema kCronJob{kCronJobFields};

constexpr FieldSchema kServiceSpecFields[] = {
    keyed2("ports", "port", "protocol", "TCP"),
    typed("selector", &kAtomic),
};
constexpr TypeSchema kServiceSpec{kServiceSpecFields};
constexpr FieldSchema kServiceFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kServiceSpec),
    typed("status", &kConditionsStatus),
};
constexpr TypeSchema kService{kServiceFields};

constexpr FieldSchema kNodeSpecFields[] = {scalar_set("podCIDRs")};
constexpr TypeSchema kNodeSpec{kNodeSpecFields};
constexpr FieldSchema kNodeStatusFields[] = {
    keyed("conditions", "type"),
    keyed("addresses", "type"),
};
constexpr TypeSchema kNodeStatus{kNodeStatusFields};
constexpr FieldSchema kNodeFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kNodeSpec),
    typed("status", &kNodeStatus),
};
constexpr TypeSchema kNode{kNodeFields};

constexpr FieldSchema kServiceAccountFields[] = {
    typed("metadata", &kObjectMeta),
    keyed("secrets", "name", &kAtomic),
};
constexpr TypeSchema kServiceAccount{kServiceAccountFields};

constexpr FieldSchema kWebhookConfigurationFields[] = {
    typed("metadata", &kObjectMeta),
    keyed("webhooks", "name"),
};
constexpr TypeSchema kWebhookConfiguration{kWebhookConfigurationFields};

constexpr FieldSchema kPodDisruptionBudgetSpecFields[] = {
    field("selector", &kAtomic, PatchStrategy::kReplace),
};
constexpr TypeSchema kPodDisruptionBudgetSpec{kPodDisruptionBudgetSpecFields};
constexpr FieldSchema kPodDisruptionBudgetFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kPodDisruptionBudgetSpec),
    typed("status", &kConditionsStatus),
};
constexpr TypeSchema kPodDisruptionBudget{kPodDisruptionBudgetFields};

constexpr FieldSchema kCSINodeSpecFields[] = {keyed("drivers", "name")};
constexpr TypeSchema kCSINodeSpec{kCSINodeSpecFields};
constexpr FieldSchema kCSINodeFields[] = {
    typed("metadata", &kObjectMeta),
    typed("spec", &kCSINodeSpec),
};
constexpr TypeSchema kCSINode{kCSINodeFields};

constexpr FieldSchema kComponentStatusFields[] = {
    typed("metadata", &kObjectMeta),
    keyed("conditions", "type"),
};
constexpr TypeSchema kComponentStatus{kComponentStatusFields};

constexpr FieldSchema kEventFields[] = {
    typed("metadata", &kObjectMeta),
    typed("involvedObject", &kAtomic),
    typed("related", &kAtomic),
    typed("regarding", &kAtomic),
};
constexpr TypeSchema kEvent{kEventFields};

constexpr FieldSchema kBindingFields[] = {
    typed("metadata", &kObjectMeta),
    typed("target", &kAtomic),
};
constexpr TypeSchema kBinding{kBindingFields};

constexpr std::pair<std::string_view, const TypeSchema*> kKinds[] = {
    {"APIService", &kWithConditions},
    {"Binding", &kBinding},
    {"CSIDriver", &kMetadataOnly},
    {"CSINode", &kCSINode},
    {"CSIStorageCapacity", &kMetadataOnly},
    {"CertificateSigningRequest", &kWithConditions},
    {"ClusterRole", &kMetadataOnly},
    {"ClusterRoleBinding", &kMetadataOnly},
    {"ComponentStatus", &kComponentStatus},
    {"ConfigMap", &kMetadataOnly},
    {"ControllerRevision", &kMetadataOnly},
    {"CronJob", &kCronJob},
    {"CustomResourceDefinition", &kMetadataOnly},
    {"DaemonSet", &kWorkload},
    {"Deployment", &kWorkload},
    {"EndpointSlice", &kMetadataOnly},
    {"Endpoints", &kMetadataOnly},
    {"Event", &kEvent},
    {"Eviction", &kMetadataOnly},
    {"FlowSchema", &kWithConditions},
    {"HorizontalPodAutoscaler", &kWithConditions},
    {"Ingress", &kMetadataOnly},
    {"IngressClass", &kMetadataOnly},
    {"Job", &kJob},
    {"Lease", &kMetadataOnly},
    {"LimitRange", &kMetadataOnly},
    {"MutatingWebhookConfiguration", &kWebhookConfiguration},
    {"Namespace", &kWithConditions},
    {"NetworkPolicy", &kWithConditions},
    {"Node", &kNode},
    {"PersistentVolume", &kMetadataOnly},
    {"PersistentVolumeClaim", &kWithConditions},
    {"Pod", &kPod},
    {"PodDisruptionBudget", &kPodDisruptionBudget},
    {"PodTemplate", &kPodTemplate},
    {"PriorityClass", &kMetadataOnly},
    {"PriorityLevelConfiguration", &kWithConditions},
    {"ReplicaSet", &kWorkload},
    {"ReplicationController", &kReplicationController},
    {"ResourceQuota", &kMetadataOnly},
    {"Role", &kMetadataOnly},
    {"RoleBinding", &kMetadataOnly},
    {"RuntimeClass", &kMetadataOnly},
    {"Scale", &kMetadataOnly},
    {"Secret", &kMetadataOnly},
    {"Service", &kService},
    {"ServiceAccount", &kServiceAccount},
    {"StatefulSet", &kWorkload},
    {"StorageClass", &kMetadataOnly},
    {"ValidatingWebhookConfiguration", &kWebhookConfiguration},
    {"VolumeAttachment", &kMetadataOnly},
};

// Non-omitempty fields and struct-valued fields of the Go types, per kind (Kubernetes 1.26).
// Entries with an apiVersion take precedence for that version.
struct ZeroObject {
  std::string_view kind;
  std::string_view json;
  std::string_view api_version = {};
};
constexpr ZeroObject kZeroObjects[] = {
    {"Event",
     R"({"metadata":{"creationTimestamp":null},"eventTime":null,"regarding":{},"deprecatedSource":{},"deprecatedFirstTimestamp":null,"deprecatedLastTimestamp":null})",
     "events.k8s.io/v1"},
    {"Pod", R"({"metadata":{"creationTimestamp":null},"spec":{"containers":null},"status":{}})"},
    {"Deployment",
     R"({"metadata":{"creationTimestamp":null},"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"strategy":{}},"status":{}})"},
    {"ReplicaSet",
     R"({"metadata":{"creationTimestamp":null},"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}}},"status":{"replicas":0}})"},
    {"StatefulSet",
     R"({"metadata":{"creationTimestamp":null},"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"serviceName":"","updateStrategy":{}},"status":{"replicas":0,"availableReplicas":0}})"},
    {"DaemonSet",
     R"({"metadata":{"creationTimestamp":null},"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"updateStrategy":{}},"status":{"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}})"},
    {"Job",
     R"({"metadata":{"creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}}},"status":{}})"},
    {"CronJob",
     R"({"metadata":{"creationTimestamp":null},"spec":{"schedule":"","jobTemplate":{"metadata":{"creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}}}}},"status":{}})"},
    {"ReplicationController",
     R"({"metadata":{"creationTimestamp":null},"spec":{},"status":{"replicas":0}})"},
    {"PodTemplate",
     R"({"metadata":{"creationTimestamp":null},"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}}})"},
    {"Service",
     R"({"metadata":{"creationTimestamp":null},"spec":{},"status":{"loadBalancer":{}}})"},
    {"Namespace", R"({"metadata":{"creationTimestamp":null},"spec":{},"status":{}})"},
    {"Node",
     R"({"metadata":{"creationTimestamp":null},"spec":{},"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},"nodeInfo":{"machineID":"","systemUUID":"","bootID":"","kernelVersion":"","osImage":"","containerRuntimeVersion":"","kubeletVersion":"","kubeProxyVersion":"","operatingSystem":"","architecture":""}}})"},
    {"PersistentVolumeClaim",
     R"({"metadata":{"creationTimestamp":null},"spec":{"resources":{}},"status":{}})"},
    {"PersistentVolume", R"({"metadata":{"creationTimestamp":null},"spec":{},"status":{}})"},
    {"Event",
     R"({"metadata":{"creationTimestamp":null},"involvedObject":{},"source":{},"firstTimestamp":null,"lastTimestamp":null,"eventTime":null,"reportingComponent":"","reportingInstance":""})"},
    {"Lease", R"({"metadata":{"creationTimestamp":null},"spec":{}})"},
    {"PodDisruptionBudget",
     R"({"metadata":{"creationTimestamp":null},"spec":{},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}})"},
    {"PriorityClass", R"({"metadata":{"creationTimestamp":null},"value":0})"},
    {"StorageClass", R"({"metadata":{"creationTimestamp":null},"provisioner":""})"},
    {"CustomResourceDefinition",
     R"({"metadata":{"creationTimestamp":null},"spec":{"group":"","names":{"plural":"","kind":""},"scope":"","versions":null},"status":{"conditions":null,"acceptedNames":{"plural":"","kind":""},"storedVersions":null}})"},
    {"EndpointSlice",
     R"({"metadata":{"creationTimestamp":null},"addressType":"","endpoints":null,"ports":null})"},
};
constexpr std::string_view kMetadataOnlyZero = R"({"metadata":{"creationTimestamp":null}})";

}  // namespace

std::string_view zero_object(std::string_view kind, std::string_view api_version) {
  for (const ZeroObject& z : kZeroObjects) {
    if (z.kind == kind && (z.api_version.empty() || z.api_version == api_version)) return z.json;
  }
  return schema_for_kind(kind) != nullptr ? kMetadataOnlyZero : "{}";
}

const TypeSchema* schema_for_kind(std::string_view kind) {
  for (const auto& [name, schema] : kKinds) {
    if (name == kind) return schema;
  }
  return nullptr;
}

const FieldSchema* find_field(const TypeSchema* type, std::string_view name) {
  if (type == nullptr) return nullptr;
  for (const FieldSchema& f : type->fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

ListIdentity list_identity(const FieldSchema* field) {
  ListIdentity id;
  if (field == nullptr) return id;
  ListType type = field->list_type;
  if (type == ListType::kFromPatchStrategy) {
    if (field->strategy != PatchStrategy::kMerge) {
      type = ListType::kAtomic;
    } else {
      type = field->merge_key.empty() ? ListType::kSet : ListType::kMap;
    }
  }
  id.type = type;
  if (type == ListType::kMap) {
    if (!field->list_keys[0].empty()) {
      id.keys = field->list_keys;
      id.key_defaults = field->list_key_defaults;
    } else {
      id.keys = {field->merge_key, {}};
    }
    id.key_count = id.keys[1].empty() ? 1 : 2;
  }
  return id;
}

}  // namespace kube::patch
