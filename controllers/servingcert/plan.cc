#include "controllers/servingcert/plan.h"

#include <algorithm>

#include "kube/core/time.h"
#include "kube/tls/certificates.h"

namespace berth::servingcert {

using kube::certs::Assessment;
using kube::certs::CertMaterial;
using std::chrono::system_clock;

namespace {

// kube::tls backdates notBefore by a minute for clock skew; a CA exists since notBefore plus
// that.
constexpr auto kIssueBackdate = std::chrono::minutes(1);

std::string describe(const std::string& cert_pem) {
  auto info = kube::tls::inspect_certificate(cert_pem);
  if (!info.ok()) return "an unreadable certificate";
  return "sha256 " + info->sha256_fingerprint.substr(0, 16) + ", valid until " +
         kube::format_time(info->not_after);
}

std::string duration_text(std::chrono::seconds d) {
  if (d.count() % 3600 == 0) return std::to_string(d.count() / 3600) + "h";
  if (d.count() % 60 == 0) return std::to_string(d.count() / 60) + "m";
  return std::to_string(d.count()) + "s";
}

std::string signing_ca(const CertMaterial& m) {
  auto cas = kube::certs::split_pem_certificates(m.ca_bundle);
  return cas.empty() ? std::string() : cas.front();
}

}  // namespace

kube::Result<Plan> plan(const Stored& stored, const PlanOptions& options,
                        system_clock::time_point now) {
  const kube::certs::CertificateSettings& settings = options.certificates;
  const std::string names = settings.service_name + "." + settings.namespace_ + ".svc";
  Plan p;
  p.desired = stored.material;
  // Earliest time something is due; the renewal times below lower it.
  system_clock::time_point next = system_clock::time_point::max();

  Assessment a = kube::certs::assess(stored.material, settings, now);
  if (!a.ca_usable) {
    KUBE_ASSIGN_OR_RETURN(p.desired, kube::certs::new_material(settings));
    if (stored.material.ca_bundle.empty()) {
      p.changes.push_back({"CertificateIssued", "issued a CA and a serving certificate for " +
                                                    names + " (" + describe(p.desired.tls_cert) +
                                                    ")"});
    } else {
      p.changes.push_back({"CAReplaced", "replaced an unusable CA (" + a.problem +
                                             ") and issued a serving certificate for " + names +
                                             " (" + describe(p.desired.tls_cert) + ")"});
    }
  } else {
    if (!a.ca_fresh) {
      KUBE_ASSIGN_OR_RETURN(p.desired, kube::certs::rotate_ca(stored.material, settings, now));
      p.changes.push_back(
          {"CARotated", "the CA is due for renewal: a new CA (" + describe(signing_ca(p.desired)) +
                            ") joined ca.crt; the serving certificate moves to it after " +
                            duration_text(options.ca_propagation)});
    }
    Assessment b = kube::certs::assess(p.desired, settings, now);
    if (!b.serving_usable) {
      KUBE_ASSIGN_OR_RETURN(p.desired, kube::certs::reissue_serving(p.desired, settings));
      if (stored.material.tls_cert.empty()) {
        p.changes.push_back({"CertificateIssued", "issued a serving certificate for " + names +
                                                      " (" + describe(p.desired.tls_cert) + ")"});
      } else {
        p.changes.push_back({"CertificateReissued", "replaced an unusable serving certificate (" +
                                                        b.problem + ") for " + names + " (" +
                                                        describe(p.desired.tls_cert) + ")"});
      }
    } else if (!b.serving_fresh) {
      // Due, or signed by an earlier CA. A successor signed by a CA that just joined ca.crt
      // waits until clients have had time to trust it; a bundle written in this pass starts
      // that wait now.
      const std::string ca_pem = signing_ca(p.desired);
      bool same_ca = kube::tls::verify_certificate(p.desired.tls_cert, ca_pem, {.at = now}).ok();
      auto ca = kube::tls::inspect_certificate(ca_pem);
      system_clock::time_point trusted_from = now;
      if (!same_ca) {
        trusted_from = stored.served_bundle == p.desired.ca_bundle && ca.ok()
                           ? ca->not_before + kIssueBackdate + options.ca_propagation
                           : now + options.ca_propagation;
      }
      if (now >= trusted_from) {
        KUBE_ASSIGN_OR_RETURN(p.desired, kube::certs::reissue_serving(p.desired, settings));
        p.changes.push_back({"CertificateRenewed", "renewed the serving certificate for " + names +
                                                       " (" + b.problem + "; now " +
                                                       describe(p.desired.tls_cert) + ")"});
      } else {
        next = std::min(next, trusted_from);
      }
    }
  }

  if (auto leaf = kube::tls::inspect_certificate(p.desired.tls_cert); leaf.ok()) {
    system_clock::time_point due =
        kube::certs::renewal_time(leaf->not_before, leaf->not_after, settings);
    // A certificate waiting for its CA to propagate is already due; the wait above decides.
    if (due > now) next = std::min(next, due);
  }
  if (auto ca = kube::tls::inspect_certificate(signing_ca(p.desired)); ca.ok()) {
    next = std::min(next, kube::certs::renewal_time(ca->not_before, ca->not_after, settings));
  }
  p.next_check = next;
  p.write_ca = p.desired.ca_bundle != stored.material.ca_bundle ||
               p.desired.ca_key != stored.material.ca_key;
  p.write_serving = p.desired.tls_cert != stored.material.tls_cert ||
                    p.desired.tls_key != stored.material.tls_key ||
                    p.desired.ca_bundle != stored.served_bundle;
  return p;
}

}  // namespace berth::servingcert
