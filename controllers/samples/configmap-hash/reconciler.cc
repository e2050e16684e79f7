#include "controllers/samples/configmap-hash/reconciler.h"

#include "controllers/samples/configmap-hash/config_hash.h"
#include "kube/core/log.h"

namespace berth::samples {

kube::Result<kube::ReconcileResult> ConfigHashReconciler::reconcile(
    const kube::Request& request, const kube::ReconcileContext& context) {
  kube::Object deployment = deployments_.store().get(request.key());
  // Deleted, or not (or no longer) opted in: nothing to converge.
  if (!deployment || deployment.being_deleted()) return kube::ReconcileResult{};
  auto followed = followed_config_map(deployment);
  if (!followed) return kube::ReconcileResult{};

  kube::Object config_map = config_maps_.store().get(request.namespace_, *followed);
  if (!config_map) {
    // The ConfigMap watch brings us back here when it appears.
    events_.event(deployment, kube::EventType::kWarning, "ConfigMapNotFound",
                  "ConfigMap " + *followed + " named by " + std::string(kConfigMapAnnotation) +
                      " does not exist");
    return kube::ReconcileResult{};
  }
  std::string hash = config_hash(config_map);
  auto patch = hash_patch(deployment, hash);
  if (!patch) return kube::ReconcileResult{};
  if (context.cancelled())
    return kube::Error::make(kube::Reason::kCancelled, "controller stopping");
  KUBE_RETURN_IF_ERROR(client_.patch(kube::resources::kDeployments, request.namespace_,
                                     request.name, kube::PatchType::kMerge, *patch));
  kube::log::info("rolled deployment to a new config hash",
                  {{"deployment", request.key()}, {"configmap", *followed}, {"hash", hash}});
  events_.event(deployment, kube::EventType::kNormal, "ConfigHashUpdated",
                "ConfigMap " + *followed + " changed: pod template now carries " +
                    std::string(kHashAnnotation) + "=" + hash);
  return kube::ReconcileResult{};
}

}  // namespace berth::samples
