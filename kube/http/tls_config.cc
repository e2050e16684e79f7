#include "kube/http/tls_config.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace kube::http::internal {
namespace {

// TLS 1.2 suites: forward secrecy (ECDHE) and authenticated encryption only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error tls_error(std::string_view what) {
  return Error::make(Reason::kInvalid, tls::drain_errors(what));
}

Status apply_common(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return tls_error("setting the minimum TLS version");
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) return tls_error("setting ciphers");
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return ok_status();
}

Status use_certificate_and_key(SSL_CTX* ctx, std::string_view cert_pem, std::string_view key_pem,
                               std::string_view what) {
  auto certs = tls::read_certificates(cert_pem);
  if (!certs.ok()) {
    return Error::make(Reason::kInvalid,
                       std::string(what) + " certificate: " + certs.error().message);
  }
  auto key = tls::read_private_key(key_pem);
  if (!key.ok()) {
    return Error::make(Reason::kInvalid, std::string(what) + " key: " + key.error().message);
  }
  if (SSL_CTX_use_certificate(ctx, certs->front().get()) != 1) {
    return tls_error(std::string("using the ") + std::string(what) + " certificate");
  }
  for (std::size_t i = 1; i < certs->size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, (*certs)[i].get()) != 1) {
      return tls_error("adding a chain certificate");
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    tls::clear_errors();
    return Error::make(Reason::kInvalid,
                       std::string(what) + " private key does not match its certificate");
  }
  return ok_status();
}

Status trust(SSL_CTX* ctx, std::string_view ca_pem, bool also_advertise) {
  auto cas = tls::read_certificates(ca_pem);
  if (!cas.ok()) return Error::make(Reason::kInvalid, "CA bundle: " + cas.error().message);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const auto& ca : *cas) {
    if (X509_STORE_add_cert(store, ca.get()) != 1) return tls_error("adding a CA");
    if (also_advertise && SSL_CTX_add_client_CA(ctx, ca.get()) != 1) {
      return tls_error("advertising a client CA");
    }
  }
  return ok_status();
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string name_entry(X509_NAME* name, int index) {
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
  if (len < 0) {
    tls::clear_errors();
    return {};
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

Result<tls::SslCtxPtr> make_server_context(std::string_view cert_pem, std::string_view key_pem,
                                           std::string_view client_ca_pem,
                                           std::string_view session_id_context) {
  tls::SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return tls_error("creating a TLS server context");
  KUBE_RETURN_IF_ERROR(apply_common(ctx.get()));
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  KUBE_RETURN_IF_ERROR(use_certificate_and_key(ctx.get(), cert_pem, key_pem, "serving"));
  if (!client_ca_pem.empty()) {
    KUBE_RETURN_IF_ERROR(trust(ctx.get(), client_ca_pem, /*also_advertise=*/true));
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  // Session resumption with client verification needs a context id; OpenSSL rejects resumed
  // sessions without one.
  std::string sid(session_id_context.substr(0, SSL_MAX_SID_CTX_LENGTH));
  if (sid.empty()) sid = "berth";
  if (SSL_CTX_set_session_id_context(ctx.get(), reinterpret_cast<const unsigned char*>(sid.data()),
                                     static_cast<unsigned>(sid.size())) != 1) {
    return tls_error("setting the session id context");
  }
  return ctx;
}

Result<tls::SslCtxPtr> make_client_context(const ClientOptions& options) {
  tls::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return tls_error("creating a TLS client context");
  KUBE_RETURN_IF_ERROR(apply_common(ctx.get()));
  if (options.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (!options.ca_pem.empty()) {
      KUBE_RETURN_IF_ERROR(trust(ctx.get(), options.ca_pem, /*also_advertise=*/false));
    } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return tls_error("loading the system trust store");
    }
  }
  if (!options.client_cert_pem.empty() || !options.client_key_pem.empty()) {
    KUBE_RETURN_IF_ERROR(use_certificate_and_key(ctx.get(), options.client_cert_pem,
                                                 options.client_key_pem, "client"));
  }
  return ctx;
}

Status prepare_client_ssl(SSL* ssl, const ClientOptions& options, std::string_view host) {
  std::string name(options.server_name.empty() ? host : options.server_name);
  bool ip = is_ip_literal(name);
  if (!ip && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    return Error::transport(tls::drain_errors("setting SNI"));
  }
  if (options.insecure_skip_verify) return ok_status();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
              : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (ok != 1) {
    return Error::transport(tls::drain_errors("invalid server name \"" + name + "\""));
  }
  return ok_status();
}

std::string describe_client_handshake_failure(SSL* ssl, std::string_view transport_message) {
  long verify = SSL_get_verify_result(ssl);
  tls::clear_errors();
  if (verify != X509_V_OK) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  }
  return std::string(transport_message);
}

PeerIdentity verified_peer_identity(SSL* ssl) {
  PeerIdentity identity;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return identity;
  X509_NAME* subject = X509_get_subject_name(cert);
  int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn >= 0) identity.common_name = name_entry(subject, cn);
  for (int i = X509_NAME_get_index_by_NID(subject, NID_organizationName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) {
    identity.organizations.push_back(name_entry(subject, i));
  }
  return identity;
}

}  // namespace kube::http::internal
