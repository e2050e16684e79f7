// The synchronous HTTP client: Asio operations run on a private io_context until they finish
// or the deadline passes (then the socket is closed, which completes them). Beast parses the
// responses; requests are written by hand.
#include "kube/http/client.h"

#include <poll.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <limits>
#include <optional>
#include <unordered_map>

#include "kube/core/strings.h"
#include "kube/http/tls_config.h"

namespace kube::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
using SslStream = beast::ssl_stream<tcp::socket>;

constexpr std::uint32_t kMaxResponseHeaderBytes = 1024 * 1024;

struct Url {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string target;       // origin-form, "/" at least
  std::string host_header;  // Host: value
  std::string origin;       // scheme://host:port, the pool key and the name in messages
};

Result<Url> parse_url(std::string_view url) {
  Url u;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return Error::make(Reason::kInvalid, "URL must start with http:// or https://");
  }
  rest = rest.substr(0, rest.find('#'));
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  std::string_view target = slash == std::string_view::npos ? "/" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return Error::make(Reason::kInvalid, "URLs with user info are not supported");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Error::make(Reason::kInvalid, "bad IPv6 host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error::make(Reason::kInvalid, "bad host in URL");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Error::make(Reason::kInvalid, "URL has no host");
  if (port.empty()) port = u.tls ? "443" : "80";
  auto p = parse_int(port);
  if (!p || *p <= 0 || *p > 65535) return Error::make(Reason::kInvalid, "bad port in URL");
  u.host = std::string(host);
  u.port = std::string(port);
  u.target = target.front() == '?' ? "/" + std::string(target) : std::string(target);
  bool v6 = u.host.find(':') != std::string::npos;
  std::string bracketed = v6 ? "[" + u.host + "]" : u.host;
  bool default_port = u.port == (u.tls ? "443" : "80");
  u.host_header = default_port ? bracketed : bracketed + ":" + u.port;
  u.origin = std::string(u.tls ? "https://" : "http://") + bracketed + ":" + u.port;
  return u;
}

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE" || method == "TRACE";
}

std::string describe(std::string_view method, const Url& url) {
  std::string_view target = url.target;
  return std::string(method) + " " + url.origin + std::string(target.substr(0, target.find('?')));
}

// Completion handler for every operation: records the error and, when given, the byte count.
struct Completion {
  std::optional<error_code>* result;
  std::size_t* bytes;
  void operator()(const error_code& ec) const { *result = ec; }
  void operator()(const error_code& ec, std::size_t n) const {
    *result = ec;
    if (bytes != nullptr) *bytes = n;
  }
};

struct Conn {
  std::string key;
  std::unique_ptr<tcp::socket> plain;
  std::unique_ptr<SslStream> tls;
  beast::flat_buffer buffer;

  tcp::socket& socket() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    error_code ignored;
    socket().close(ignored);
  }
  // A pooled connection is usable only while nothing is readable on it: data or EOF there
  // means the server closed it (or sent something unsolicited).
  bool looks_alive() {
    if (buffer.size() != 0) return false;
    pollfd pfd{socket().native_handle(), POLLIN | POLLRDHUP, 0};
    return ::poll(&pfd, 1, 0) == 0;
  }
  template <typename Fn>
  auto with_stream(Fn&& fn) {
    return tls ? fn(*tls) : fn(*plain);
  }
};

}  // namespace

class Client::Impl {
 public:
  explicit Impl(ClientOptions options) : options_(std::move(options)) {}

