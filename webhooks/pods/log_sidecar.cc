#include "webhooks/pods/log_sidecar.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "kube/api/quantity.h"
#include "kube/core/strings.h"
#include "webhooks/config/names.h"
#include "webhooks/images/image_reference.h"
#include "webhooks/pods/annotations.h"
#include "webhooks/pods/pod_json.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;

constexpr std::size_t kMaxLogPaths = 16;

struct Resources {
  std::string cpu_request, memory_request, cpu_limit, memory_limit;
};

kube::Status override_quantity(const json::Value& pod, std::string_view annotation,
                               std::string& value) {
  auto v = pod_annotation(pod, annotation);
  if (!v) return kube::ok_status();
  auto q = kube::Quantity::parse(kube::trim(*v));
  if (!q || q->milli() <= 0) {
    return annotation_error(
        annotation, "\"" + std::string(*v) + "\" is not a positive quantity (e.g. 50m, 64Mi)");
  }
  value = std::string(kube::trim(*v));
  return kube::ok_status();
}

kube::Status check_order(std::string_view what, const std::string& request,
                         const std::string& limit) {
  if (request.empty() || limit.empty()) return kube::ok_status();
  if (*kube::Quantity::parse(request) > *kube::Quantity::parse(limit)) {
    return kube::Error::make(kube::Reason::kBadRequest,
                             "log sidecar " + std::string(what) + " request " + request +
                                 " exceeds its limit " + limit +
                                 " (annotations berth.dev/"
                                 "log-sidecar-" +
                                 std::string(what) + "-request/-limit)",
                             400);
  }
  return kube::ok_status();
}

json::Value resource_list(const std::string& cpu, const std::string& memory, json::Allocator& a) {
  json::Value list(rapidjson::kObjectType);
  if (!cpu.empty()) json::set_string(list, "cpu", cpu, a);
  if (!memory.empty()) json::set_string(list, "memory", memory, a);
  return list;
}

json::Value env_var(std::string_view name, std::string_view value, json::Allocator& a) {
  json::Value v(rapidjson::kObjectType);
  json::set_string(v, "name", name, a);
  json::set_string(v, "value", value, a);
  return v;
}

json::Value env_field(std::string_view name, std::string_view field_path, json::Allocator& a) {
  json::Value ref(rapidjson::kObjectType);
  json::set_string(ref, "fieldPath", field_path, a);
  json::Value from(rapidjson::kObjectType);
  json::set(from, "fieldRef", std::move(ref), a);
  json::Value v(rapidjson::kObjectType);
  json::set_string(v, "name", name, a);
  json::set(v, "valueFrom", std::move(from), a);
  return v;
}

bool owned_by_job(const json::Value& pod) {
  const json::Value* owners = json::find_path(pod, {"metadata", "ownerReferences"});
  if (owners == nullptr || !owners->IsArray()) return false;
  for (const auto& o : owners->GetArray()) {
    if (o.IsObject() && json::get_string(o, "kind") == "Job") return true;
  }
  return false;
}

}  // namespace

std::string log_volume_name(std::string_view directory) {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08llx", kube::fnv1a64(directory) & 0xffffffffULL);
  return "berth-logs-" + std::string(hex);
}

