#include "kube/tls/certificates.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <ctime>

#include "kube/tls/openssl.h"

namespace kube::tls {
namespace {

using Asn1IntegerPtr =
    std::unique_ptr<ASN1_INTEGER, OpenSslDeleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using Asn1OctetStringPtr =
    std::unique_ptr<ASN1_OCTET_STRING, OpenSslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>>;
using ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, OpenSslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using GeneralNamePtr =
    std::unique_ptr<GENERAL_NAME, OpenSslDeleter<GENERAL_NAME, GENERAL_NAME_free>>;
using BasicConstraintsPtr =
    std::unique_ptr<BASIC_CONSTRAINTS, OpenSslDeleter<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>>;

// Certificates start one minute in the past so that a peer whose clock is slightly behind
// does not reject a certificate issued a moment ago.
constexpr long kBackdateSeconds = 60;

Error failure(std::string_view what) {
  return Error::make(Reason::kInternalError, drain_errors(what));
}

Result<PkeyPtr> new_key(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::kEcP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kRsa2048:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
      break;
    case KeyType::kRsa4096:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(4096));
      break;
  }
  if (key == nullptr) return failure("generating private key");
  return PkeyPtr(key);
}

Result<std::string> key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return failure("encoding private key");
  }
  return bio_contents(bio.get());
}

Status add_name_entries(X509_NAME* name, std::string_view common_name,
                        const std::vector<std::string>& organizations) {
  for (const std::string& o : organizations) {
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(o.data()),
                                   static_cast<int>(o.size()), -1, 0) != 1) {
      return Error::make(Reason::kInvalid, drain_errors("invalid organization"));
    }
  }
  if (!common_name.empty() &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return Error::make(Reason::kInvalid, drain_errors("invalid common name"));
  }
  return ok_status();
}

Status set_random_serial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return failure("generating serial number");
  }
  // Positive and non-zero: RFC 5280 §4.1.2.2.
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn) return failure("generating serial number");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
    return failure("setting serial number");
  }
  return ok_status();
}

Status add_conf_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return failure(std::string("adding extension ") + OBJ_nid2sn(nid));
  }
  return ok_status();
}

// DNS SAN entries: a hostname of letters, digits, '-', '.', optionally starting with "*.".
bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return name.find("..") == std::string_view::npos;
}

Status add_subject_alt_names(X509* cert, const CertificateOptions& options) {
  if (options.dns_names.empty() && options.ip_addresses.empty()) return ok_status();
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return failure("allocating subjectAltName");
  for (const std::string& dns : options.dns_names) {
    if (!valid_dns_name(dns)) {
      return Error::make(Reason::kInvalid, "invalid DNS name for subjectAltName: \"" + dns + "\"");
    }
    GeneralNamePtr gn(GENERAL_NAME_new());
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (!gn || ia5 == nullptr ||
        ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      return failure("encoding DNS name");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_DNS, ia5);
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) return failure("encoding DNS name");
    gn.release();  // owned by the stack now
  }
  for (const std::string& ip : options.ip_addresses) {
    Asn1OctetStringPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (!octets) {
      clear_errors();
      return Error::make(Reason::kInvalid, "invalid IP address for subjectAltName: \"" + ip + "\"");
    }
    GeneralNamePtr gn(GENERAL_NAME_new());
    if (!gn) return failure("encoding IP address");
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, octets.release());
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) return failure("encoding IP address");
    gn.release();
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return failure("adding subjectAltName");
  }
  return ok_status();
}

// Fields common to CA and leaf certificates: version, serial, validity, subject, issuer, key.
Status fill_common(X509* cert, EVP_PKEY* key, std::chrono::seconds validity,
                   std::string_view common_name, const std::vector<std::string>& organizations,
                   X509_NAME* issuer) {
  if (validity.count() <= 0) return Error::make(Reason::kInvalid, "validity must be positive");
  if (X509_set_version(cert, X509_VERSION_3) != 1) return failure("setting version");
  KUBE_RETURN_IF_ERROR(set_random_serial(cert));
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(validity.count())) == nullptr) {
    return failure("setting validity");
  }
  KUBE_RETURN_IF_ERROR(add_name_entries(X509_get_subject_name(cert), common_name, organizations));
  if (X509_set_issuer_name(cert, issuer != nullptr ? issuer : X509_get_subject_name(cert)) != 1) {
    return failure("setting issuer");
  }
  if (X509_set_pubkey(cert, key) != 1) return failure("setting public key");
  return ok_status();
}