  Result<Response> request(std::string_view method, std::string_view url_text,
                           const Headers& headers, std::string_view body,
                           std::chrono::milliseconds timeout) {
    KUBE_ASSIGN_OR_RETURN(Url url, parse_url(url_text));
    const auto deadline = Clock::now() + timeout;
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      auto conn = acquire(url, deadline, method, timeout, reused);
      if (!conn.ok()) return conn.error();
      bool retryable = false;
      auto result = exchange(**conn, method, url, headers, body, deadline, timeout, retryable);
      if (result.ok()) {
        release(std::move(*conn), result->headers);
        return result;
      }
      (*conn)->close();
      if (reused && retryable && attempt == 0 && idempotent(method)) continue;
      return result;
    }
  }

  Result<Response> stream_lines(std::string_view method, std::string_view url_text,
                                const Headers& headers,
                                const std::function<bool(std::string_view)>& on_line,
                                std::chrono::milliseconds idle) {
    KUBE_ASSIGN_OR_RETURN(Url url, parse_url(url_text));
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      auto conn = acquire(url, Clock::now() + idle, method, idle, reused);
      if (!conn.ok()) return conn.error();
      bool retryable = false;
      bool complete = false;
      auto result =
          stream_exchange(**conn, method, url, headers, on_line, idle, retryable, complete);
      if (result.ok() && complete) {
        release(std::move(*conn), result->headers);
        return result;
      }
      (*conn)->close();
      if (!result.ok() && reused && retryable && attempt == 0 && idempotent(method)) continue;
      return result;
    }
  }

 private:
  // --- Running operations against a deadline ------------------------------------------
  // Starts `initiate(handler)` and runs the io_context until the handler ran or `deadline`
  // passed; on expiry `on_timeout` closes whatever the operation waits on. Returns the
  // operation's error, or net::error::timed_out.
  template <typename Initiate, typename OnTimeout>
  error_code run(Clock::time_point deadline, Initiate&& initiate, OnTimeout&& on_timeout,
                 std::size_t* bytes = nullptr) {
    std::optional<error_code> result;
    initiate(Completion{&result, bytes});
    ioc_.restart();
    while (!result) {
      if (ioc_.run_one_until(deadline) != 0 || result) continue;
      // Out of work without a result would mean the operation was never started.
      if (ioc_.stopped()) return net::error::operation_aborted;
      on_timeout();
      ioc_.restart();
      ioc_.run();  // lets the aborted operation complete
      return net::error::timed_out;
    }
    return *result;
  }

  template <typename Initiate>
  error_code run_on(Conn& conn, Clock::time_point deadline, Initiate&& initiate,
                    std::size_t* bytes = nullptr) {
    return run(
        deadline, std::forward<Initiate>(initiate), [&conn] { conn.close(); }, bytes);
  }

  Error timeout_error(std::string_view what, std::chrono::milliseconds timeout) {
    return Error::make(Reason::kTimeout, std::string(what) + ": timed out after " +
                                             std::to_string(timeout.count()) + "ms");
  }

  // --- Connections ------------------------------------------------------------------------
  Result<std::unique_ptr<Conn>> acquire(const Url& url, Clock::time_point deadline,
                                        std::string_view method, std::chrono::milliseconds timeout,
                                        bool& reused) {
    if (auto it = idle_.find(url.origin); it != idle_.end()) {
      std::unique_ptr<Conn> conn = std::move(it->second);
      idle_.erase(it);
      if (conn->looks_alive()) {
        reused = true;
        return conn;
      }
      conn->close();
    }
    reused = false;
    return connect(url, deadline, method, timeout);
  }

  void release(std::unique_ptr<Conn> conn, const Headers& response_headers) {
    if (iequals(response_headers.get("Connection"), "close")) {
      conn->close();
      return;
    }
    // Bytes left over after a complete response stay in the buffer, so looks_alive() refuses
    // the connection instead of reading them as the next response.
    auto& slot = idle_[conn->key];
    if (slot) slot->close();
    slot = std::move(conn);
  }

  Result<std::shared_ptr<net::ssl::context>> ssl_context() {
    if (!ssl_) {
      auto ctx = internal::make_client_context(options_);
      if (ctx.ok()) {
        ssl_.emplace(std::make_shared<net::ssl::context>(ctx->release()));
      } else {
        Error e = ctx.error();
        e.reason = Reason::kInvalid;
        e.message = "TLS client configuration: " + e.message;
        ssl_.emplace(std::move(e));
      }
    }
    return *ssl_;
  }

  Result<std::unique_ptr<Conn>> connect(const Url& url, Clock::time_point deadline,
                                        std::string_view method,
                                        std::chrono::milliseconds timeout) {
    std::shared_ptr<net::ssl::context> ctx;
    if (url.tls) {
      KUBE_ASSIGN_OR_RETURN(ctx, ssl_context());
    }
    const std::string what = describe(method, url);
    std::vector<tcp::endpoint> endpoints;
    error_code ec;
    auto literal = net::ip::make_address(url.host, ec);
    unsigned short port = static_cast<unsigned short>(*parse_int(url.port));
    if (!ec) {
      endpoints.emplace_back(literal, port);
    } else {
      tcp::resolver resolver(ioc_);
      tcp::resolver::results_type results;
      ec = run(
          deadline,
          [&](auto handler) {
            resolver.async_resolve(
                url.host, url.port,
                [&results, handler](const error_code& rec, tcp::resolver::results_type r) mutable {
                  results = std::move(r);
                  handler(rec);
                });
          },
          [&resolver] { resolver.cancel(); });
      if (ec == net::error::timed_out) return timeout_error(what, timeout);
      if (ec) return Error::transport(what + ": cannot resolve " + url.host + ": " + ec.message());
      for (const auto& entry : results)
        endpoints.push_back(entry.endpoint());
    }

    auto conn = std::make_unique<Conn>();
    conn->key = url.origin;
    conn->plain = std::make_unique<tcp::socket>(ioc_);
    auto connect_deadline = std::min(deadline, Clock::now() + options_.connect_timeout);
    ec = run_on(*conn, connect_deadline, [&](auto handler) {
      net::async_connect(
          *conn->plain, endpoints,
          [handler](const error_code& cec, const tcp::endpoint&) mutable { handler(cec); });
    });
    if (ec == net::error::timed_out) {
      return connect_deadline == deadline
                 ? timeout_error(what, timeout)
                 : Error::make(Reason::kTimeout,
                               what + ": connect timed out after " +
                                   std::to_string(options_.connect_timeout.count()) + "ms");
    }
    if (ec) return Error::transport(what + ": connect: " + ec.message());
    conn->plain->set_option(tcp::no_delay(true), ec);

    if (url.tls) {
      conn->tls = std::make_unique<SslStream>(std::move(*conn->plain), *ctx);
      conn->plain.reset();
      KUBE_RETURN_IF_ERROR(
          internal::prepare_client_ssl(conn->tls->native_handle(), options_, url.host));
      ec = run_on(*conn, deadline, [&](auto handler) {
        conn->tls->async_handshake(net::ssl::stream_base::client, handler);
      });
      if (ec == net::error::timed_out) return timeout_error(what, timeout);
      if (ec) {
        return Error::transport(
            what + ": TLS handshake: " +
            internal::describe_client_handshake_failure(conn->tls->native_handle(), ec.message()));
      }
    }
    return conn;
  }

  // --- Exchanges --------------------------------------------------------------------------
  std::string request_head(std::string_view method, const Url& url, const Headers& headers,
                           std::string_view body) {
    std::string head;
    head.reserve(256);
    head.append(method).append(" ").append(url.target).append(" HTTP/1.1\r\n");
    if (!headers.has("Host")) head.append("Host: ").append(url.host_header).append("\r\n");
    for (const auto& [name, value] : headers.fields()) {
      if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) continue;
      head.append(name).append(": ").append(value).append("\r\n");
    }
    bool has_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (has_body)
      head.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    head.append("\r\n");
    return head;
  }

  static Status validate_headers(const Headers& headers) {
    for (const auto& [name, value] : headers.fields()) {
      if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos ||
          value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        return Error::make(Reason::kInvalid, "invalid request header \"" + name + "\"");
      }
    }
    return ok_status();
  }

  static void copy_headers(const bhttp::fields& fields, Response& out) {
    for (const auto& field : fields) {
      out.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    out.content_type = std::string(out.headers.get("Content-Type"));
  }

  // Writes the request. A write error is remembered, not returned: a server that rejects a
  // request early (413) answers and closes while the body is still being sent.
  error_code send(Conn& conn, std::string_view method, const Url& url, const Headers& headers,
                  std::string_view body, Clock::time_point deadline) {
    std::string head = request_head(method, url, headers, body);
    std::array<net::const_buffer, 2> buffers = {net::buffer(head),
                                                net::buffer(body.data(), body.size())};
    return run_on(conn, deadline, [&](auto handler) {
      conn.with_stream([&](auto& stream) { net::async_write(stream, buffers, handler); });
    });
  }

  Result<Response> exchange(Conn& conn, std::string_view method, const Url& url,
                            const Headers& headers, std::string_view body,
                            Clock::time_point deadline, std::chrono::milliseconds timeout,
                            bool& retryable) {
    KUBE_RETURN_IF_ERROR(validate_headers(headers));
    const std::string what = describe(method, url);
    error_code write_ec = send(conn, method, url, headers, body, deadline);
    if (write_ec == net::error::timed_out) return timeout_error(what, timeout);

    while (true) {
      bhttp::response_parser<bhttp::string_body> parser;
      parser.header_limit(kMaxResponseHeaderBytes);
      parser.body_limit(options_.max_response_bytes);
      if (method == "HEAD") parser.skip(true);
      // Header first: Beast 1.74 loses a Content-Length over body_limit when the header and
      // body are parsed in one eager pass.
      error_code ec = run_on(conn, deadline, [&](auto handler) {
        conn.with_stream(
            [&](auto& stream) { bhttp::async_read_header(stream, conn.buffer, parser, handler); });
      });
      if (!ec && !parser.is_done()) {
        ec = run_on(conn, deadline, [&](auto handler) {
          conn.with_stream(
              [&](auto& stream) { bhttp::async_read(stream, conn.buffer, parser, handler); });
        });
      }
      if (ec == net::error::timed_out) return timeout_error(what, timeout);
      if (ec) {
        retryable = !parser.got_some();
        if (ec == bhttp::error::body_limit) {
          return Error::transport(what + ": response body exceeds " +
                                  std::to_string(options_.max_response_bytes) + " bytes");
        }
        const error_code& cause = write_ec ? write_ec : ec;
        return Error::transport(what + (write_ec ? ": sending request: " : ": reading response: ") +
                                cause.message());
      }
      auto& msg = parser.get();
      int status = static_cast<int>(msg.result_int());
      if (status >= 100 && status < 200 && status != 101) continue;  // interim (100 Continue)
      Response response;
      response.status = status;
      copy_headers(msg, response);
      response.body = std::move(msg.body());
      if (!msg.keep_alive() || write_ec) response.headers.set("Connection", "close");
      return response;
    }
  }

  Result<Response> stream_exchange(Conn& conn, std::string_view method, const Url& url,
                                   const Headers& headers,
                                   const std::function<bool(std::string_view)>& on_line,
                                   std::chrono::milliseconds idle, bool& retryable,
                                   bool& complete) {
    KUBE_RETURN_IF_ERROR(validate_headers(headers));
    const std::string what = describe(method, url);
    error_code write_ec = send(conn, method, url, headers, {}, Clock::now() + idle);
    if (write_ec == net::error::timed_out) return timeout_error(what, idle);

    // Re-created after an interim (1xx) response.
    std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
    error_code ec;
    while (true) {
      parser.emplace();
      parser->header_limit(kMaxResponseHeaderBytes);
      // A watch has no end (lines are bounded below). Not boost::none: Beast 1.74 compares a
      // Content-Length against an empty limit as exceeded.
      parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      ec = run_on(conn, Clock::now() + idle, [&](auto handler) {
        conn.with_stream(
            [&](auto& stream) { bhttp::async_read_header(stream, conn.buffer, *parser, handler); });
      });
      if (ec == net::error::timed_out) return timeout_error(what, idle);
      if (ec) {
        retryable = !parser->got_some();
        return Error::transport(what + (write_ec ? ": sending request: " : ": reading response: ") +
                                (write_ec ? write_ec : ec).message());
      }
      int status = static_cast<int>(parser->get().result_int());
      if (status < 100 || status >= 200 || status == 101) break;
    }

    Response response;
    response.status = static_cast<int>(parser->get().result_int());
    copy_headers(parser->get(), response);
    const bool success = response.status >= 200 && response.status < 300;

    std::string partial;
    bool stopped = false;
    auto deliver = [&](std::string_view data) -> Status {
      if (!success) {
        if (response.body.size() + data.size() > options_.max_response_bytes) {
          return Error::transport(what + ": response body exceeds " +
                                  std::to_string(options_.max_response_bytes) + " bytes");
        }
        response.body.append(data);
        return ok_status();
      }
      partial.append(data);
      std::size_t start = 0;
      for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', start)) {
        std::string_view line(partial.data() + start, nl - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        start = nl + 1;
        if (!on_line(line)) {
          stopped = true;
          return ok_status();
        }
      }
      partial.erase(0, start);
      if (partial.size() > options_.max_response_bytes) {
        return Error::transport(what + ": a line exceeds " +
                                std::to_string(options_.max_response_bytes) + " bytes");
      }
      return ok_status();
    };

    std::array<char, 16 * 1024> chunk;
    while (!parser->is_done() && !stopped) {
      parser->get().body().data = chunk.data();
      parser->get().body().size = chunk.size();
      ec = run_on(conn, Clock::now() + idle, [&](auto handler) {
        conn.with_stream(
            [&](auto& stream) { bhttp::async_read_some(stream, conn.buffer, *parser, handler); });
      });
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec == net::error::timed_out) {
        return Error::make(Reason::kTimeout,
                           what + ": no data for " + std::to_string(idle.count()) + "ms");
      }
      if (ec) return Error::transport(what + ": reading response body: " + ec.message());
      std::size_t n = chunk.size() - parser->get().body().size;
      if (n > 0) KUBE_RETURN_IF_ERROR(deliver(std::string_view(chunk.data(), n)));
    }
    if (!stopped && success && !partial.empty()) {
      std::string_view line = partial;
      if (line.back() == '\r') line.remove_suffix(1);
      on_line(line);
    }
    complete = !stopped && parser->is_done() && !write_ec && parser->get().keep_alive();
    return response;
  }

  ClientOptions options_;
  net::io_context ioc_{1};
  std::optional<Result<std::shared_ptr<net::ssl::context>>> ssl_;
  std::unordered_map<std::string, std::unique_ptr<Conn>> idle_;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<Response> Client::request(std::string_view method, std::string_view url,
                                 const Headers& headers, std::string_view body,
                                 std::chrono::milliseconds timeout) {
  return impl_->request(method, url, headers, body, timeout);
}

Result<Response> Client::get(std::string_view url, std::chrono::milliseconds timeout) {
  Headers headers;
  headers.add("Accept", "application/json");
  return impl_->request("GET", url, headers, {}, timeout);
}

Result<Response> Client::post_json(std::string_view url, std::string_view body,
                                   std::chrono::milliseconds timeout) {
  Headers headers;
  headers.add("Content-Type", "application/json");
  headers.add("Accept", "application/json");
  return impl_->request("POST", url, headers, body, timeout);
}

Result<Response> Client::stream_lines(std::string_view method, std::string_view url,
                                      const Headers& headers,
                                      const std::function<bool(std::string_view line)>& on_line,
                                      std::chrono::milliseconds idle_timeout) {
  return impl_->stream_lines(method, url, headers, on_line, idle_timeout);
}

}  // namespace kube::http
