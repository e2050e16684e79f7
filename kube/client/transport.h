// Transport: the HTTP exchange under kube::Client, kept small so the HTTP stack can be swapped
// (cpprestsdk today, see cpprest_transport.h). The Client adds authentication, User-Agent,
// rate limiting, retries and error decoding on top; a transport only moves bytes and applies
// TLS.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/client/cancel.h"
#include "kube/core/result.h"

namespace kube {

struct HttpRequest {
  std::string method = "GET";
  // Path and query, already percent-encoded: "/api/v1/namespaces/ns/pods?limit=500". Appended
  // to the server URL (which may carry a path prefix).
  std::string target{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  std::string content_type{};  // of the body; empty when there is none
  // Idle timeout of the exchange (reset whenever data arrives); zero = the transport's default.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  int status = 0;
  std::string content_type{};
  std::string retry_after{};  // raw Retry-After header
  std::string warning{};      // Warning header(s), as sent ("299 - \"...\"")
  std::string body{};
};

// The lines of a streamed response body, read as they arrive. Not thread-safe, except cancel().
class LineReader {
 public:
  virtual ~LineReader() = default;
  // Blocks for the next '\n'-terminated line (without "\n" or "\r\n"); the view stays valid
  // until the next call. nullopt: the body ended cleanly (an unterminated last line is
  // returned first). Errors: kTransport (connection lost, idle timeout), kCancelled, and
  // kRequestEntityTooLarge for a line above the transport's limit.
  virtual Result<std::optional<std::string_view>> next_line() = 0;
  // Aborts the exchange from any thread; a blocked next_line() returns kCancelled.
  virtual void cancel() = 0;
};

// Thread-safe.
class Transport {
 public:
  virtual ~Transport() = default;

  // One request and its whole response body (whatever the status). Errors are local failures
  // only: kTransport, kCancelled.
  virtual Result<HttpResponse> send(const HttpRequest& request, const CancelToken& cancel) = 0;

  struct Stream {
    // Set for a 2xx response; otherwise null and `response` holds the whole answer.
    std::unique_ptr<LineReader> lines;
    HttpResponse response;  // body empty when `lines` is set
  };
  // A request whose 2xx body is read incrementally, line by line (watches).
  virtual Result<Stream> stream(const HttpRequest& request, const CancelToken& cancel) = 0;
};

}  // namespace kube
