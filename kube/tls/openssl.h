// RAII owners for OpenSSL objects and error-queue handling, shared by kube/tls and kube/http.
// OpenSSL reports failures on a thread-local queue; every failing call site here drains it into
// a message so no stale entry confuses the next caller on the same thread (Asio's TLS engine
// inspects that queue too).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"

namespace kube::tls {

template <typename T, void (*Free)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO, BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX, SSL_CTX_free>>;

// Owns a STACK_OF(X509) and the certificates in it.
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// Drains the thread's OpenSSL error queue into "what: reason; reason". Never contains key
// material: OpenSSL error strings name the failing function and reason only.
std::string drain_errors(std::string_view what);
// Drains and discards the thread's error queue.
void clear_errors();

// A read-only memory BIO over `data` (which must outlive the BIO).
BioPtr memory_bio(std::string_view data);
// The contents written to a memory BIO.
std::string bio_contents(BIO* bio);

// Every certificate in a PEM bundle, in order. Errors: no certificate, or a damaged block.
Result<std::vector<X509Ptr>> read_certificates(std::string_view pem);
// The first certificate in a PEM bundle.
Result<X509Ptr> read_certificate(std::string_view pem);
// A private key in PEM (PKCS#8, or traditional RSA/EC); encrypted keys are rejected.
Result<PkeyPtr> read_private_key(std::string_view pem);

std::string certificate_to_pem(X509* cert);

}  // namespace kube::tls
