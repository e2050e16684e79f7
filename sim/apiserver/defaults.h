// Scheme defaulting of built-in kinds: the values kube-apiserver v1.26 fills in when a field is
// absent (SetDefaults_*), as the fixtures in objects/ show. Each function edits an object of
// its kind in place; absent fields are added, present ones are left alone.
#pragma once

#include "kube/core/json.h"

namespace berth::sim::defaults {

using kube::json::Allocator;
using kube::json::Value;

// PodSpec and its containers, volumes and probes (what pod templates get too).
void pod_spec(Value& spec, Allocator& a);
// A Pod: pod_spec + the Pod-only defaults (enableServiceLinks, requests from limits).
void pod(Value& pod, Allocator& a);
// template.metadata.creationTimestamp: null and the template's pod_spec.
void pod_template(Value& template_, Allocator& a);

void deployment(Value& object, Allocator& a);
void replica_set(Value& object, Allocator& a);
void stateful_set(Value& object, Allocator& a);
void daemon_set(Value& object, Allocator& a);
void job(Value& object, Allocator& a);
void cron_job(Value& object, Allocator& a);
void replication_controller(Value& object, Allocator& a);

void service(Value& object, Allocator& a);
void secret(Value& object, Allocator& a);
void namespace_(Value& object, Allocator& a);
void persistent_volume(Value& object, Allocator& a);
void persistent_volume_claim(Value& object, Allocator& a);
void storage_class(Value& object, Allocator& a);
void webhook_configuration(Value& object, Allocator& a, bool mutating);
void priority_class(Value& object, Allocator& a);
void custom_resource_definition(Value& object, Allocator& a);
void core_event(Value& object, Allocator& a);
void network_policy(Value& object, Allocator& a);
void endpoint_slice(Value& object, Allocator& a);

// Go field order of a core/v1 ObjectReference (involvedObject, regarding).
void object_reference(Value& ref, Allocator& a);
// Go field order of an apiextensions JSONSchemaProps, recursively (properties sorted by name).
void json_schema_props(Value& schema, Allocator& a);

// Go struct field order for the structs whose keys defaulting and admission append.
void order_pod_spec(Value& spec, Allocator& a);
void order_pod_status(Value& status, Allocator& a);
void order_service_spec(Value& spec, Allocator& a);

// "IfNotPresent", or "Always" for an untagged or :latest image.
const char* image_pull_policy(std::string_view image);

}  // namespace berth::sim::defaults
