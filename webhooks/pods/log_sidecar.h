// LogSidecarInjector: pods annotated berth.dev/log-sidecar: "true" get a log-shipping container
// that tails the files the app writes (berth.dev/log-paths) through shared emptyDir volumes,
// configured by a ConfigMap that the LogPipeline controller owns (format: webhooks/README.md).
#pragma once

#include <string>

#include "webhooks/config/config.h"
#include "webhooks/pods/mutation.h"

namespace berth::webhooks {

// Where the sidecar finds its ConfigMap, and the file in it.
inline constexpr std::string_view kLogConfigVolume = "berth-log-config";
inline constexpr std::string_view kLogConfigMountPath = "/etc/berth/log-sidecar";
inline constexpr std::string_view kLogConfigFile = "/etc/berth/log-sidecar/pipeline.yaml";

// "berth-logs-<8 hex>": one emptyDir per log directory, named after the directory so the name
// is the same on every invocation.
std::string log_volume_name(std::string_view directory);

class LogSidecarInjector final : public PodInjector {
 public:
  explicit LogSidecarInjector(const LogSidecarConfig& config) : config_(config) {}

  // Only at CREATE (containers cannot be added to an existing pod). Adds, when missing: the
  // emptyDir volumes, the ConfigMap volume (optional: the pod starts without it), the sidecar
  // (an init container with restartPolicy Always when config.native, else the last container)
  // and a mount of each log directory in every app container. A container that already mounts
  // something else at a log directory keeps it and a warning says its files are not shipped.
  kube::Status apply(PodMutation& mutation) const override;

 private:
  const LogSidecarConfig& config_;
};

}  // namespace berth::webhooks
