#include "controllers/servingcert/reconciler.h"

#include <algorithm>
#include <utility>

#include "controllers/servingcert/names.h"
#include "controllers/servingcert/secret_state.h"
#include "kube/api/resource.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"

namespace berth::servingcert {

using kube::certs::kCaCertKey;
using kube::certs::kCaKeyKey;
using kube::certs::kTlsCertKey;
using kube::certs::kTlsKeyKey;
using kube::resources::kSecrets;

namespace {

constexpr std::string_view kServingComponent = "serving-certificate";
constexpr std::string_view kCaComponent = "serving-certificate-ca";
constexpr auto kMinRequeue = std::chrono::seconds(1);

}  // namespace

ServingCertReconciler::ServingCertReconciler(kube::Client& client, kube::Informer& services,
                                             kube::EventRecorder& events,
                                             ServingCertOptions options)
    : client_(client), services_(services), events_(events), options_(std::move(options)) {
  if (!options_.wall_clock) {
    options_.wall_clock = [] { return std::chrono::system_clock::now(); };
  }
}

bool ServingCertReconciler::serves(std::string_view namespace_) const {
  return options_.namespaces.empty() ||
         std::find(options_.namespaces.begin(), options_.namespaces.end(), namespace_) !=
             options_.namespaces.end();
}

kube::ReconcileResult ServingCertReconciler::refuse(const kube::Object& service,
                                                    const std::string& message) {
  kube::log::warn("serving certificate not issued",
                  {{"service", service.key()}, {"reason", message}});
  events_.event(service, kube::EventType::kWarning, "ServingCertificateRefused", message);
  // A Secret deleted or relabelled by hand is picked up on a later look.
  return kube::ReconcileResult{.requeue_after = options_.recheck};
}

kube::Result<bool> ServingCertReconciler::write(
    const kube::Object& service, const kube::Object& current, const OwnershipCheck& owner,
    std::string_view name, std::string_view type, std::string_view component,
    const std::vector<std::pair<std::string_view, std::string>>& data,
    const kube::ReconcileContext& context) {
  // Not the leader any more (or shutting down): the next leader decides again.
  if (context.cancelled()) return false;
  const std::string where = std::string(service.namespace_()) + "/" + std::string(name);
  if (owner.ownership == Ownership::kAdoptable) {
    kube::log::info("taking over an empty Secret", {{"service", service.key()}, {"secret", where}});
  }
  kube::json::Document doc = secret_document(current ? &current : nullptr, service.namespace_(),
                                             name, type, service.name(), component, data);
  auto written = current ? client_.update(kSecrets, doc) : client_.create(kSecrets, doc);
  if (written.ok()) return true;
  // Changed or created since it was read: read again and decide again.
  if (written.error().is_conflict() || written.error().is_already_exists()) {
    kube::log::v(1, "Secret changed while being written; reading it again",
                 {{"service", service.key()}, {"secret", where}});
    return false;
  }
  return kube::Error::make(written.error().reason, std::string(current ? "updating" : "creating") +
                                                       " Secret " + where + ": " +
                                                       written.error().message);
}

kube::Result<kube::ReconcileResult> ServingCertReconciler::reconcile(
    const kube::Request& request, const kube::ReconcileContext& context) {
  kube::Object service = services_.store().get(request.key());
  if (!service || service.being_deleted() || !serves(request.namespace_)) {
    return kube::ReconcileResult{};
  }
  auto annotation = service.annotation(kServingCertSecretAnnotation);
  if (!annotation) return kube::ReconcileResult{};
  const std::string secret_name(kube::trim(*annotation));
  if (std::string why = invalid_secret_name(secret_name); !why.empty()) {
    return refuse(service, "annotation " + std::string(kServingCertSecretAnnotation) + " value \"" +
                               secret_name + "\" cannot name a Secret: " + why);
  }
  const std::string ca_name = secret_name + std::string(kCaSecretSuffix);
  const std::string ns(service.namespace_());
  const std::string svc(service.name());

  auto get = [&](const std::string& name) -> kube::Result<kube::Object> {
    auto got = client_.get(kSecrets, ns, name);
    if (!got.ok() && got.error().is_not_found()) return kube::Object();
    return got;
  };
  KUBE_ASSIGN_OR_RETURN(kube::Object ca_secret, get(ca_name));
  KUBE_ASSIGN_OR_RETURN(kube::Object serving_secret, get(secret_name));
  SecretView ca_view = read_secret(ca_secret);
  SecretView serving_view = read_secret(serving_secret);
  OwnershipCheck ca_owner = check_ownership(ca_view, kOpaqueSecretType, svc);
  OwnershipCheck serving_owner = check_ownership(serving_view, kTlsSecretType, svc);
  for (const auto& [name, owner] :
       {std::pair{&ca_name, &ca_owner}, {&secret_name, &serving_owner}}) {
    if (owner->ownership == Ownership::kForeign) {
      return refuse(service, "Secret " + ns + "/" + *name + " is left alone: " + owner->reason +
                                 ". Delete it or name another Secret in " +
                                 std::string(kServingCertSecretAnnotation));
    }
  }

  Stored stored;
  stored.material = {ca_view.value(kCaCertKey), ca_view.value(kCaKeyKey),
                     serving_view.value(kTlsCertKey), serving_view.value(kTlsKeyKey)};
  stored.served_bundle = serving_view.value(kCaCertKey);
  PlanOptions plan_options{.certificates = options_.certificates,
                           .ca_propagation = options_.ca_propagation};
  plan_options.certificates.service_name = svc;
  plan_options.certificates.namespace_ = ns;
  const kube::SystemTime now = options_.wall_clock();
  KUBE_ASSIGN_OR_RETURN(Plan p, plan(stored, plan_options, now));

  // The CA first: a serving certificate is never stored before the CA that signed it.
  if (p.write_ca) {
    KUBE_ASSIGN_OR_RETURN(
        bool done,
        write(service, ca_secret, ca_owner, ca_name, kOpaqueSecretType, kCaComponent,
              {{kCaCertKey, p.desired.ca_bundle}, {kCaKeyKey, p.desired.ca_key}}, context));
    if (!done) return kube::ReconcileResult{.requeue = true};
  }
  if (p.write_serving) {
    KUBE_ASSIGN_OR_RETURN(bool done, write(service, serving_secret, serving_owner, secret_name,
                                           kTlsSecretType, kServingComponent,
                                           {{kCaCertKey, p.desired.ca_bundle},
                                            {kTlsCertKey, p.desired.tls_cert},
                                            {kTlsKeyKey, p.desired.tls_key}},
                                           context));
    if (!done) return kube::ReconcileResult{.requeue = true};
  }
  if (p.write_serving && p.changes.empty()) {
    kube::log::info("ca.crt brought up to date",
                    {{"service", service.key()}, {"secret", ns + "/" + secret_name}});
  }
  for (const Change& change : p.changes) {
    kube::log::info(change.message, {{"service", service.key()},
                                     {"secret", ns + "/" + secret_name},
                                     {"reason", change.reason}});
    events_.event(service, kube::EventType::kNormal, change.reason, change.message);
  }

  kube::ReconcileResult result;
  result.requeue_after = options_.recheck;
  if (p.next_check <= now + kMinRequeue) {
    result.requeue_after = kMinRequeue;
  } else if (p.next_check < now + options_.recheck) {
    result.requeue_after = p.next_check - now;
  }
  return result;
}

}  // namespace berth::servingcert
