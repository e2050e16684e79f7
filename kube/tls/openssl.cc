#include "kube/tls/openssl.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>

namespace kube::tls {
namespace {

// Refuses to prompt for a passphrase: OpenSSL's default callback would read the terminal.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return -1;
}

bool is_end_of_pem(unsigned long err) {
  return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

}  // namespace

std::string drain_errors(std::string_view what) {
  std::string message(what);
  bool first = true;
  while (unsigned long err = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(err);
    message.append(first ? ": " : "; ");
    first = false;
    if (reason != nullptr) {
      message.append(reason);
    } else {
      char buf[256];
      ERR_error_string_n(err, buf, sizeof(buf));
      message.append(buf);
    }
  }
  return message;
}

void clear_errors() {
  ERR_clear_error();
}

BioPtr memory_bio(std::string_view data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(n));
}

Result<std::vector<X509Ptr>> read_certificates(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  if (!bio) return Error::parse(drain_errors("reading certificates"));
  std::vector<X509Ptr> certs;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
    if (!cert) break;
    certs.push_back(std::move(cert));
  }
  unsigned long err = ERR_peek_last_error();
  if (err != 0 && !is_end_of_pem(err)) {
    return Error::parse(drain_errors("malformed PEM certificate"));
  }
  clear_errors();
  if (certs.empty()) return Error::parse("no PEM certificate found");
  return certs;
}

Result<X509Ptr> read_certificate(std::string_view pem) {
  KUBE_ASSIGN_OR_RETURN(auto certs, read_certificates(pem));
  return std::move(certs.front());
}

Result<PkeyPtr> read_private_key(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  if (!bio) return Error::parse(drain_errors("reading private key"));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    unsigned long err = ERR_peek_last_error();
    if (err == 0 || is_end_of_pem(err)) {
      clear_errors();
      return Error::parse("no PEM private key found");
    }
    return Error::parse(drain_errors("malformed or encrypted PEM private key"));
  }
  return key;
}

std::string certificate_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    clear_errors();
    return {};
  }
  return bio_contents(bio.get());
}

}  // namespace kube::tls
