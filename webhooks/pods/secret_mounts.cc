#include "webhooks/pods/secret_mounts.h"

#include <cstdio>

#include "kube/core/strings.h"
#include "webhooks/config/names.h"
#include "webhooks/pods/annotations.h"
#include "webhooks/pods/pod_json.h"

namespace berth::webhooks {

namespace json = kube::json;

std::string secret_volume_name(std::string_view secret) {
  constexpr std::string_view kPrefix = "berth-secret-";
  std::string plain = std::string(kPrefix) + std::string(secret);
  if (dns_label_error(plain).empty()) return plain;
  // Dots (legal in Secret names, not in volume names) or too long: keep a readable part and
  // make it unique with a hash of the whole name.
  char hash[9];
  std::snprintf(hash, sizeof(hash), "%08llx", kube::fnv1a64(secret) & 0xffffffffULL);
  std::string readable;
  for (char c : secret) {
    if (readable.size() >= 63 - kPrefix.size() - 9) break;
    readable += c == '.' ? '-' : c;
  }
  while (!readable.empty() && readable.back() == '-')
    readable.pop_back();
  return std::string(kPrefix) + readable + (readable.empty() ? "" : "-") + hash;
}

kube::Status SecretMountInjector::apply(PodMutation& m) const {
  if (m.operation != Operation::kCreate) return kube::ok_status();
  auto value = pod_annotation(m.original, kMountSecretsAnnotation);
  if (!value) return kube::ok_status();
  std::vector<std::string> names = split_list(*value);
  if (names.empty()) return kube::ok_status();
  if (names.size() > config_.max_secrets) {
    return annotation_error(kMountSecretsAnnotation,
                            "names " + std::to_string(names.size()) + " Secrets; at most " +
                                std::to_string(config_.max_secrets) + " can be mounted");
  }
  for (const std::string& name : names) {
    if (auto e = dns_subdomain_error(name); !e.empty()) {
      return annotation_error(kMountSecretsAnnotation, "Secret name " + e);
    }
  }
  json::Document& pod = m.pod;
  auto& a = pod.GetAllocator();
  for (const std::string& name : names) {
    std::string volume_name = secret_volume_name(name);
    json::Value secret(rapidjson::kObjectType);
    json::set_string(secret, "secretName", name, a);
    json::Value volume(rapidjson::kObjectType);
    json::set_string(volume, "name", volume_name, a);
    json::set(volume, "secret", std::move(secret), a);
    ensure_volume(pod, volume_name, std::move(volume));
    std::string path = config_.mount_root + "/" + name;
    if (json::Value* containers = container_list(pod, "containers")) {
      for (auto& c : containers->GetArray()) {
        if (!c.IsObject() || json::get_string(c, "name") == log_sidecar_name_) continue;
        if (ensure_mount(c, volume_name, path, true, a) == MountResult::kConflict) {
          m.warnings.push_back("berth: container \"" + std::string(json::get_string(c, "name")) +
                               "\" already mounts another volume at " + path + "; Secret " + name +
                               " is not mounted there");
        }
      }
    }
  }
  m.features.emplace(kFeatureSecrets);
  return kube::ok_status();
}

}  // namespace berth::webhooks
