// The certificate material of a Service Berth issues certificates for itself: a CA and a serving
// certificate for the Service's DNS names. Pure functions: what to generate, and whether what a
// Secret holds is still good at a given time. berth-webhooks' CertManager and berth-controller's
// servingcert controller do the I/O.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"
#include "kube/tls/certificates.h"

namespace kube::certs {

// Secret data keys. tls.crt/tls.key are what type kubernetes.io/tls requires; ca.crt is the
// bundle clients verify with (a webhook's caBundle); ca.key lets the issuer sign the next
// serving certificate.
inline constexpr std::string_view kCaCertKey = "ca.crt";
inline constexpr std::string_view kCaKeyKey = "ca.key";
inline constexpr std::string_view kTlsCertKey = "tls.crt";
inline constexpr std::string_view kTlsKeyKey = "tls.key";

struct CertificateSettings {
  std::string service_name{};  // required
  std::string namespace_{};    // required
  std::chrono::seconds ca_validity = std::chrono::hours(24 * 3650);
  std::chrono::seconds cert_validity = std::chrono::hours(24 * 365);
  tls::KeyType key_type = tls::KeyType::kEcP256;
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

// When a certificate valid over [not_before, not_after] is due for renewal: renew_fraction of
// its lifetime, or renew_before ahead of not_after, whichever comes first.
std::chrono::system_clock::time_point renewal_time(std::chrono::system_clock::time_point not_before,
                                                   std::chrono::system_clock::time_point not_after,
                                                   const CertificateSettings& settings);

// now >= renewal_time(not_before, not_after, settings).
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
Result<CertMaterial> new_material(const CertificateSettings& settings);
// A new signing CA put first in the bundle; earlier CAs valid at `now` stay after it; the
// serving certificate is kept (it verifies against the old CA still in the bundle).
Result<CertMaterial> rotate_ca(const CertMaterial& material, const CertificateSettings& settings,
                               std::chrono::system_clock::time_point now);
// A new serving certificate signed by the signing CA.
Result<CertMaterial> reissue_serving(const CertMaterial& material,
                                     const CertificateSettings& settings);

}  // namespace kube::certs
