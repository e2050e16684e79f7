#include "webhooks/pods/pod_validator.h"

#include <algorithm>

#include "webhooks/images/image_reference.h"
#include "webhooks/pods/annotations.h"
#include "webhooks/pods/pod_json.h"

namespace berth::webhooks {

namespace json = kube::json;

namespace {

// kube-apiserver passes warnings on as Warning headers; too many drown the useful ones.
constexpr std::size_t kMaxWarnings = 20;

class Checker {
 public:
  Checker(const json::Value& pod, const PolicyConfig& policy) : pod_(pod), policy_(policy) {}

  std::vector<Finding> run() {
    const json::Value* spec = pod_spec(pod_);
    if (spec == nullptr) return std::move(findings_);
    if (policy_.checks.host_namespaces) {
      for (std::string_view field : {"hostNetwork", "hostPID", "hostIPC"}) {
        if (json::get_bool(*spec, field)) {
          add("hostNamespaces", "spec." + std::string(field) +
                                    " is true; remove it (or set it to false) so the pod gets "
                                    "its own " +
                                    (field == "hostNetwork" ? "network"
                                     : field == "hostPID"   ? "process"
                                                            : "IPC") +
                                    " namespace");
        }
      }
    }
    if (policy_.checks.host_path) {
      if (const json::Value* volumes = json::find(*spec, "volumes");
          volumes != nullptr && volumes->IsArray()) {
        for (rapidjson::SizeType i = 0; i < volumes->Size(); ++i) {
          const json::Value& v = (*volumes)[i];
          if (v.IsObject() && json::find(v, "hostPath") != nullptr) {
            add("hostPath", "volume \"" + std::string(json::get_string(v, "name")) +
                                "\" (spec.volumes[" + std::to_string(i) +
                                "].hostPath) mounts a node directory; use a "
                                "PersistentVolumeClaim, emptyDir, configMap or secret volume");
          }
        }
      }
    }
    for (std::string_view list : kContainerLists) {
      const json::Value* containers = container_list(pod_, list);
      if (containers == nullptr) continue;
      for (rapidjson::SizeType i = 0; i < containers->Size(); ++i) {
        const json::Value& c = (*containers)[i];
        if (!c.IsObject()) continue;
        std::string field = "spec." + std::string(list) + "[" + std::to_string(i) + "]";
        check_container(c, list, field);
      }
    }
    return std::move(findings_);
  }

 private:
  void add(std::string check, std::string message, bool warn_only = false) {
    findings_.push_back({std::move(check), std::move(message), warn_only});
  }

  void check_container(const json::Value& c, std::string_view list, const std::string& field) {
    std::string who = "container \"" + std::string(json::get_string(c, "name")) + "\"";
    check_image(c, who, field);
    const json::Value* security = json::find(c, "securityContext");
    if (security != nullptr && !security->IsObject()) security = nullptr;
    if (policy_.checks.privileged && security != nullptr &&
        json::get_bool(*security, "privileged")) {
      add("privileged", who + ": " + field +
                            ".securityContext.privileged is true; remove it and grant only the "
                            "capabilities it needs (securityContext.capabilities.add)");
    }
    // Ephemeral (debug) containers take no resources.
    if (policy_.checks.resources && list != "ephemeralContainers") check_resources(c, who, field);
    if (policy_.checks.run_as_non_root) check_non_root(security, who, field);
  }

