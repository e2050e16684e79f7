// X.509 certificates for Berth's own TLS: the CA and serving certificates berth-sim and the
// webhooks manage for themselves, client certificates for kubeconfigs, and the checks the keys
// controller and the HTTP server run before trusting a certificate. OpenSSL 3 underneath; every
// failure is a kube::Error (kParse for unreadable input, kInvalid for a well-formed input that
// fails a check), never an exception.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"

namespace kube::tls {

enum class KeyType {
  kEcP256,  // default: small, fast handshakes, accepted by every Kubernetes component
  kRsa2048,
  kRsa4096,
};

// PEM-encoded certificate (possibly a chain, leaf first) and its private key (PKCS#8).
struct KeyPair {
  std::string cert_pem{};
  std::string key_pem{};
};

struct CaOptions {
  std::string common_name = "berth-ca";
  std::vector<std::string> organizations{};
  std::chrono::seconds validity = std::chrono::hours(24 * 3650);
  KeyType key_type = KeyType::kEcP256;
};

struct CertificateOptions {
  std::string common_name{};
  // Subject O entries; Kubernetes maps them to groups for client certificates.
  std::vector<std::string> organizations{};
  std::vector<std::string> dns_names{};     // subjectAltName DNS entries ("*.svc" allowed)
  std::vector<std::string> ip_addresses{};  // subjectAltName IP entries, IPv4 or IPv6 literals
  std::chrono::seconds validity = std::chrono::hours(24 * 365);
  bool server_auth = true;   // extendedKeyUsage serverAuth
  bool client_auth = false;  // extendedKeyUsage clientAuth
  KeyType key_type = KeyType::kEcP256;
};

// A new private key, PEM (PKCS#8).
Result<std::string> generate_private_key(KeyType type);

// A self-signed CA: basicConstraints CA:TRUE (critical), keyUsage keyCertSign|cRLSign
// (critical), subject/authority key identifiers, random 128-bit serial, notBefore backdated
// one minute for clock skew.
Result<KeyPair> generate_ca(const CaOptions& options);

// A leaf certificate for a new key, signed by `ca` (certificate + key). Fails when the CA
// certificate is not a CA or its key does not match, when a name or address is malformed, or
// when neither server_auth nor client_auth is requested. The returned cert_pem holds the leaf
// only; serve it alongside the CA when a chain is needed.
Result<KeyPair> issue_certificate(const KeyPair& ca, const CertificateOptions& options);

struct CertificateInfo {
  std::string subject_common_name{};
  std::vector<std::string> subject_organizations{};
  std::string issuer_common_name{};
  std::vector<std::string> dns_names{};
  std::vector<std::string> ip_addresses{};  // textual form, IPv6 compressed ("::1")
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  bool is_ca = false;
  bool server_auth = false;  // allowed for TLS servers (EKU serverAuth, or no EKU at all)
  bool client_auth = false;  // allowed for TLS clients (EKU clientAuth, or no EKU at all)
  std::string serial_hex{};  // lower-case hex without leading zeros
  // SHA-256 of the DER encoding, lower-case hex without separators (what `openssl x509
  // -fingerprint -sha256` prints, minus the colons).
  std::string sha256_fingerprint;
};

// Describes the first certificate of a PEM bundle.
Result<CertificateInfo> inspect_certificate(std::string_view cert_pem);

// kInvalid when `key_pem` is not the private key of the (first) certificate in `cert_pem`.
Status check_key_matches(std::string_view cert_pem, std::string_view key_pem);

struct VerifyOptions {
  // The time at which the chain must be valid; default (epoch) = now.
  std::chrono::system_clock::time_point at{};
  // When set, the leaf must carry this DNS name (wildcards honoured) or IP address.
  std::string host{};
  // Purpose the leaf must allow; kAny skips the extendedKeyUsage check.
  enum class Purpose { kAny, kServer, kClient } purpose = Purpose::kAny;
};

// Verifies that the first certificate of `cert_pem` chains to one of the certificates in
// `ca_bundle_pem` (further certificates in `cert_pem` are used as intermediates). kInvalid with
// OpenSSL's reason ("certificate has expired", "unable to get local issuer certificate", ...).
Status verify_certificate(std::string_view cert_pem, std::string_view ca_bundle_pem,
                          const VerifyOptions& options = {});

}  // namespace kube::tls
