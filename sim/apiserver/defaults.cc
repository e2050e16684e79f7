#include "sim/apiserver/defaults.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/strings.h"
#include "sim/apiserver/meta.h"

namespace berth::sim::defaults {

namespace json = kube::json;

namespace {

bool absent(const Value& object, std::string_view key) {
  const Value* v = json::find(object, key);
  return v == nullptr || v->IsNull();
}

void default_string(Value& object, std::string_view key, std::string_view value, Allocator& a) {
  if (absent(object, key)) json::set_string(object, key, value, a);
}

void default_int(Value& object, std::string_view key, std::int64_t value, Allocator& a) {
  if (absent(object, key)) json::set(object, key, Value(value), a);
}

void default_bool(Value& object, std::string_view key, bool value, Allocator& a) {
  if (absent(object, key)) json::set(object, key, Value(value), a);
}

Value* object_at(Value& object, std::string_view key) {
  Value* v = json::find(object, key);
  return (v != nullptr && v->IsObject()) ? v : nullptr;
}

Value* array_at(Value& object, std::string_view key) {
  Value* v = json::find(object, key);
  return (v != nullptr && v->IsArray()) ? v : nullptr;
}

void probe(Value& p, Allocator& a) {
  if (!p.IsObject()) return;
  default_int(p, "timeoutSeconds", 1, a);
  default_int(p, "periodSeconds", 10, a);
  default_int(p, "successThreshold", 1, a);
  default_int(p, "failureThreshold", 3, a);
  if (Value* http = object_at(p, "httpGet")) {
    default_string(*http, "path", "/", a);
    default_string(*http, "scheme", "HTTP", a);
  }
}

void field_ref(Value& holder, Allocator& a) {
  if (Value* ref = object_at(holder, "fieldRef")) default_string(*ref, "apiVersion", "v1", a);
}

void container(Value& c, Allocator& a) {
  if (!c.IsObject()) return;
  if (Value* ports = array_at(c, "ports")) {
    for (auto& port : ports->GetArray()) {
      if (port.IsObject()) default_string(port, "protocol", "TCP", a);
    }
  }
  if (Value* env = array_at(c, "env")) {
    for (auto& e : env->GetArray()) {
      if (Value* from = object_at(e, "valueFrom")) field_ref(*from, a);
    }
  }
  if (absent(c, "resources")) json::set(c, "resources", Value(rapidjson::kObjectType), a);
  default_string(c, "terminationMessagePath", "/dev/termination-log", a);
  default_string(c, "terminationMessagePolicy", "File", a);
  default_string(c, "imagePullPolicy", image_pull_policy(json::get_string(c, "image")), a);
  for (std::string_view p : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (Value* pr = object_at(c, p)) probe(*pr, a);
  }
}

void volume(Value& v, Allocator& a) {
  if (!v.IsObject()) return;
  for (std::string_view source : {"secret", "configMap", "projected", "downwardAPI"}) {
    if (Value* s = object_at(v, source)) default_int(*s, "defaultMode", 420, a);
  }
  if (Value* hp = object_at(v, "hostPath")) default_string(*hp, "type", "", a);
  if (Value* ed = json::find(v, "emptyDir"); ed != nullptr && ed->IsNull()) {
    *ed = Value(rapidjson::kObjectType);
  }
  if (Value* dapi = object_at(v, "downwardAPI")) {
    if (Value* items = array_at(*dapi, "items")) {
      for (auto& item : items->GetArray())
        field_ref(item, a);
    }
  }
  if (Value* projected = object_at(v, "projected")) {
    if (Value* sources = array_at(*projected, "sources")) {
      for (auto& s : sources->GetArray()) {
        if (Value* sat = object_at(s, "serviceAccountToken")) {
          default_int(*sat, "expirationSeconds", 3600, a);
        }
        if (Value* d = object_at(s, "downwardAPI")) {
          if (Value* items = array_at(*d, "items")) {
            for (auto& item : items->GetArray())
              field_ref(item, a);
          }
        }
      }
    }
  }
}

void rolling_percent(Value& ru, Allocator& a) {
  if (absent(ru, "maxUnavailable")) json::set_string(ru, "maxUnavailable", "25%", a);
  if (absent(ru, "maxSurge")) json::set_string(ru, "maxSurge", "25%", a);
}

// Go marshals maps with sorted keys.
void sort_keys_shallow(Value& map, Allocator& a) {
  std::vector<Value::Member*> members;
  for (auto& m : map.GetObject())
    members.push_back(&m);
  std::sort(members.begin(), members.end(), [](const Value::Member* x, const Value::Member* y) {
    return json::as_string(x->name) < json::as_string(y->name);
  });
  Value out(rapidjson::kObjectType);
  for (auto* m : members)
    out.AddMember(m->name, m->value, a);
  map = std::move(out);
}

void template_at(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  if (Value* t = object_at(*spec, "template")) pod_template(*t, a);
}

}  // namespace

const char* image_pull_policy(std::string_view image) {
  if (image.find('@') != std::string_view::npos) return "IfNotPresent";
  // The tag follows the last ':' after the last '/' (a registry port is not a tag).
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash)) {
    return "Always";
  }
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

