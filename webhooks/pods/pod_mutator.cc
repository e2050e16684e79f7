#include "webhooks/pods/pod_mutator.h"

#include "kube/core/strings.h"
#include "webhooks/admission/json_patch.h"
#include "webhooks/pods/annotations.h"
#include "webhooks/pods/pod_json.h"

namespace berth::webhooks {

namespace json = kube::json;

namespace {

std::string_view request_namespace(const AdmissionRequest& request) {
  if (!request.namespace_.empty()) return request.namespace_;
  const json::Value* metadata = json::find(*request.object, "metadata");
  return metadata != nullptr ? json::get_string(*metadata, "namespace") : std::string_view();
}

}  // namespace

PodMutator::PodMutator(std::shared_ptr<const WebhooksConfig> config,
                       const NamespaceLookup& namespaces)
    : config_(std::move(config)),
      namespaces_(namespaces),
      log_sidecar_(config_->log_sidecar),
      secrets_(config_->secrets, config_->log_sidecar.container_name),
      registry_(config_->registry) {}

PodMutator::Decision PodMutator::decide(const json::Value& pod, std::string_view namespace_) const {
  if (config_->excluded(namespace_)) return {false, "namespace excluded"};
  Decision d;
  auto inject = pod_annotation(pod, kInjectAnnotation);
  if (inject && *inject != "true" && *inject != "false") {
    d.warning = "berth: annotation " + std::string(kInjectAnnotation) +
                " must be \"true\" or \"false\", got \"" + std::string(*inject) + "\"; ignored";
    inject.reset();
  }
  if (inject == "false") return {false, "pod opted out", d.warning};
  if (kube::Object ns = namespaces_.get(namespace_)) {
    auto injection = ns.label(kInjectionLabel);
    if (injection == "disabled") return {false, "namespace opted out", d.warning};
    if (injection == "enabled") return {true, "namespace opted in", d.warning};
  }
  if (inject == "true") return {true, "pod opted in", d.warning};
  if (pod_annotation(pod, kLogSidecarAnnotation) == "true" ||
      pod_annotation(pod, kMountSecretsAnnotation)) {
    return {true, "pod requests a feature", d.warning};
  }
  return {false, "not opted in", d.warning};
}

AdmissionResponse PodMutator::review(const AdmissionRequest& request) const {
  if (!request.sub_resource.empty()) return AdmissionResponse::allow();
  if (request.operation != Operation::kCreate && request.operation != Operation::kUpdate) {
    return AdmissionResponse::allow();
  }
  if (request.kind.kind != "Pod" || !request.kind.group.empty()) {
    return AdmissionResponse::deny(
        400, "BadRequest",
        "the pod mutating webhook received a " +
            (request.kind.group.empty() ? "" : request.kind.group + "/") + request.kind.kind +
            "; its configuration must match pods only");
  }
  const json::Value& original = *request.object;
  std::string_view ns = request_namespace(request);
  if (config_->excluded(ns)) return AdmissionResponse::allow();
  const json::Value* containers = container_list(original, "containers");
  if (containers == nullptr) {
    return AdmissionResponse::deny(400, "BadRequest", "pod has no spec.containers list");
  }

  Decision decision = decide(original, ns);
  if (decision.inject && has_duplicate_members(original)) {
    return AdmissionResponse::deny(400, "BadRequest",
                                   "pod has an object with a repeated member name; kube-apiserver "
                                   "never sends one, so this review was not produced by it");
  }
  AdmissionResponse response;
  if (!decision.warning.empty()) response.warnings.push_back(decision.warning);
  if (!decision.inject) return response;

  json::Document pod = json::copy(original);
  PodMutation m{pod, original, request.old_object, request.operation, ns};
  for (const PodInjector* injector :
       {static_cast<const PodInjector*>(&log_sidecar_), static_cast<const PodInjector*>(&secrets_),
        static_cast<const PodInjector*>(&registry_)}) {
    auto status = injector->apply(m);
    if (!status.ok()) {
      return AdmissionResponse::deny(
          status.error().code != 0 ? status.error().code : 400,
          std::string(kube::reason_name(status.error().reason)),
          "pod " + pod_display_name(original, request.name) + ": " + status.error().message);
    }
  }
  if (!m.features.empty()) {
    std::set<std::string, std::less<>> marker = m.features;
    if (auto existing = pod_annotation(original, kInjectedAnnotation)) {
      for (std::string& f : split_list(*existing))
        marker.insert(std::move(f));
    }
    std::string value;
    for (const std::string& f : marker)
      value += (value.empty() ? "" : ",") + f;
    auto& a = pod.GetAllocator();
    json::Value& annotations =
        json::ensure_object(json::ensure_object(pod, "metadata", a), "annotations", a);
    json::set_string(annotations, kInjectedAnnotation, value, a);
  }
  json::Document patch = minimal_json_patch(original, pod);
  if (!patch.Empty()) response.patch = json::dump(patch);
  for (std::string& w : m.warnings)
    response.warnings.push_back(std::move(w));
  return response;
}

}  // namespace berth::webhooks