  void check_image(const json::Value& c, const std::string& who, const std::string& field) {
    std::string_view text = json::get_string(c, "image");
    auto ref = parse_image_reference(text);
    if (!ref.ok()) {
      add("image", who + ": " + ref.error().message + "; fix " + field + ".image");
      return;
    }
    std::string quoted = "image \"" + std::string(text) + "\"";
    if (!policy_.allowed_registries.empty() &&
        std::none_of(policy_.allowed_registries.begin(), policy_.allowed_registries.end(),
                     [&](const std::string& p) { return image_matches_prefix(*ref, p); })) {
      std::string allowed;
      for (const std::string& p : policy_.allowed_registries) {
        allowed += (allowed.empty() ? "" : ", ") + p;
      }
      add("image", who + ": " + quoted + " comes from " + ref->name() +
                       ", which is not an allowed registry; use an image from " + allowed);
    }
    if (policy_.forbid_latest && ref->digest.empty()) {
      std::string repo(text.substr(0, text.size() - (ref->tag.empty() ? 0 : ref->tag.size() + 1)));
      if (ref->tag == "latest") {
        add("latest", who + ": " + quoted + " uses the mutable :latest tag; set " + field +
                          ".image to a version tag (" + repo + ":<version>) or a digest (" + repo +
                          "@sha256:<digest>)");
      } else if (ref->tag.empty()) {
        add("latest", who + ": " + quoted + " has no tag, so it pulls :latest; set " + field +
                          ".image to a version tag (" + repo + ":<version>) or a digest (" + repo +
                          "@sha256:<digest>)");
      }
    }
    if (policy_.digest_pinning != DigestPinning::kOff && ref->digest.empty()) {
      add("digest",
          who + ": " + quoted + " is not pinned by digest; set " + field + ".image to " +
              std::string(text) + "@sha256:<digest>",
          policy_.digest_pinning == DigestPinning::kWarn);
    }
  }

  void check_resources(const json::Value& c, const std::string& who, const std::string& field) {
    const json::Value* resources = json::find(c, "resources");
    for (auto [kind, required] : {std::pair<std::string_view, const std::vector<std::string>*>{
                                      "requests", &policy_.required_requests},
                                  std::pair<std::string_view, const std::vector<std::string>*>{
                                      "limits", &policy_.required_limits}}) {
      const json::Value* values =
          resources != nullptr && resources->IsObject() ? json::find(*resources, kind) : nullptr;
      for (const std::string& r : *required) {
        if (values != nullptr && values->IsObject() && json::find(*values, r) != nullptr) continue;
        // A limit alone makes the apiserver default the request to it.
        if (kind == "requests" && resources != nullptr && resources->IsObject()) {
          const json::Value* limits = json::find(*resources, "limits");
          if (limits != nullptr && limits->IsObject() && json::find(*limits, r) != nullptr) {
            continue;
          }
        }
        std::string example = r == "cpu" ? "100m" : r == "memory" ? "128Mi" : "1Gi";
        add("resources", who + ": " + field + ".resources." + std::string(kind) + "." + r +
                             " is not set; set it (e.g. " + example + ")");
      }
    }
  }

  // Root unless runAsNonRoot is true or runAsUser is a non-zero uid, the container's settings
  // overriding the pod's.
  void check_non_root(const json::Value* security, const std::string& who,
                      const std::string& field) {
    const json::Value* pod_security = json::find_path(pod_, {"spec", "securityContext"});
    if (pod_security != nullptr && !pod_security->IsObject()) pod_security = nullptr;
    auto pick = [&](std::string_view key) -> const json::Value* {
      if (security != nullptr) {
        if (const json::Value* v = json::find(*security, key); v != nullptr && !v->IsNull()) {
          return v;
        }
      }
      return pod_security != nullptr ? json::find(*pod_security, key) : nullptr;
    };
    const json::Value* non_root = pick("runAsNonRoot");
    const json::Value* user = pick("runAsUser");
    bool user_root = user != nullptr && user->IsInt64() && user->GetInt64() == 0;
    bool user_non_root = user != nullptr && user->IsInt64() && user->GetInt64() > 0;
    if (user_root) {
      add("runAsNonRoot", who + ": runs as root (runAsUser: 0); set " + field +
                              ".securityContext.runAsUser to a non-zero uid and "
                              "runAsNonRoot: true");
    } else if (!(non_root != nullptr && non_root->IsBool() && non_root->GetBool()) &&
               !user_non_root) {
      add("runAsNonRoot", who +
                              ": may run as root; set spec.securityContext.runAsNonRoot: true "
                              "(or " +
                              field +
                              ".securityContext.runAsNonRoot: true), with a non-zero "
                              "runAsUser if the image's user is root");
    }
  }

