// SecretMountInjector: berth.dev/mount-secrets: "a,b" mounts each named Secret read-only at
// <mountRoot>/<name> (default /var/run/berth/secrets/<name>) in every app container. The keys
// controller will manage such Secrets (ManagedKey); any Secret of the namespace works.
#pragma once

#include <string>

#include "webhooks/config/config.h"
#include "webhooks/pods/mutation.h"

namespace berth::webhooks {

// The volume name for Secret `secret`: "berth-secret-<name>" when that is a valid volume name,
// else a shortened form with a hash of the full name, so any Secret name maps to one stable,
// unique RFC 1123 label.
std::string secret_volume_name(std::string_view secret);

class SecretMountInjector final : public PodInjector {
 public:
  // `log_sidecar_name` is skipped: the log sidecar is not an app container.
  SecretMountInjector(const SecretMountConfig& config, std::string log_sidecar_name)
      : config_(config), log_sidecar_name_(std::move(log_sidecar_name)) {}

  // Only at CREATE (volumes cannot be added to an existing pod).
  kube::Status apply(PodMutation& mutation) const override;

 private:
  const SecretMountConfig& config_;
  std::string log_sidecar_name_;
};

}  // namespace berth::webhooks