kube::Status LogSidecarInjector::apply(PodMutation& m) const {
  if (m.operation != Operation::kCreate) return kube::ok_status();
  auto requested = pod_annotation(m.original, kLogSidecarAnnotation);
  if (!requested) return kube::ok_status();
  if (*requested != "true") {
    if (*requested != "false") {
      m.warnings.push_back("berth: annotation " + std::string(kLogSidecarAnnotation) +
                           " must be \"true\" or \"false\", got \"" + std::string(*requested) +
                           "\"; no log sidecar injected");
    }
    return kube::ok_status();
  }

  std::vector<std::string> paths = config_.default_paths;
  if (auto v = pod_annotation(m.original, kLogPathsAnnotation)) {
    paths = split_list(*v);
    if (paths.empty()) return annotation_error(kLogPathsAnnotation, "lists no path");
  }
  if (paths.size() > kMaxLogPaths) {
    return annotation_error(kLogPathsAnnotation, "lists " + std::to_string(paths.size()) +
                                                     " paths; at most " +
                                                     std::to_string(kMaxLogPaths) + " allowed");
  }
  std::vector<std::string> directories;
  for (const std::string& p : paths) {
    if (auto e = log_path_error(p); !e.empty()) return annotation_error(kLogPathsAnnotation, e);
    std::string dir(log_path_directory(p));
    if (std::find(directories.begin(), directories.end(), dir) == directories.end()) {
      directories.push_back(std::move(dir));
    }
  }

  std::string image = config_.image;
  if (auto v = pod_annotation(m.original, kLogImageAnnotation)) {
    image = std::string(kube::trim(*v));
    if (auto ref = parse_image_reference(image); !ref.ok()) {
      return annotation_error(kLogImageAnnotation, ref.error().message);
    }
  }
  std::string config_map = config_.config_map;
  if (auto v = pod_annotation(m.original, kLogConfigAnnotation)) {
    config_map = std::string(kube::trim(*v));
    if (auto e = dns_subdomain_error(config_map); !e.empty()) {
      return annotation_error(kLogConfigAnnotation, e);
    }
  }
  Resources r{config_.requests.cpu, config_.requests.memory, config_.limits.cpu,
              config_.limits.memory};
  KUBE_RETURN_IF_ERROR(override_quantity(m.original, kLogCpuRequestAnnotation, r.cpu_request));
  KUBE_RETURN_IF_ERROR(
      override_quantity(m.original, kLogMemoryRequestAnnotation, r.memory_request));
  KUBE_RETURN_IF_ERROR(override_quantity(m.original, kLogCpuLimitAnnotation, r.cpu_limit));
  KUBE_RETURN_IF_ERROR(override_quantity(m.original, kLogMemoryLimitAnnotation, r.memory_limit));
  KUBE_RETURN_IF_ERROR(check_order("cpu", r.cpu_request, r.cpu_limit));
  KUBE_RETURN_IF_ERROR(check_order("memory", r.memory_request, r.memory_limit));

  json::Document& pod = m.pod;
  auto& a = pod.GetAllocator();
  for (const std::string& dir : directories) {
    json::Value volume(rapidjson::kObjectType);
    json::set_string(volume, "name", log_volume_name(dir), a);
    json::set(volume, "emptyDir", json::Value(rapidjson::kObjectType), a);
    ensure_volume(pod, log_volume_name(dir), std::move(volume));
  }
  {
    json::Value cm(rapidjson::kObjectType);
    json::set_string(cm, "name", config_map, a);
    json::set(cm, "optional", json::Value(true), a);
    json::Value volume(rapidjson::kObjectType);
    json::set_string(volume, "name", kLogConfigVolume, a);
    json::set(volume, "configMap", std::move(cm), a);
    ensure_volume(pod, kLogConfigVolume, std::move(volume));
  }

  // App containers share the log directories.
  if (json::Value* containers = container_list(pod, "containers")) {
    for (auto& c : containers->GetArray()) {
      if (!c.IsObject() || json::get_string(c, "name") == config_.container_name) continue;
      for (const std::string& dir : directories) {
        if (ensure_mount(c, log_volume_name(dir), dir, false, a) == MountResult::kConflict) {
          m.warnings.push_back("berth: container \"" + std::string(json::get_string(c, "name")) +
                               "\" already mounts another volume at " + dir +
                               "; its log files there are not shipped by the log sidecar");
        }
      }
    }
  }

  bool present = find_container(pod, "containers", config_.container_name) != nullptr ||
                 find_container(pod, "initContainers", config_.container_name) != nullptr;
  if (!present) {
    std::string joined;
    for (const std::string& p : paths)
      joined += (joined.empty() ? "" : ",") + p;
    json::Value sidecar(rapidjson::kObjectType);
    json::set_string(sidecar, "name", config_.container_name, a);
    json::set_string(sidecar, "image", image, a);
    json::Value env(rapidjson::kArrayType);
    env.PushBack(env_var("BERTH_LOG_PATHS", joined, a), a);
    env.PushBack(env_var("BERTH_LOG_CONFIG", kLogConfigFile, a), a);
    env.PushBack(env_field("BERTH_POD_NAME", "metadata.name", a), a);
    env.PushBack(env_field("BERTH_POD_NAMESPACE", "metadata.namespace", a), a);
    env.PushBack(env_field("BERTH_NODE_NAME", "spec.nodeName", a), a);
    json::set(sidecar, "env", std::move(env), a);
    json::Value resources(rapidjson::kObjectType);
    if (!r.cpu_request.empty() || !r.memory_request.empty()) {
      json::set(resources, "requests", resource_list(r.cpu_request, r.memory_request, a), a);
    }
    if (!r.cpu_limit.empty() || !r.memory_limit.empty()) {
      json::set(resources, "limits", resource_list(r.cpu_limit, r.memory_limit, a), a);
    }
    json::set(sidecar, "resources", std::move(resources), a);
    json::Value mounts(rapidjson::kArrayType);
    for (const std::string& dir : directories) {
      json::Value mount(rapidjson::kObjectType);
      json::set_string(mount, "name", log_volume_name(dir), a);
      json::set_string(mount, "mountPath", dir, a);
      mounts.PushBack(std::move(mount), a);
    }
    json::Value config_mount(rapidjson::kObjectType);
    json::set_string(config_mount, "name", kLogConfigVolume, a);
    json::set_string(config_mount, "mountPath", kLogConfigMountPath, a);
    json::set(config_mount, "readOnly", json::Value(true), a);
    mounts.PushBack(std::move(config_mount), a);
    json::set(sidecar, "volumeMounts", std::move(mounts), a);
    json::Value security(rapidjson::kObjectType);
    json::set(security, "runAsNonRoot", json::Value(true), a);
    json::set(security, "runAsUser", json::Value(static_cast<int64_t>(config_.run_as_user)), a);
    json::set(security, "allowPrivilegeEscalation", json::Value(false), a);
    json::set(security, "readOnlyRootFilesystem", json::Value(true), a);
    json::Value drop(rapidjson::kArrayType);
    drop.PushBack(json::make_string("ALL", a), a);
    json::Value caps(rapidjson::kObjectType);
    json::set(caps, "drop", std::move(drop), a);
    json::set(security, "capabilities", std::move(caps), a);
    json::set(sidecar, "securityContext", std::move(security), a);
    json::set_string(sidecar, "terminationMessagePolicy", "FallbackToLogsOnError", a);
    json::Value& spec = json::ensure_object(pod, "spec", a);
    if (config_.native) {
      json::set_string(sidecar, "restartPolicy", "Always", a);
      json::ensure_array(spec, "initContainers", a).PushBack(std::move(sidecar), a);
    } else {
      json::ensure_array(spec, "containers", a).PushBack(std::move(sidecar), a);
      if (owned_by_job(m.original)) {
        m.warnings.push_back(
            "berth: the log sidecar is a regular container on this cluster, so this Job's pod "
            "does not complete until it stops; enable native sidecars (Kubernetes 1.29+) in "
            "berth-webhooks' config");
      }
    }
  }
  m.features.emplace(kFeatureLogSidecar);
  return kube::ok_status();
}

}  // namespace berth::webhooks