  const json::Value& pod_;
  const PolicyConfig& policy_;
  std::vector<Finding> findings_;
};

}  // namespace

std::vector<Finding> check_pod(const json::Value& pod, const PolicyConfig& policy) {
  return Checker(pod, policy).run();
}

PodValidator::PodValidator(std::shared_ptr<const WebhooksConfig> config,
                           const NamespaceLookup& namespaces)
    : config_(std::move(config)), namespaces_(namespaces) {}

AdmissionResponse PodValidator::review(const AdmissionRequest& request) const {
  if (!request.sub_resource.empty()) return AdmissionResponse::allow();
  if (request.operation != Operation::kCreate && request.operation != Operation::kUpdate) {
    return AdmissionResponse::allow();
  }
  if (request.kind.kind != "Pod" || !request.kind.group.empty()) {
    return AdmissionResponse::deny(
        400, "BadRequest",
        "the pod validating webhook received a " +
            (request.kind.group.empty() ? "" : request.kind.group + "/") + request.kind.kind +
            "; its configuration must match pods only");
  }
  std::string_view ns = request.namespace_;
  if (ns.empty()) {
    if (const json::Value* metadata = json::find(*request.object, "metadata")) {
      ns = json::get_string(*metadata, "namespace");
    }
  }
  if (config_->excluded(ns)) return AdmissionResponse::allow();
  // A pod on its way out (finalizers being removed) is not judged again.
  if (request.operation == Operation::kUpdate &&
      json::find_path(*request.object, {"metadata", "deletionTimestamp"}) != nullptr) {
    return AdmissionResponse::allow();
  }

  AdmissionResponse response;
  PolicyMode mode = config_->policy.mode;
  if (kube::Object namespace_object = namespaces_.get(ns)) {
    if (auto label = namespace_object.label(kPolicyModeLabel)) {
      if (*label == "enforce") {
        mode = PolicyMode::kEnforce;
      } else if (*label == "warn") {
        mode = PolicyMode::kWarn;
      } else {
        response.warnings.push_back("berth: namespace label " + std::string(kPolicyModeLabel) +
                                    " must be enforce or warn, got \"" + std::string(*label) +
                                    "\"; using " + std::string(policy_mode_name(mode)));
      }
    }
  }

  std::vector<Finding> findings = check_pod(*request.object, config_->policy);
  if (request.operation == Operation::kUpdate && request.old_object != nullptr) {
    std::vector<Finding> before = check_pod(*request.old_object, config_->policy);
    for (Finding& f : findings) {
      if (std::any_of(before.begin(), before.end(),
                      [&](const Finding& b) { return b.message == f.message; })) {
        f.warn_only = true;
      }
    }
  }
  std::vector<const Finding*> violations;
  std::vector<std::string> warnings;
  for (const Finding& f : findings) {
    if (mode == PolicyMode::kEnforce && !f.warn_only) {
      violations.push_back(&f);
    } else {
      warnings.push_back("berth policy: " + f.message);
    }
  }
  if (warnings.size() > kMaxWarnings) {
    std::size_t hidden = warnings.size() - (kMaxWarnings - 1);
    warnings.resize(kMaxWarnings - 1);
    warnings.push_back("berth policy: " + std::to_string(hidden) + " more findings not shown");
  }
  for (std::string& w : warnings)
    response.warnings.push_back(std::move(w));
  if (violations.empty()) return response;

  std::string message = "pod " + pod_display_name(*request.object, request.name) +
                        " violates Berth policy (enforce mode in namespace " + std::string(ns) +
                        "): ";
  for (std::size_t i = 0; i < violations.size(); ++i) {
    message += (i == 0 ? "" : "; ") + ("(" + std::to_string(i + 1) + ") ") + violations[i]->message;
  }
  AdmissionResponse denial = AdmissionResponse::deny(403, "Forbidden", std::move(message));
  denial.warnings = std::move(response.warnings);
  return denial;
}

}  // namespace berth::webhooks
