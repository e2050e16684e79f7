#include "webhooks/pods/mutation.h"

#include "webhooks/pods/pod_json.h"

namespace berth::webhooks {

namespace json = kube::json;

kube::Error annotation_error(std::string_view annotation, std::string_view problem) {
  return kube::Error::make(kube::Reason::kBadRequest,
                           "annotation " + std::string(annotation) + ": " + std::string(problem),
                           400);
}

bool ensure_volume(json::Document& pod, std::string_view name, json::Value volume) {
  auto& a = pod.GetAllocator();
  json::Value& spec = json::ensure_object(pod, "spec", a);
  json::Value& volumes = json::ensure_array(spec, "volumes", a);
  for (const auto& v : volumes.GetArray()) {
    if (v.IsObject() && json::get_string(v, "name") == name) return false;
  }
  volumes.PushBack(std::move(volume), a);
  return true;
}

MountResult ensure_mount(json::Value& container, std::string_view volume,
                         std::string_view mount_path, bool read_only, json::Allocator& a) {
  json::Value& mounts = json::ensure_array(container, "volumeMounts", a);
  for (const auto& m : mounts.GetArray()) {
    if (!m.IsObject() || json::get_string(m, "mountPath") != mount_path) continue;
    return json::get_string(m, "name") == volume ? MountResult::kPresent : MountResult::kConflict;
  }
  json::Value mount(rapidjson::kObjectType);
  json::set_string(mount, "name", volume, a);
  json::set_string(mount, "mountPath", mount_path, a);
  if (read_only) json::set(mount, "readOnly", json::Value(true), a);
  mounts.PushBack(std::move(mount), a);
  return MountResult::kAdded;
}

}  // namespace berth::webhooks