Result<std::string> sign(X509* cert, EVP_PKEY* signer) {
  if (X509_sign(cert, signer, EVP_sha256()) <= 0) return failure("signing certificate");
  std::string pem = certificate_to_pem(cert);
  if (pem.empty()) return failure("encoding certificate");
  return pem;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    clear_errors();
    return {};
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string name_entry(X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    clear_errors();
    return {};
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> name_entries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (len < 0) {
      clear_errors();
      continue;
    }
    out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0x0f]);
  }
  return out;
}

std::string ip_to_string(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  int len = ASN1_STRING_length(ip);
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  if (len == 4) {
    inet_ntop(AF_INET, data, buf, sizeof(buf));
  } else if (len == 16) {
    inet_ntop(AF_INET6, data, buf, sizeof(buf));
  } else {
    return {};
  }
  return buf;
}

}  // namespace

Result<std::string> generate_private_key(KeyType type) {
  KUBE_ASSIGN_OR_RETURN(PkeyPtr key, new_key(type));
  return key_to_pem(key.get());
}

Result<KeyPair> generate_ca(const CaOptions& options) {
  if (options.common_name.empty()) {
    return Error::make(Reason::kInvalid, "a CA needs a common name");
  }
  KUBE_ASSIGN_OR_RETURN(PkeyPtr key, new_key(options.key_type));
  X509Ptr cert(X509_new());
  if (!cert) return failure("allocating certificate");
  KUBE_RETURN_IF_ERROR(fill_common(cert.get(), key.get(), options.validity, options.common_name,
                                   options.organizations, nullptr));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  KUBE_RETURN_IF_ERROR(
      add_conf_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
  KUBE_RETURN_IF_ERROR(
      add_conf_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  // The subject key identifier must exist before the authority key identifier refers to it.
  KUBE_RETURN_IF_ERROR(add_conf_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  KUBE_RETURN_IF_ERROR(
      add_conf_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  KUBE_ASSIGN_OR_RETURN(std::string cert_pem, sign(cert.get(), key.get()));
  KUBE_ASSIGN_OR_RETURN(std::string key_pem, key_to_pem(key.get()));
  return KeyPair{std::move(cert_pem), std::move(key_pem)};
}

Result<KeyPair> issue_certificate(const KeyPair& ca, const CertificateOptions& options) {
  if (!options.server_auth && !options.client_auth) {
    return Error::make(Reason::kInvalid, "a certificate needs server_auth or client_auth");
  }
  if (options.common_name.empty() && options.dns_names.empty() && options.ip_addresses.empty()) {
    return Error::make(Reason::kInvalid, "a certificate needs a common name or a SAN");
  }
  KUBE_ASSIGN_OR_RETURN(X509Ptr ca_cert, read_certificate(ca.cert_pem));
  KUBE_ASSIGN_OR_RETURN(PkeyPtr ca_key, read_private_key(ca.key_pem));
  if ((X509_get_extension_flags(ca_cert.get()) & EXFLAG_CA) == 0) {
    return Error::make(Reason::kInvalid, "the issuing certificate is not a CA");
  }
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    clear_errors();
    return Error::make(Reason::kInvalid, "the CA key does not match the CA certificate");
  }

  KUBE_ASSIGN_OR_RETURN(PkeyPtr key, new_key(options.key_type));
  X509Ptr cert(X509_new());
  if (!cert) return failure("allocating certificate");
  KUBE_RETURN_IF_ERROR(fill_common(cert.get(), key.get(), options.validity, options.common_name,
                                   options.organizations, X509_get_subject_name(ca_cert.get())));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
  KUBE_RETURN_IF_ERROR(
      add_conf_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  // keyEncipherment only means something for RSA key transport.
  const char* usage = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA
                          ? "critical,digitalSignature,keyEncipherment"
                          : "critical,digitalSignature";
  KUBE_RETURN_IF_ERROR(add_conf_extension(cert.get(), &ctx, NID_key_usage, usage));
  const char* eku = options.server_auth && options.client_auth ? "serverAuth,clientAuth"
                    : options.server_auth                      ? "serverAuth"
                                                               : "clientAuth";
  KUBE_RETURN_IF_ERROR(add_conf_extension(cert.get(), &ctx, NID_ext_key_usage, eku));
  KUBE_RETURN_IF_ERROR(add_conf_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  KUBE_RETURN_IF_ERROR(
      add_conf_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  KUBE_RETURN_IF_ERROR(add_subject_alt_names(cert.get(), options));
  KUBE_ASSIGN_OR_RETURN(std::string cert_pem, sign(cert.get(), ca_key.get()));
  KUBE_ASSIGN_OR_RETURN(std::string key_pem, key_to_pem(key.get()));
  return KeyPair{std::move(cert_pem), std::move(key_pem)};
}

Result<CertificateInfo> inspect_certificate(std::string_view cert_pem) {
  KUBE_ASSIGN_OR_RETURN(X509Ptr cert, read_certificate(cert_pem));
  CertificateInfo info;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  info.subject_common_name = name_entry(subject, NID_commonName);
  info.subject_organizations = name_entries(subject, NID_organizationName);
  info.issuer_common_name = name_entry(X509_get_issuer_name(cert.get()), NID_commonName);
  info.not_before = to_time_point(X509_get0_notBefore(cert.get()));
  info.not_after = to_time_point(X509_get0_notAfter(cert.get()));

  // Computes the cached extension flags; also rejects malformed extensions.
  uint32_t flags = X509_get_extension_flags(cert.get());
  if ((flags & EXFLAG_INVALID) != 0) {
    clear_errors();
    return Error::parse("certificate has malformed extensions");
  }
  info.is_ca = (flags & EXFLAG_CA) != 0;
  uint32_t eku = X509_get_extended_key_usage(cert.get());  // UINT32_MAX when absent
  info.server_auth = (eku & XKU_SSL_SERVER) != 0;
  info.client_auth = (eku & XKU_SSL_CLIENT) != 0;

  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
      if (gn->type == GEN_DNS) {
        const ASN1_IA5STRING* s = gn->d.dNSName;
        info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                    static_cast<std::size_t>(ASN1_STRING_length(s)));
      } else if (gn->type == GEN_IPADD) {
        std::string ip = ip_to_string(gn->d.iPAddress);
        if (!ip.empty()) info.ip_addresses.push_back(std::move(ip));
      }
    }
  }

  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial) {
    char* hex = BN_bn2hex(serial.get());
    if (hex != nullptr) {
      info.serial_hex = hex;
      OPENSSL_free(hex);
      for (char& c : info.serial_hex)
        c = static_cast<char>(std::tolower(c));
    }
  }

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &md_len) != 1) {
    return failure("computing fingerprint");
  }
  info.sha256_fingerprint = to_hex(md, md_len);
  clear_errors();
  return info;
}

