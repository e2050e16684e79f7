#include "controllers/servingcert/controller.h"

#include <memory>
#include <utility>

#include "controllers/servingcert/names.h"
#include "kube/api/resource.h"

namespace berth::servingcert {

kube::Controller& add_serving_cert_controller(kube::Manager& manager, ServingCertOptions options) {
  kube::Informer& services = manager.informers().informer(kube::resources::kServices);
  auto reconciler = std::make_shared<ServingCertReconciler>(
      manager.client(), services, manager.event_recorder(), std::move(options));
  // Spec and status changes of a Service do not matter; its annotations, and the Service
  // appearing, do. A Service that loses the annotation keeps its Secrets, so it is dropped too.
  auto filter = [reconciler](const kube::Object* old_object, const kube::Object& object) {
    return reconciler->serves(object.namespace_()) &&
           object.annotation(kServingCertSecretAnnotation).has_value() &&
           kube::filters::generation_or_metadata_changed(old_object, object);
  };
  return manager.controller(std::string(kControllerName))
      .with_event_filter(filter)
      .for_(kube::resources::kServices)
      .complete(std::move(reconciler));
}

}  // namespace berth::servingcert
