// Server: the HTTP/1.1 and HTTPS server behind berth-extender, berth-webhooks, metrics/health
// endpoints and berth-sim. Boost.Beast over Asio lives in server.cc only.
//
// Threading: `io_threads` event-loop threads accept, read and write. Handlers run on an io
// thread as soon as a request is read, so a handler must not block for long: answer inline
// (extender, webhooks) or move the Responder to another thread and answer from there (the sim
// does this for slow work). Keep-alive connections are served in order; the next request on a
// connection is read only after the previous response was written.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kube/core/result.h"
#include "kube/http/message.h"

namespace kube::http {

// A streamed (chunked) response, for watches: one write() is one HTTP chunk.
// Thread-safe; writes are queued and sent in order.
class ChunkedStream {
 public:
  virtual ~ChunkedStream() = default;
  // Queues one chunk. Returns false once the peer disconnected, the server is stopping or
  // finish() was called; the data is dropped then.
  virtual bool write(std::string chunk) = 0;
  // Sends the terminal chunk; the connection stays usable for keep-alive.
  virtual void finish() = 0;
  // True once the peer disconnected, the server stopped or finish() was called (no further
  // write succeeds).
  virtual bool closed() const = 0;
  // Runs `callback` once when the stream closes for any reason (peer gone, finish, shutdown):
  // on an io thread, so keep it short; or at once on the calling thread if already closed.
  virtual void on_close(std::function<void()> callback) = 0;
  // Bytes queued but not yet written (for back-pressure on slow watchers).
  virtual std::size_t pending_bytes() const = 0;
};

// The one-shot reply channel for a request. Movable, callable from any thread. Exactly one of
// send() or stream() must be called (later calls are ignored); dropping a Responder unanswered
// sends 500. The connection waits, without a timeout, for as long as the Responder is held.
class Responder {
 public:
  class Impl;
  Responder() = default;
  explicit Responder(std::shared_ptr<Impl> impl);
  Responder(Responder&&) noexcept;
  Responder& operator=(Responder&&) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void send(Response response);
  // Starts a chunked response with the given status and headers (Transfer-Encoding: chunked).
  // While it streams, the server watches the connection so that a departing peer closes the
  // stream. HTTP/1.0 peers get an unframed body ended by closing the connection. Dropping
  // the last copy of the returned pointer finishes the stream.
  std::shared_ptr<ChunkedStream> stream(int status, Headers headers,
                                        std::string content_type = "application/json");
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  std::shared_ptr<Impl> impl_;
};

using Handler = std::function<void(Request&& request, Responder responder)>;

// PEM-encoded certificate chain and private key. Supplied as files (watched for changes) or as
// a provider function (re-polled; used when certificates come from a Secret).
struct TlsOptions {
  std::string cert_file{};
  std::string key_file{};
  // Alternative to files: returns {cert_pem, key_pem}; an error keeps the current certificate.
  // Called at start and then every reload_interval from a background thread (it may block
  // briefly, for example to read a Secret); a changed pair is loaded.
  std::function<Result<std::pair<std::string, std::string>>()> provider{};
  // How often files (mtime, size, inode) / provider are checked for a new certificate. A new
  // pair is used by new connections; open connections keep theirs. An invalid pair (unparsable,
  // key mismatch) is logged and reported by Server::last_certificate_error(); the current one
  // stays in service.
  std::chrono::milliseconds reload_interval{std::chrono::seconds(10)};
  // Optional client CA bundle (PEM file); when set, clients must present a certificate it
  // signed, and Request::peer_common_name/peer_organizations carry its subject. Reloaded with
  // the serving certificate.
  std::string client_ca_file{};
};

struct ServerOptions {
  std::string bind_address = "127.0.0.1:0";  // "host:port"; port 0 picks a free port
  int io_threads = 1;                        // 0 = std::thread::hardware_concurrency()
  std::size_t max_body_bytes = 3 * 1024 * 1024;
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t read_buffer_bytes = 64 * 1024;
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};  // slowloris guard
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(90)};    // keep-alive idle
  // Bounds reading a request body once its headers arrived, and writing any one response or
  // stream chunk (a peer that stops reading is disconnected).
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};
  // Unset = plain HTTP. TLS is 1.2+ only, server cipher preference, no renegotiation.
  std::shared_ptr<TlsOptions> tls{};
  // Name used in logs ("extender", "webhooks", "metrics", "sim").
  std::string name = "http";
  // Optional observer, called on the io thread after each response is written (metrics).
  std::function<void(const Request& request, int status, std::chrono::nanoseconds elapsed)>
      on_response{};
  // Builds the server's own error replies: 400 malformed request, 413 body too large, 431
  // headers too large, 500 handler threw or dropped its Responder, 503 while draining. `message`
  // is a short human-readable reason. Unset = text/plain. Runs on an io thread; an exception
  // thrown here falls back to text/plain.
  std::function<Response(int status, std::string_view message)> error_response{};
};

class Server {
 public:
  virtual ~Server() = default;

  // Binds, starts the io threads and returns once accepting. Errors: bad address or
  // unreadable/invalid certificate (kInvalid), port in use (kTransport).
  static Result<std::unique_ptr<Server>> start(ServerOptions options, Handler handler);

  virtual std::uint16_t port() const = 0;
  // "http://127.0.0.1:8443" style base URL of the listener.
  virtual std::string url() const = 0;
  // Stops accepting, answers new requests on open connections with 503 (Connection: close),
  // lets in-flight requests finish for up to `drain` (open streams do not count), then closes
  // streams (their on_close runs) and connections and joins the io threads. Responders and
  // streams used afterwards are no-ops. Idempotent; the destructor calls stop({}). Must not be
  // called from a handler or callback, which run on the io threads it joins.
  virtual void stop(std::chrono::milliseconds drain = std::chrono::seconds(5)) = 0;

  // Certificate reload results, for /readyz and metrics: number of successful reloads and the
  // last reload error (empty when the last attempt succeeded).
  virtual std::uint64_t certificate_reloads() const = 0;
  virtual std::string last_certificate_error() const = 0;
};

}  // namespace kube::http