Status check_key_matches(std::string_view cert_pem, std::string_view key_pem) {
  KUBE_ASSIGN_OR_RETURN(X509Ptr cert, read_certificate(cert_pem));
  KUBE_ASSIGN_OR_RETURN(PkeyPtr key, read_private_key(key_pem));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    clear_errors();
    return Error::make(Reason::kInvalid, "private key does not match the certificate");
  }
  return ok_status();
}

Status verify_certificate(std::string_view cert_pem, std::string_view ca_bundle_pem,
                          const VerifyOptions& options) {
  KUBE_ASSIGN_OR_RETURN(auto chain, read_certificates(cert_pem));
  KUBE_ASSIGN_OR_RETURN(auto roots, read_certificates(ca_bundle_pem));
  X509StorePtr store(X509_STORE_new());
  if (!store) return failure("allocating certificate store");
  for (const X509Ptr& root : roots) {
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) return failure("adding CA");
  }
  X509StackPtr untrusted(sk_X509_new_null());
  if (!untrusted) return failure("allocating certificate stack");
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].get()) == 0) return failure("adding intermediate");
    chain[i].release();  // owned by the stack now
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx ||
      X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1) {
    return failure("initialising verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (options.at != std::chrono::system_clock::time_point{}) {
    X509_VERIFY_PARAM_set_time(param, std::chrono::system_clock::to_time_t(options.at));
  }
  if (!options.host.empty()) {
    Asn1OctetStringPtr ip(a2i_IPADDRESS(options.host.c_str()));
    clear_errors();
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, options.host.c_str())
                : X509_VERIFY_PARAM_set1_host(param, options.host.c_str(), options.host.size());
    if (ok != 1) return Error::make(Reason::kInvalid, drain_errors("invalid host to verify"));
  }
  switch (options.purpose) {
    case VerifyOptions::Purpose::kAny:
      break;
    case VerifyOptions::Purpose::kServer:
      X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
      break;
    case VerifyOptions::Purpose::kClient:
      X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
      break;
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    clear_errors();
    return Error::make(Reason::kInvalid, std::string("certificate verification failed: ") +
                                             X509_verify_cert_error_string(err));
  }
  return ok_status();
}

}  // namespace kube::tls