void pod_spec(Value& spec, Allocator& a) {
  if (!spec.IsObject()) return;
  if (Value* volumes = array_at(spec, "volumes")) {
    for (auto& v : volumes->GetArray())
      volume(v, a);
  }
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    if (Value* cs = array_at(spec, list)) {
      for (auto& c : cs->GetArray())
        container(c, a);
    }
  }
  default_string(spec, "restartPolicy", "Always", a);
  default_int(spec, "terminationGracePeriodSeconds", 30, a);
  default_string(spec, "dnsPolicy", "ClusterFirst", a);
  if (absent(spec, "securityContext")) {
    json::set(spec, "securityContext", Value(rapidjson::kObjectType), a);
  }
  default_string(spec, "schedulerName", "default-scheduler", a);
  order_pod_spec(spec, a);
}

void order_pod_spec(Value& spec, Allocator& a) {
  if (!spec.IsObject()) return;
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    Value* cs = array_at(spec, list);
    if (cs == nullptr) continue;
    for (auto& c : cs->GetArray()) {
      order_keys(c,
                 {"name",
                  "image",
                  "command",
                  "args",
                  "workingDir",
                  "ports",
                  "envFrom",
                  "env",
                  "resources",
                  "volumeMounts",
                  "volumeDevices",
                  "livenessProbe",
                  "readinessProbe",
                  "startupProbe",
                  "lifecycle",
                  "terminationMessagePath",
                  "terminationMessagePolicy",
                  "imagePullPolicy",
                  "securityContext",
                  "stdin",
                  "stdinOnce",
                  "tty"},
                 a);
    }
  }
  order_keys(spec,
             {"volumes",
              "initContainers",
              "containers",
              "ephemeralContainers",
              "restartPolicy",
              "terminationGracePeriodSeconds",
              "activeDeadlineSeconds",
              "dnsPolicy",
              "nodeSelector",
              "serviceAccountName",
              "serviceAccount",
              "automountServiceAccountToken",
              "nodeName",
              "hostNetwork",
              "hostPID",
              "hostIPC",
              "shareProcessNamespace",
              "securityContext",
              "imagePullSecrets",
              "hostname",
              "subdomain",
              "affinity",
              "schedulerName",
              "tolerations",
              "hostAliases",
              "priorityClassName",
              "priority",
              "dnsConfig",
              "readinessGates",
              "runtimeClassName",
              "enableServiceLinks",
              "preemptionPolicy",
              "overhead",
              "topologySpreadConstraints",
              "setHostnameAsFQDN",
              "os",
              "hostUsers",
              "schedulingGates",
              "resourceClaims"},
             a);
}

