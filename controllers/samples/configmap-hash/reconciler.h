// ConfigHashReconciler: keeps each opted-in Deployment's pod template annotated with the hash
// of the ConfigMap it follows (see config_hash.h). Reads come from the informer caches; the
// only write is one merge patch of the Deployment when the hash is out of date.
#pragma once

#include "kube/cache/informer.h"
#include "kube/client/client.h"
#include "kube/controller/reconciler.h"
#include "kube/events/event_recorder.h"

namespace berth::samples {

class ConfigHashReconciler final : public kube::Reconciler {
 public:
  // All references must outlive the reconciler.
  ConfigHashReconciler(kube::Client& client, const kube::Informer& deployments,
                       const kube::Informer& config_maps, kube::EventRecorder& events)
      : client_(client), deployments_(deployments), config_maps_(config_maps), events_(events) {}

  kube::Result<kube::ReconcileResult> reconcile(const kube::Request& request,
                                                const kube::ReconcileContext& context) override;

 private:
  kube::Client& client_;
  const kube::Informer& deployments_;
  const kube::Informer& config_maps_;
  kube::EventRecorder& events_;
};

}  // namespace berth::samples
