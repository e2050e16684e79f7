// The certificate material berth-webhooks serves with when it manages its own certificates: a
// CA and a serving certificate for the webhook Service, kept in one kubernetes.io/tls Secret.
// Pure functions: what to generate, and whether what a Secret holds is still good at a given
// time. CertManager (cert_manager.h) does the I/O.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"
#include "kube/tls/certificates.h"

namespace berth::webhooks {

// Secret data keys. tls.crt/tls.key are what type kubernetes.io/tls requires; ca.crt is the
// bundle written into caBundle; ca.key lets any replica issue the next serving certificate.
inline constexpr std::string_view kCaCertKey = "ca.crt";
inline constexpr std::string_view kCaKeyKey = "ca.key";
inline constexpr std::string_view kTlsCertKey = "tls.crt";
inline constexpr std::string_view kTlsKeyKey = "tls.key";

struct CertificateSettings {
  std::string service_name = "berth-webhooks";
  std::string namespace_ = "berth-system";
  std::chrono::seconds ca_validity = std::chrono::hours(24 * 3650);
  std::chrono::seconds cert_validity = std::chrono::hours(24 * 365);
  kube::tls::KeyType key_type = kube::tls::KeyType::kEcP256;
  // A certificate is renewed once this fraction of its lifetime has passed, or when less than
  // renew_before remains, whichever comes first.
  double renew_fraction = 2.0 / 3.0;
  std::chrono::seconds renew_before = std::chrono::hours(24 * 30);
};

// <svc>, <svc>.<ns>, <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local
std::vector<std::string> service_dns_names(std::string_view service, std::string_view namespace_);

struct CertMaterial {
  // PEM: the signing CA first, then earlier CAs that are still valid (so certificates they
  // signed keep verifying while a CA rotation propagates).
  std::string ca_bundle{};
  std::string ca_key{};
  std::string tls_cert{};
  std::string tls_key{};

  friend bool operator==(const CertMaterial&, const CertMaterial&) = default;
};

// The PEM certificates of a bundle, in order.
std::vector<std::string> split_pem_certificates(std::string_view pem);

// True when `now` is past renew_fraction of [not_before, not_after] or within renew_before of
// not_after.
bool renewal_due(std::chrono::system_clock::time_point not_before,
                 std::chrono::system_clock::time_point not_after,
                 std::chrono::system_clock::time_point now, const CertificateSettings& settings);

struct Assessment {
  // The signing CA (first of ca_bundle) parses, is a CA, matches ca_key and is not expired.
  bool ca_usable = false;
  // ...and is not due for renewal.
  bool ca_fresh = false;
  // The serving certificate matches tls_key, carries every service name, allows serverAuth and
  // verifies against ca_bundle now: it can be served.
  bool serving_usable = false;
  // ...is signed by the signing CA and is not due for renewal.
  bool serving_fresh = false;
  std::string problem{};  // the first defect found, for logs ("" when all fresh)
  std::chrono::system_clock::time_point serving_not_after{};
};

Assessment assess(const CertMaterial& material, const CertificateSettings& settings,
                  std::chrono::system_clock::time_point now);

// A new CA and a serving certificate it signed.
kube::Result<CertMaterial> new_material(const CertificateSettings& settings);
// A new signing CA put first in the bundle; earlier CAs valid at `now` stay after it; the
// serving certificate is kept (it verifies against the old CA still in the bundle).
kube::Result<CertMaterial> rotate_ca(const CertMaterial& material,
                                     const CertificateSettings& settings,
                                     std::chrono::system_clock::time_point now);
// A new serving certificate signed by the signing CA.
kube::Result<CertMaterial> reissue_serving(const CertMaterial& material,
                                           const CertificateSettings& settings);

}  // namespace berth::webhooks