void order_pod_status(Value& status, Allocator& a) {
  order_keys(status,
             {"phase", "conditions", "message", "reason", "nominatedNodeName", "hostIP", "podIP",
              "podIPs", "startTime", "initContainerStatuses", "containerStatuses", "qosClass",
              "ephemeralContainerStatuses"},
             a);
}

void order_service_spec(Value& spec, Allocator& a) {
  order_keys(spec,
             {"ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs",
              "sessionAffinity", "loadBalancerIP", "loadBalancerSourceRanges", "externalName",
              "externalTrafficPolicy", "healthCheckNodePort", "publishNotReadyAddresses",
              "sessionAffinityConfig", "ipFamilies", "ipFamilyPolicy",
              "allocateLoadBalancerNodePorts", "loadBalancerClass", "internalTrafficPolicy"},
             a);
}

void pod(Value& pod, Allocator& a) {
  Value* spec = object_at(pod, "spec");
  if (spec == nullptr) return;
  pod_spec(*spec, a);
  default_bool(*spec, "enableServiceLinks", true, a);
  // Requests default to limits for each resource only limited.
  for (std::string_view list : {"initContainers", "containers"}) {
    Value* cs = array_at(*spec, list);
    if (cs == nullptr) continue;
    for (auto& c : cs->GetArray()) {
      Value* res = object_at(c, "resources");
      if (res == nullptr) continue;
      Value* limits = object_at(*res, "limits");
      if (limits == nullptr || limits->MemberCount() == 0) continue;
      Value& requests = json::ensure_object(*res, "requests", a);
      for (auto& m : limits->GetObject()) {
        std::string_view name = json::as_string(m.name);
        if (json::find(requests, name) == nullptr) {
          json::set(requests, name, Value(m.value, a), a);
        }
      }
    }
  }
}

void pod_template(Value& t, Allocator& a) {
  if (!t.IsObject()) return;
  Value& meta = json::ensure_object(t, "metadata", a);
  if (json::find(meta, "creationTimestamp") == nullptr) {
    json::set(meta, "creationTimestamp", Value(rapidjson::kNullType), a);
  }
  order_object_meta(meta, a);
  if (Value* spec = object_at(t, "spec")) pod_spec(*spec, a);
  order_keys(t, {"metadata", "spec"}, a);
}

void deployment(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_int(*spec, "replicas", 1, a);
  Value& strategy = json::ensure_object(*spec, "strategy", a);
  default_string(strategy, "type", "RollingUpdate", a);
  if (json::get_string(strategy, "type") == "RollingUpdate") {
    rolling_percent(json::ensure_object(strategy, "rollingUpdate", a), a);
  }
  order_keys(strategy, {"type", "rollingUpdate"}, a);
  if (Value* ru = object_at(strategy, "rollingUpdate")) {
    order_keys(*ru, {"maxUnavailable", "maxSurge"}, a);
  }
  default_int(*spec, "revisionHistoryLimit", 10, a);
  default_int(*spec, "progressDeadlineSeconds", 600, a);
  template_at(object, a);
  order_keys(*spec,
             {"replicas", "selector", "template", "strategy", "minReadySeconds",
              "revisionHistoryLimit", "paused", "progressDeadlineSeconds"},
             a);
}

void replica_set(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_int(*spec, "replicas", 1, a);
  template_at(object, a);
  order_keys(*spec, {"replicas", "minReadySeconds", "selector", "template"}, a);
}

void replication_controller(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_int(*spec, "replicas", 1, a);
  template_at(object, a);
}

