#include "tests/unit/kube/http/test_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kube/core/strings.h"

namespace berth::testing {
namespace {

using Clock = std::chrono::steady_clock;

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

std::string RawResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (kube::iequals(k, name)) return v;
  }
  return {};
}

std::optional<RawConnection> RawConnection::open(std::uint16_t port) {
  int fd = connect_loopback(port);
  if (fd < 0) return std::nullopt;
  return RawConnection(fd);
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(other.fd_), in_(std::move(other.in_)) {
  other.fd_ = -1;
}

RawConnection::~RawConnection() {
  close();
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::uint16_t RawConnection::local_port() const {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

bool RawConnection::send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawConnection::fill(Clock::time_point deadline) {
  pollfd pfd{fd_, POLLIN, 0};
  int ready = ::poll(&pfd, 1, remaining_ms(deadline));
  if (ready <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) return false;
  in_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> RawConnection::read_line(Clock::time_point deadline) {
  while (true) {
    auto nl = in_.find("\r\n");
    if (nl != std::string::npos) {
      std::string line = in_.substr(0, nl);
      in_.erase(0, nl + 2);
      return line;
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

std::optional<std::string> RawConnection::read_exact(std::size_t n, Clock::time_point deadline) {
  while (in_.size() < n) {
    if (!fill(deadline)) return std::nullopt;
  }
  std::string out = in_.substr(0, n);
  in_.erase(0, n);
  return out;
}

std::optional<RawResponse> RawConnection::read_head(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  RawResponse r;
  auto status_line = read_line(deadline);
  if (!status_line || status_line->size() < 12) return std::nullopt;
  r.status = std::atoi(status_line->c_str() + 9);
  while (true) {
    auto line = read_line(deadline);
    if (!line) return std::nullopt;
    if (line->empty()) break;
    auto colon = line->find(':');
    if (colon == std::string::npos) return std::nullopt;
    r.headers.emplace_back(line->substr(0, colon),
                           std::string(kube::trim(line->substr(colon + 1))));
  }
  r.chunked = kube::iequals(r.header("Transfer-Encoding"), "chunked");
  return r;
}

std::optional<std::string> RawConnection::read_chunk(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto size_line = read_line(deadline);
  if (!size_line) return std::nullopt;
  std::size_t size = std::stoul(*size_line, nullptr, 16);
  auto data = read_exact(size + 2, deadline);
  if (!data || data->substr(size) != "\r\n") return std::nullopt;
  data->resize(size);
  return data;
}

std::optional<RawResponse> RawConnection::read_response(std::chrono::milliseconds timeout,
                                                        bool head_request) {
  auto deadline = Clock::now() + timeout;
  auto r = read_head(timeout);
  if (!r) return std::nullopt;
  if (head_request || r->status == 204 || r->status == 304 || r->status / 100 == 1) return r;
  if (r->chunked) {
    while (true) {
      auto chunk = read_chunk(std::chrono::milliseconds(remaining_ms(deadline)));
      if (!chunk) return std::nullopt;
      if (chunk->empty()) break;
      r->body += *chunk;
      r->chunks.push_back(std::move(*chunk));
    }
    return r;
  }
  std::string length = r->header("Content-Length");
  if (!length.empty()) {
    auto body = read_exact(std::stoul(length), deadline);
    if (!body) return std::nullopt;
    r->body = std::move(*body);
    return r;
  }
  while (fill(deadline)) {
  }
  r->body = std::move(in_);
  in_.clear();
  return r;
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    pollfd pfd{fd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, remaining_ms(deadline));
    if (ready <= 0) return false;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return true;
    in_.append(buf, static_cast<std::size_t>(n));
  }
}

TlsProbeResult tls_probe(std::uint16_t port, const TlsProbeOptions& options) {
  TlsProbeResult result;
  int fd = connect_loopback(port);
  if (fd < 0) {
    result.error = "connect failed";
    return result;
  }
  timeval tv{10, 0};  // a safety net against a hung server; the test never relies on it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  if (!options.ciphers.empty()) SSL_CTX_set_cipher_list(ctx, options.ciphers.c_str());
  if (options.min_version != 0) SSL_CTX_set_min_proto_version(ctx, options.min_version);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(ctx, options.max_version);
  if (!options.client_cert_pem.empty()) {
    BIO* cb = BIO_new_mem_buf(options.client_cert_pem.data(),
                              static_cast<int>(options.client_cert_pem.size()));
    X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO* kb = BIO_new_mem_buf(options.client_key_pem.data(),
                              static_cast<int>(options.client_key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
  }
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (!options.sni.empty()) SSL_set_tlsext_host_name(ssl, options.sni.c_str());
  ERR_clear_error();
  if (SSL_connect(ssl) == 1) {
    result.handshake_ok = true;
    result.protocol = SSL_get_version(ssl);
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      BIO* out = BIO_new(BIO_s_mem());
      PEM_write_bio_X509(out, peer);
      char* data = nullptr;
      long n = BIO_get_mem_data(out, &data);
      result.peer_cert_pem.assign(data, static_cast<std::size_t>(n));
      BIO_free(out);
      X509_free(peer);
    }
    if (!options.request.empty()) {
      SSL_write(ssl, options.request.data(), static_cast<int>(options.request.size()));
      char buf[4096];
      int n;
      while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0) {
        result.response.append(buf, static_cast<std::size_t>(n));
      }
    }
    SSL_shutdown(ssl);
  } else {
    unsigned long err = ERR_peek_error();
    result.error_reason = ERR_GET_REASON(err);
    const char* reason = ERR_reason_error_string(err);
    result.error = reason != nullptr ? reason : "handshake failed";
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return result;
}

}  // namespace berth::testing
