// ServingCertReconciler: one Service at a time (key namespace/name), level-triggered. For a
// Service annotated berth.dev/serving-cert-secret: <name> it keeps Secret <name> (type
// kubernetes.io/tls: ca.crt, tls.crt, tls.key for <svc>, <svc>.<ns>, <svc>.<ns>.svc and
// <svc>.<ns>.svc.cluster.local) and Secret <name>-ca (the signing CA and its key) in the
// Service's namespace, following plan.h, and looks again at the next renewal time.
//
// The Secrets are read with GET on every pass rather than watched, so the controller needs no
// list/watch on Secrets: a Secret deleted or edited by hand is repaired within `recheck`.
// Neither Secret gets an owner reference to the Service, and removing the annotation or the
// Service leaves them in place: pods mount the serving Secret, and a Service that is deleted and
// re-applied must find the same CA its clients already trust.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "controllers/servingcert/plan.h"
#include "controllers/servingcert/secret_state.h"
#include "kube/cache/informer.h"
#include "kube/client/client.h"
#include "kube/controller/reconciler.h"
#include "kube/core/time.h"
#include "kube/events/event_recorder.h"

namespace berth::servingcert {

struct ServingCertOptions {
  // Validity, key type and renewal thresholds of the CA and serving certificates (service_name
  // and namespace_ are taken from each Service).
  kube::certs::CertificateSettings certificates{};
  // How long ca.crt carries a new CA before a serving certificate signed by it is served.
  std::chrono::seconds ca_propagation = std::chrono::hours(24);
  // Longest time between two looks at a Service's Secrets.
  std::chrono::milliseconds recheck{std::chrono::minutes(5)};
  // Namespaces whose Services are served; empty = all. berth-controller may write Secrets only
  // in its own namespace, so it passes that one.
  std::vector<std::string> namespaces{};
  // Wall-clock time certificates are judged at; system_clock when unset.
  std::function<kube::SystemTime()> wall_clock{};
};

class ServingCertReconciler : public kube::Reconciler {
 public:
  // `client`, `services` and `events` must outlive the reconciler.
  ServingCertReconciler(kube::Client& client, kube::Informer& services, kube::EventRecorder& events,
                        ServingCertOptions options);

  kube::Result<kube::ReconcileResult> reconcile(const kube::Request& request,
                                                const kube::ReconcileContext& context) override;

  // Whether Services of `namespace_` are served.
  bool serves(std::string_view namespace_) const;

 private:
  kube::ReconcileResult refuse(const kube::Object& service, const std::string& message);
  // Creates or updates one Secret; false when it changed since it was read (or the context
  // was cancelled), so the pass should start over.
  kube::Result<bool> write(const kube::Object& service, const kube::Object& current,
                           const OwnershipCheck& owner, std::string_view name,
                           std::string_view type, std::string_view component,
                           const std::vector<std::pair<std::string_view, std::string>>& data,
                           const kube::ReconcileContext& context);

  kube::Client& client_;
  kube::Informer& services_;
  kube::EventRecorder& events_;
  ServingCertOptions options_;
};

}  // namespace berth::servingcert