void stateful_set(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_int(*spec, "replicas", 1, a);
  default_string(*spec, "podManagementPolicy", "OrderedReady", a);
  Value& us = json::ensure_object(*spec, "updateStrategy", a);
  default_string(us, "type", "RollingUpdate", a);
  if (json::get_string(us, "type") == "RollingUpdate") {
    default_int(json::ensure_object(us, "rollingUpdate", a), "partition", 0, a);
  }
  default_int(*spec, "revisionHistoryLimit", 10, a);
  Value& retention = json::ensure_object(*spec, "persistentVolumeClaimRetentionPolicy", a);
  default_string(retention, "whenDeleted", "Retain", a);
  default_string(retention, "whenScaled", "Retain", a);
  template_at(object, a);
}

void daemon_set(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  Value& us = json::ensure_object(*spec, "updateStrategy", a);
  default_string(us, "type", "RollingUpdate", a);
  if (json::get_string(us, "type") == "RollingUpdate") {
    Value& ru = json::ensure_object(us, "rollingUpdate", a);
    default_int(ru, "maxUnavailable", 1, a);
    default_int(ru, "maxSurge", 0, a);
  }
  default_int(*spec, "revisionHistoryLimit", 10, a);
  template_at(object, a);
}

void job(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_int(*spec, "parallelism", 1, a);
  default_int(*spec, "completions", 1, a);
  default_int(*spec, "backoffLimit", 6, a);
  default_string(*spec, "completionMode", "NonIndexed", a);
  default_bool(*spec, "suspend", false, a);
  template_at(object, a);
}

void cron_job(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_string(*spec, "concurrencyPolicy", "Allow", a);
  default_bool(*spec, "suspend", false, a);
  default_int(*spec, "successfulJobsHistoryLimit", 3, a);
  default_int(*spec, "failedJobsHistoryLimit", 1, a);
  if (Value* jt = object_at(*spec, "jobTemplate")) {
    Value& meta = json::ensure_object(*jt, "metadata", a);
    if (json::find(meta, "creationTimestamp") == nullptr) {
      json::set(meta, "creationTimestamp", Value(rapidjson::kNullType), a);
    }
    job(*jt, a);
  }
}

void service(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_string(*spec, "type", "ClusterIP", a);
  std::string type(json::get_string(*spec, "type"));
  if (type != "ExternalName") {
    default_string(*spec, "sessionAffinity", "None", a);
    default_string(*spec, "internalTrafficPolicy", "Cluster", a);
  }
  if (type == "NodePort" || type == "LoadBalancer") {
    default_string(*spec, "externalTrafficPolicy", "Cluster", a);
  }
  if (Value* ports = array_at(*spec, "ports")) {
    for (auto& p : ports->GetArray()) {
      if (!p.IsObject()) continue;
      default_string(p, "protocol", "TCP", a);
      if (absent(p, "targetPort")) {
        if (const Value* port = json::find(p, "port"))
          json::set(p, "targetPort", Value(*port, a), a);
      }
      order_keys(p, {"name", "protocol", "appProtocol", "port", "targetPort", "nodePort"}, a);
    }
  }
}

void secret(Value& object, Allocator& a) {
  if (Value* sd = object_at(object, "stringData")) {
    Value& data = json::ensure_object(object, "data", a);
    for (auto& m : sd->GetObject()) {
      if (!m.value.IsString()) continue;
      json::set_string(data, json::as_string(m.name), kube::base64_encode(json::as_string(m.value)),
                       a);
    }
    // Keys in data follow Go's map order: sorted.
    sort_keys(data, a);
  }
  json::remove(object, "stringData");
  default_string(object, "type", "Opaque", a);
}

void namespace_(Value& object, Allocator& a) {
  Value& meta = json::ensure_object(object, "metadata", a);
  std::string name(json::get_string(meta, "name"));
  if (!name.empty()) {
    Value& labels = json::ensure_object(meta, "labels", a);
    json::set_string(labels, "kubernetes.io/metadata.name", name, a);
    sort_keys(labels, a);
  }
}

