// OpenSSL context configuration shared by kube/http's server and client (internal to
// kube/http). Plain OpenSSL, no Asio: the Beast translation units wrap the contexts built here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"
#include "kube/http/client.h"
#include "kube/tls/openssl.h"

namespace kube::http::internal {

// A server context: TLS 1.2 minimum, ECDHE+AEAD ciphers for TLS 1.2 (TLS 1.3 suites are all
// AEAD), server cipher preference, no renegotiation, no compression, buffers released while
// idle (streams stay open by the thousand). cert_pem may hold a chain, leaf first. When
// client_ca_pem is set, clients must present a certificate it signed.
Result<tls::SslCtxPtr> make_server_context(std::string_view cert_pem, std::string_view key_pem,
                                           std::string_view client_ca_pem,
                                           std::string_view session_id_context);

// A client context per ClientOptions: TLS 1.2 minimum, peer verification against ca_pem or the
// system store unless insecure_skip_verify, optional client certificate.
Result<tls::SslCtxPtr> make_client_context(const ClientOptions& options);

// Per-connection client settings: SNI (for names, not IP literals) and the name or address
// the server's certificate must carry.
Status prepare_client_ssl(SSL* ssl, const ClientOptions& options, std::string_view host);

// Why a client handshake failed, preferring the certificate verification result.
std::string describe_client_handshake_failure(SSL* ssl, std::string_view transport_message);

// Subject of the peer's verified certificate (empty when there is none).
struct PeerIdentity {
  std::string common_name;
  std::vector<std::string> organizations;
};
PeerIdentity verified_peer_identity(SSL* ssl);

}  // namespace kube::http::internal
