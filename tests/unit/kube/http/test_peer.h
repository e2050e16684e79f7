// Hand-driven HTTP peers for the server tests: a blocking loopback socket that sends raw bytes
// and parses exactly what comes back (chunk by chunk), and an OpenSSL client whose protocol
// versions and SNI the test controls. Every read waits on poll() with a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::testing {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::string> chunks;  // one entry per HTTP chunk when chunked
  bool chunked = false;
  // The first value of `name` (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port; nullopt when the connection is refused.
  static std::optional<RawConnection> open(std::uint16_t port);
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&&) = delete;
  ~RawConnection();

  bool send(std::string_view data);
  // Reads one response. `head_request` = the request was HEAD (no body follows).
  std::optional<RawResponse> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(10), bool head_request = false);
  // Reads chunks of a chunked body one at a time (after read_head()).
  std::optional<RawResponse> read_head(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The next chunk's payload; empty string for the terminal chunk; nullopt on error/timeout.
  std::optional<std::string> read_chunk(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True once the server closed the connection (EOF or reset) within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Local port of this connection (to tell connections apart on the server).
  std::uint16_t local_port() const;
  void close();

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  bool fill(std::chrono::steady_clock::time_point deadline);
  std::optional<std::string> read_line(std::chrono::steady_clock::time_point deadline);
  std::optional<std::string> read_exact(std::size_t n,
                                        std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string in_;
};

struct TlsProbeOptions {
  int min_version = 0;  // TLS1_VERSION ...; 0 = library default
  int max_version = 0;
  std::string sni{};      // empty = send no SNI
  std::string request{};  // sent after the handshake when not empty
  // Cipher string, e.g. "DEFAULT:@SECLEVEL=0" so that an old-protocol client can be built.
  std::string ciphers{};
  std::string client_cert_pem{};
  std::string client_key_pem{};
};

struct TlsProbeResult {
  bool handshake_ok = false;
  std::string error;          // OpenSSL's reason for a failed handshake
  int error_reason = 0;       // ERR_GET_REASON of the first queued error
  std::string peer_cert_pem;  // the server's leaf certificate
  std::string response;       // everything read after `request` until the server closed
  std::string protocol;       // "TLSv1.3", ...
};

// Connects to 127.0.0.1:port and runs one TLS handshake without verifying the server.
TlsProbeResult tls_probe(std::uint16_t port, const TlsProbeOptions& options);

}  // namespace berth::testing