void persistent_volume(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_string(*spec, "persistentVolumeReclaimPolicy", "Retain", a);
  default_string(*spec, "volumeMode", "Filesystem", a);
  if (Value* hp = object_at(*spec, "hostPath")) default_string(*hp, "type", "", a);
  // capacity, then the inlined volume source (hostPath, csi, ...), then the rest in Go order.
  order_keys(*spec, {"capacity"}, a);
  for (std::string_view key : {"accessModes", "claimRef", "persistentVolumeReclaimPolicy",
                               "storageClassName", "mountOptions", "volumeMode", "nodeAffinity"}) {
    if (Value* v = json::find(*spec, key)) {
      Value moved = std::move(*v);
      json::remove(*spec, key);
      spec->AddMember(json::make_string(key, a), std::move(moved), a);
    }
  }
}

void persistent_volume_claim(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  default_string(*spec, "volumeMode", "Filesystem", a);
  order_keys(*spec,
             {"accessModes", "selector", "resources", "volumeName", "storageClassName",
              "volumeMode", "dataSource", "dataSourceRef"},
             a);
}

void object_reference(Value& ref, Allocator& a) {
  order_keys(ref,
             {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}, a);
}

void json_schema_props(Value& schema, Allocator& a) {
  if (!schema.IsObject()) return;
  for (std::string_view nested : {"properties", "patternProperties", "definitions"}) {
    if (Value* map = object_at(schema, nested)) {
      sort_keys_shallow(*map, a);
      for (auto& m : map->GetObject())
        json_schema_props(m.value, a);
    }
  }
  for (std::string_view child : {"items", "additionalProperties", "not", "additionalItems"}) {
    if (Value* c = object_at(schema, child)) json_schema_props(*c, a);
  }
  for (std::string_view list : {"allOf", "oneOf", "anyOf"}) {
    if (Value* l = array_at(schema, list)) {
      for (auto& c : l->GetArray())
        json_schema_props(c, a);
    }
  }
  order_keys(schema,
             {"id",
              "$schema",
              "$ref",
              "description",
              "type",
              "format",
              "title",
              "default",
              "maximum",
              "exclusiveMaximum",
              "minimum",
              "exclusiveMinimum",
              "maxLength",
              "minLength",
              "pattern",
              "maxItems",
              "minItems",
              "uniqueItems",
              "multipleOf",
              "enum",
              "maxProperties",
              "minProperties",
              "required",
              "items",
              "allOf",
              "oneOf",
              "anyOf",
              "not",
              "properties",
              "additionalProperties",
              "patternProperties",
              "dependencies",
              "additionalItems",
              "definitions",
              "externalDocs",
              "example",
              "nullable",
              "x-kubernetes-preserve-unknown-fields",
              "x-kubernetes-embedded-resource",
              "x-kubernetes-int-or-string",
              "x-kubernetes-list-map-keys",
              "x-kubernetes-list-type",
              "x-kubernetes-map-type",
              "x-kubernetes-validations"},
             a);
}

void storage_class(Value& object, Allocator& a) {
  default_string(object, "reclaimPolicy", "Delete", a);
  default_string(object, "volumeBindingMode", "Immediate", a);
}

void webhook_configuration(Value& object, Allocator& a, bool mutating) {
  Value* hooks = array_at(object, "webhooks");
  if (hooks == nullptr) return;
  for (auto& h : hooks->GetArray()) {
    if (!h.IsObject()) continue;
    if (Value* cc = object_at(h, "clientConfig")) {
      if (Value* svc = object_at(*cc, "service")) default_int(*svc, "port", 443, a);
    }
    if (Value* rules = array_at(h, "rules")) {
      for (auto& r : rules->GetArray()) {
        if (!r.IsObject()) continue;
        default_string(r, "scope", "*", a);
        order_keys(r, {"operations", "apiGroups", "apiVersions", "resources", "scope"}, a);
      }
    }
    default_string(h, "failurePolicy", "Fail", a);
    default_string(h, "matchPolicy", "Equivalent", a);
    if (absent(h, "namespaceSelector")) {
      json::set(h, "namespaceSelector", Value(rapidjson::kObjectType), a);
    }
    if (absent(h, "objectSelector")) {
      json::set(h, "objectSelector", Value(rapidjson::kObjectType), a);
    }
    default_int(h, "timeoutSeconds", 10, a);
    if (mutating) default_string(h, "reinvocationPolicy", "Never", a);
    order_keys(h,
               {"name", "clientConfig", "rules", "failurePolicy", "matchPolicy",
                "namespaceSelector", "objectSelector", "sideEffects", "timeoutSeconds",
                "admissionReviewVersions", "reinvocationPolicy", "matchConditions"},
               a);
  }
}

