// What the servingcert controller should write for one Service, given what its Secrets hold and
// the time: no I/O, so every branch is unit-tested with generated certificates.
//
// - Nothing usable: a new CA and a serving certificate.
// - CA unusable (unreadable, key mismatch, expired): replaced, with a new serving certificate.
// - CA due for renewal: rotated in two phases. The new CA goes first into ca.crt, the old one
//   stays after it, and the serving certificate (still signed by the old CA) is kept. Only once
//   ca.crt has carried the new CA for `ca_propagation` is the serving certificate re-issued by
//   it, so clients that re-read ca.crt trust it before it is served.
// - Serving certificate unusable (missing, key mismatch, a DNS name missing, does not verify):
//   re-issued at once. Due for renewal: re-issued.
// - ca.crt of the serving Secret differs from the CA bundle: rewritten.
// next_check is when the plan changes next without anything else happening (the earlier
// renewal time, or the end of a CA propagation).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "kube/certs/cert_bundle.h"
#include "kube/core/result.h"

namespace berth::servingcert {

struct PlanOptions {
  kube::certs::CertificateSettings certificates{};  // service_name and namespace_ required
  std::chrono::seconds ca_propagation = std::chrono::hours(24);
};

// What the Secrets hold now: ca_bundle and ca_key from the CA Secret, tls_cert and tls_key from
// the serving Secret.
struct Stored {
  kube::certs::CertMaterial material{};
  std::string served_bundle{};  // ca.crt of the serving Secret
};

// One thing the plan does, for an Event (reason) and the log. Never key material.
struct Change {
  std::string reason{};  // CertificateIssued, CertificateRenewed, CertificateReissued,
                         // CARotated, CAReplaced
  std::string message{};
};

struct Plan {
  kube::certs::CertMaterial desired{};
  bool write_ca = false;       // the CA Secret needs desired.ca_bundle / ca_key
  bool write_serving = false;  // the serving Secret needs desired.ca_bundle / tls_cert / tls_key
  std::vector<Change> changes{};
  std::chrono::system_clock::time_point next_check{};
};

// Errors only when generating a key or certificate fails.
kube::Result<Plan> plan(const Stored& stored, const PlanOptions& options,
                        std::chrono::system_clock::time_point now);

}  // namespace berth::servingcert
