#include "webhooks/pods/registry_rewrite.h"

#include "webhooks/pods/annotations.h"
#include "webhooks/pods/pod_json.h"

namespace berth::webhooks {

namespace json = kube::json;

std::optional<std::string> mirrored_image(const ImageReference& image,
                                          const RegistryPolicy& policy) {
  auto it = policy.mirrors.find(image.registry);
  if (it == policy.mirrors.end()) return std::nullopt;
  ImageReference out = image;
  out.registry = it->second.host;
  out.repository =
      it->second.prefix.empty() ? image.repository : it->second.prefix + "/" + image.repository;
  return out.to_string();
}

namespace {

bool on_mirror(const ImageReference& image, const RegistryPolicy& policy) {
  for (const auto& [source, mirror] : policy.mirrors) {
    if (image.registry == mirror.host &&
        (mirror.prefix.empty() || image.repository.starts_with(mirror.prefix + "/"))) {
      return true;
    }
  }
  return false;
}

}  // namespace

kube::Status RegistryRewriter::apply(PodMutation& m) const {
  const RegistryPolicy& policy = config_.for_namespace(m.namespace_);
  if (policy.empty()) return kube::ok_status();
  bool uses_mirror = false;
  auto& a = m.pod.GetAllocator();
  for (std::string_view list :
       {std::string_view("initContainers"), std::string_view("containers")}) {
    json::Value* containers = container_list(m.pod, list);
    if (containers == nullptr) continue;
    for (auto& c : containers->GetArray()) {
      if (!c.IsObject()) continue;
      json::Value* image = json::find(c, "image");
      if (image == nullptr || !image->IsString()) continue;
      std::string_view text = json::as_string(*image);
      if (m.operation == Operation::kUpdate && m.old_pod != nullptr) {
        const json::Value* old = find_container(*m.old_pod, list, json::get_string(c, "name"));
        if (old == nullptr || json::get_string(*old, "image") == text) continue;
      }
      auto ref = parse_image_reference(text);
      if (!ref.ok()) continue;
      if (on_mirror(*ref, policy)) {
        uses_mirror = true;
        continue;
      }
      auto mirrored = mirrored_image(*ref, policy);
      if (!mirrored) continue;
      if (auto check = parse_image_reference(*mirrored); !check.ok()) {
        m.warnings.push_back("berth: image \"" + std::string(text) +
                             "\" is not rewritten to its mirror: " + check.error().message);
        continue;
      }
      *image = json::make_string(*mirrored, a);
      uses_mirror = true;
    }
  }
  if (!uses_mirror) return kube::ok_status();
  if (m.operation == Operation::kCreate && !policy.pull_secrets.empty()) {
    json::Value& spec = json::ensure_object(m.pod, "spec", a);
    json::Value& secrets = json::ensure_array(spec, "imagePullSecrets", a);
    for (const std::string& name : policy.pull_secrets) {
      bool present = false;
      for (const auto& s : secrets.GetArray()) {
        present = present || (s.IsObject() && json::get_string(s, "name") == name);
      }
      if (present) continue;
      json::Value entry(rapidjson::kObjectType);
      json::set_string(entry, "name", name, a);
      secrets.PushBack(std::move(entry), a);
    }
  }
  m.features.emplace(kFeatureRegistry);
  return kube::ok_status();
}

}  // namespace berth::webhooks