void priority_class(Value& object, Allocator& a) {
  default_string(object, "preemptionPolicy", "PreemptLowerPriority", a);
}

void custom_resource_definition(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  if (Value* names = object_at(*spec, "names")) {
    std::string kind(json::get_string(*names, "kind"));
    if (!kind.empty()) default_string(*names, "listKind", kind + "List", a);
    if (absent(*names, "singular")) {
      std::string lower;
      for (char c : kind)
        lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      json::set_string(*names, "singular", lower, a);
    }
    order_keys(*names, {"plural", "singular", "shortNames", "kind", "listKind", "categories"}, a);
  }
  Value& conversion = json::ensure_object(*spec, "conversion", a);
  default_string(conversion, "strategy", "None", a);
  order_keys(*spec, {"group", "names", "scope", "versions", "conversion", "preserveUnknownFields"},
             a);
  if (Value* versions = array_at(*spec, "versions")) {
    for (auto& v : versions->GetArray()) {
      if (!v.IsObject()) continue;
      if (Value* schema = object_at(v, "schema")) {
        if (Value* s = object_at(*schema, "openAPIV3Schema")) json_schema_props(*s, a);
      }
      order_keys(v,
                 {"name", "served", "storage", "deprecated", "deprecationWarning", "schema",
                  "subresources", "additionalPrinterColumns"},
                 a);
    }
  }
}

void core_event(Value& object, Allocator& a) {
  if (Value* ref = object_at(object, "involvedObject")) object_reference(*ref, a);
  if (Value* ref = object_at(object, "related")) object_reference(*ref, a);
  if (absent(object, "eventTime")) json::set(object, "eventTime", Value(rapidjson::kNullType), a);
  if (json::find(object, "firstTimestamp") == nullptr) {
    json::set(object, "firstTimestamp", Value(rapidjson::kNullType), a);
  }
  if (json::find(object, "lastTimestamp") == nullptr) {
    json::set(object, "lastTimestamp", Value(rapidjson::kNullType), a);
  }
  if (json::find(object, "source") == nullptr) {
    json::set(object, "source", Value(rapidjson::kObjectType), a);
  }
  default_string(object, "reportingComponent", "", a);
  default_string(object, "reportingInstance", "", a);
  order_keys(object,
             {"kind", "apiVersion", "metadata", "involvedObject", "reason", "message", "source",
              "firstTimestamp", "lastTimestamp", "count", "type", "eventTime", "series", "action",
              "related", "reportingComponent", "reportingInstance"},
             a);
}

void network_policy(Value& object, Allocator& a) {
  Value* spec = object_at(object, "spec");
  if (spec == nullptr) return;
  if (absent(*spec, "policyTypes")) {
    Value types(rapidjson::kArrayType);
    types.PushBack(json::make_string("Ingress", a), a);
    if (json::find(*spec, "egress") != nullptr) types.PushBack(json::make_string("Egress", a), a);
    json::set(*spec, "policyTypes", std::move(types), a);
  }
}

void endpoint_slice(Value& object, Allocator& a) {
  if (Value* ports = array_at(object, "ports")) {
    for (auto& p : ports->GetArray()) {
      if (p.IsObject()) default_string(p, "protocol", "TCP", a);
    }
  }
}

}  // namespace berth::sim::defaults
