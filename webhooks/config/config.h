// WebhooksConfig: berth-webhooks' policy file (--config), YAML. Every field has a default, so an
// empty file (or none) is a valid configuration: warn-mode best-practice checks, no registry
// rewrite, log sidecar and secret mounts on request. Unknown fields are errors, so a typo never
// silently disables a policy. The reference is webhooks/README.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"

namespace berth::webhooks {

enum class PolicyMode { kWarn, kEnforce };
std::string_view policy_mode_name(PolicyMode mode);  // "warn", "enforce"

enum class DigestPinning { kOff, kWarn, kRequired };

// Native sidecars (init containers with restartPolicy Always) exist from Kubernetes 1.29 on
// (beta, on by default); before that the sidecar is an ordinary container.
enum class NativeSidecars { kNever, kAlways, kAuto };

struct ResourceAmounts {
  std::string cpu{};     // Quantity text; empty = not set
  std::string memory{};  // Quantity text; empty = not set
};

struct LogSidecarConfig {
  std::string image = "ghcr.io/berth-dev/log-shipper:0.1.0";
  std::string container_name = "berth-log-shipper";
  // kAuto is resolved by the binary from the cluster's version at start; the mutator reads
  // `native` only.
  NativeSidecars native_mode = NativeSidecars::kNever;
  bool native = false;
  // ConfigMap (in the pod's namespace) with the shipping/rotation settings, mounted optional.
  std::string config_map = "berth-log-sidecar";
  // Files tailed when the pod does not say (berth.dev/log-paths).
  std::vector<std::string> default_paths = {"/var/log/app/*.log"};
  ResourceAmounts requests{"10m", "32Mi"};
  ResourceAmounts limits{"200m", "128Mi"};
  std::int64_t run_as_user = 65532;
};

struct SecretMountConfig {
  std::string mount_root = "/var/run/berth/secrets";
  std::size_t max_secrets = 16;
};

// Where images of one source registry are pulled from instead: "mirror.corp:5000/dockerhub"
// is host "mirror.corp:5000" and path prefix "dockerhub".
struct Mirror {
  std::string host{};
  std::string prefix{};  // may be empty
};

struct RegistryPolicy {
  // Source registry (as parsed: "docker.io", "quay.io", "localhost:5000") -> mirror.
  std::map<std::string, Mirror, std::less<>> mirrors{};
  // Added to spec.imagePullSecrets of pods that pull from a mirror.
  std::vector<std::string> pull_secrets{};
  bool empty() const { return mirrors.empty(); }
};

struct RegistryConfig {
  RegistryPolicy global{};
  // A namespace listed here uses its own policy instead of the global one (an empty policy
  // turns rewriting off there).
  std::map<std::string, RegistryPolicy, std::less<>> namespaces{};

  const RegistryPolicy& for_namespace(std::string_view namespace_) const;
};

struct PolicyChecks {
  bool privileged = true;
  bool host_path = true;
  bool host_namespaces = true;  // hostNetwork, hostPID, hostIPC
  bool resources = true;
  bool run_as_non_root = true;
};

struct PolicyConfig {
  // Default when the namespace has no valid berth.dev/policy-mode label.
  PolicyMode mode = PolicyMode::kWarn;
  // "registry" or "registry/path" prefixes; empty = any registry.
  std::vector<std::string> allowed_registries{};
  DigestPinning digest_pinning = DigestPinning::kOff;
  bool forbid_latest = true;
  PolicyChecks checks{};
  std::vector<std::string> required_requests = {"cpu", "memory"};
  std::vector<std::string> required_limits = {"memory"};
};

struct WebhooksConfig {
  // Never mutated or validated, besides Berth's own namespace (--namespace).
  std::vector<std::string> excluded_namespaces = {"kube-system"};
  std::string own_namespace = "berth-system";
  LogSidecarConfig log_sidecar{};
  SecretMountConfig secrets{};
  RegistryConfig registry{};
  PolicyConfig policy{};

  bool excluded(std::string_view namespace_) const;
};

// Parses the YAML (or JSON) text of a configuration file. `origin` names it in errors, which
// are kInvalid and read "<origin>: <field path>: <problem>", e.g.
// `webhooks.yaml: policy.mode: must be "enforce" or "warn", got "strict"`.
kube::Result<WebhooksConfig> parse_config(std::string_view text, std::string_view origin);
kube::Result<WebhooksConfig> load_config_file(const std::filesystem::path& path);

}  // namespace berth::webhooks
