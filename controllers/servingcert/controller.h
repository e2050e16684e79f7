// Wiring of the servingcert controller into a Manager: it reconciles Services (the informer it
// shares with other controllers), and only those carrying berth.dev/serving-cert-secret.
#pragma once

#include "controllers/servingcert/reconciler.h"
#include "kube/controller/controller.h"
#include "kube/manager/manager.h"

namespace berth::servingcert {

kube::Controller& add_serving_cert_controller(kube::Manager& manager,
                                              ServingCertOptions options = {});

}  // namespace berth::servingcert
