// RegistryRewriter: pulls images through a private mirror. Images whose registry has a mirror in
// the namespace's (or the global) policy are rewritten to <mirror host>/<mirror path>/
// <repository> with their tag and digest, and the policy's imagePullSecrets are added.
#pragma once

#include <optional>
#include <string>

#include "webhooks/config/config.h"
#include "webhooks/images/image_reference.h"
#include "webhooks/pods/mutation.h"

namespace berth::webhooks {

// The mirrored form of `image`, or nullopt when the policy has no mirror for its registry.
// "nginx:1.25" with docker.io -> mirror.corp/hub gives "mirror.corp/hub/library/nginx:1.25".
std::optional<std::string> mirrored_image(const ImageReference& image,
                                          const RegistryPolicy& policy);

class RegistryRewriter final : public PodInjector {
 public:
  explicit RegistryRewriter(const RegistryConfig& config) : config_(config) {}

  // CREATE: every init and app container; imagePullSecrets added when any image is (now) on a
  // mirror. UPDATE: only images that differ from the stored pod's container of the same name
  // (kubectl set image), so an unrelated update never changes an image, which would restart
  // the container; imagePullSecrets cannot change on an existing pod. Unparsable images are
  // left to the validator.
  kube::Status apply(PodMutation& mutation) const override;

 private:
  const RegistryConfig& config_;
};

}  // namespace berth::webhooks
