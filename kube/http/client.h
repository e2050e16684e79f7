// Client: a small synchronous HTTP/1.1 client with keep-alive, used where latency matters or
// where cpprestsdk's shape does not fit: berth-sim calling admission webhooks and extenders,
// the rollout controller's HTTP analysis, tests and load generators. The Kubernetes API client
// is kube/client (cpprestsdk); this one does not follow redirects or speak HTTP/2.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kube/core/result.h"
#include "kube/http/message.h"

namespace kube::http {

struct ClientOptions {
  // PEM CA bundle to verify the server with (for example a webhook caBundle, decoded). Empty =
  // the system trust store. Hostname/IP is checked against the certificate's SANs.
  std::string ca_pem{};
  bool insecure_skip_verify = false;
  // Client certificate for mutual TLS (PEM), optional.
  std::string client_cert_pem{};
  std::string client_key_pem{};
  // SNI / verification name when it differs from the URL's host.
  std::string server_name{};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::size_t max_response_bytes = 64 * 1024 * 1024;
};

// Thread-compatible: one Client per thread, or guard it. Keeps one idle connection per
// scheme://host:port and reuses it; a request on a connection the server closed is retried
// once on a fresh connection when it is idempotent or the request was never sent.
class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // url: "http://host:port/path?query" or "https://...". `timeout` bounds the whole exchange
  // (connect + write + read); on expiry the connection is closed and kTimeout is returned.
  // Transport/TLS failures are Reason::kTransport with a readable message.
  Result<Response> request(std::string_view method, std::string_view url, const Headers& headers,
                           std::string_view body, std::chrono::milliseconds timeout);

  Result<Response> get(std::string_view url, std::chrono::milliseconds timeout);
  Result<Response> post_json(std::string_view url, std::string_view body,
                             std::chrono::milliseconds timeout);

  // Streams a response body line by line (chunked or not), calling on_line for each '\n'-ended
  // line (without the "\n" or "\r\n"; a last unterminated line is delivered too) until the
  // server ends the body, on_line returns false, or idle_timeout passes without data (then
  // kTimeout). Returns the status code and headers (body empty). A non-2xx response is not
  // streamed: its body (for example a Kubernetes Status) is returned in Response.body and
  // on_line is not called. idle_timeout also bounds connecting, sending and the response head.
  Result<Response> stream_lines(std::string_view method, std::string_view url,
                                const Headers& headers,
                                const std::function<bool(std::string_view line)>& on_line,
                                std::chrono::milliseconds idle_timeout);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kube::http
