// The HTTP(S) server on Boost.Beast. Beast supplies the request parser; responses and chunk
// framing are written by hand as gathered buffers (one writev per response, no copy of the
// body). Every connection runs on its own strand (or on the io_context directly when there is
// one io thread), so a connection's state is only touched by one thread at a time; other
// threads reach it by posting through the Gate, which closes before the io_context goes away.
#include "kube/http/server.h"

#include <sys/stat.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/core/time.h"
#include "kube/http/tls_config.h"
#include "kube/tls/certificates.h"

namespace kube::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

constexpr auto kNoDeadline = Clock::time_point::max();
// After a final response the socket lingers this long (or until the peer closes) so that a
// client still sending a rejected body reads our reply instead of a reset.
constexpr auto kCloseLinger = std::chrono::seconds(1);
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;
// While a chunked response streams, a small read stays pending to notice the peer leaving.
constexpr std::size_t kProbeBytes = 512;
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Lets threads other than the io threads post work to a connection while the server runs.
// stop() closes it before the io_context is torn down; later posts are refused.
class Gate {
 public:
  template <typename Conn, typename Fn>
  bool post(const std::weak_ptr<Conn>& weak, Fn&& fn) {
    std::shared_lock lock(mu_);
    if (!open_) return false;
    std::shared_ptr<Conn> conn = weak.lock();
    if (!conn) return false;
    auto executor = conn->executor();
    net::post(executor,
              [conn = std::move(conn), fn = std::forward<Fn>(fn)]() mutable { fn(*conn); });
    return true;
  }
  void close() {
    std::unique_lock lock(mu_);
    open_ = false;
  }

 private:
  std::shared_mutex mu_;
  bool open_ = true;
};

class StreamState;

// The part of a connection that Responders and streams talk to; everything runs on the
// connection's executor.
class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual ~ConnectionBase() = default;
  virtual net::any_io_executor executor() const = 0;
  virtual void respond(std::uint64_t id, Response response) = 0;
  virtual void abandon(std::uint64_t id) = 0;
  virtual void start_stream(std::uint64_t id, std::shared_ptr<StreamState> stream, int status,
                            Headers headers, std::string content_type) = 0;
  virtual void flush_stream() = 0;
  virtual void start() = 0;
  virtual void shutdown_now() = 0;
};

// Request ids are unique in the process, so a Responder that outlived its connection can never
// answer a later request that happens to reuse the connection's address.
std::atomic<std::uint64_t> g_next_request_id{0};

// The connection whose handler is running on this thread: a Responder answered inline from
// the handler skips the post.
thread_local ConnectionBase* t_in_handler = nullptr;

class StreamState final : public ChunkedStream {
 public:
  StreamState(std::weak_ptr<ConnectionBase> conn, ConnectionBase* raw, std::shared_ptr<Gate> gate)
      : conn_(std::move(conn)), raw_(raw), gate_(std::move(gate)) {}

  bool write(std::string chunk) override {
    bool schedule = false;
    {
      std::lock_guard lock(mu_);
      if (closed_ || finishing_) return false;
      if (chunk.empty()) return true;  // an empty HTTP chunk would end the body
      pending_ += chunk.size();
      queue_.push_back(std::move(chunk));
      schedule = !flush_scheduled_;
      flush_scheduled_ = true;
    }
    if (schedule && !schedule_flush()) {
      close_and_notify();
      return false;
    }
    return true;
  }

  void finish() override {
    bool schedule = false;
    {
      std::lock_guard lock(mu_);
      if (closed_ || finishing_) return;
      finishing_ = true;
      schedule = !flush_scheduled_;
      flush_scheduled_ = true;
    }
    if (schedule && !schedule_flush()) close_and_notify();
  }

  bool closed() const override {
    std::lock_guard lock(mu_);
    return closed_ || finishing_;
  }

  void on_close(std::function<void()> callback) override {
    {
      std::lock_guard lock(mu_);
      if (!fired_) {
        callbacks_.push_back(std::move(callback));
        return;
      }
    }
    run_callback(callback);
  }

  std::size_t pending_bytes() const override { return pending_.load(); }

  // Connection side.
  struct Batch {
    std::vector<std::string> chunks;
    bool finish = false;
  };
  Batch take() {
    std::lock_guard lock(mu_);
    Batch batch;
    batch.chunks.swap(queue_);
    batch.finish = finishing_;
    flush_scheduled_ = false;
    return batch;
  }
  void wrote(std::size_t payload_bytes) { pending_ -= payload_bytes; }

  // Marks the stream closed and runs the on_close callbacks once.
  void close_and_notify() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      if (fired_) return;
      fired_ = true;
      callbacks.swap(callbacks_);
      queue_.clear();
    }
    for (auto& cb : callbacks)
      run_callback(cb);
  }

 private:
  bool schedule_flush() {
    if (raw_ != nullptr && t_in_handler == raw_) {
      raw_->flush_stream();
      return true;
    }
    return gate_->post(conn_, [](ConnectionBase& c) { c.flush_stream(); });
  }

  static void run_callback(const std::function<void()>& cb) {
    try {
      if (cb) cb();
    } catch (const std::exception& e) {
      log::error("stream on_close callback threw", {{"error", e.what()}});
    } catch (...) {
      log::error("stream on_close callback threw", {{"error", "unknown exception"}});
    }
  }

  std::weak_ptr<ConnectionBase> conn_;
  ConnectionBase* raw_;
  std::shared_ptr<Gate> gate_;
  mutable std::mutex mu_;
  std::vector<std::string> queue_;
  std::vector<std::function<void()>> callbacks_;
  bool finishing_ = false;
  bool closed_ = false;
  bool fired_ = false;
  bool flush_scheduled_ = false;
  std::atomic<std::size_t> pending_{0};
};

}  // namespace

// --- Responder ---------------------------------------------------------------------------

class Responder::Impl {
 public:
  Impl(std::weak_ptr<ConnectionBase> conn, ConnectionBase* raw, std::shared_ptr<Gate> gate,
       std::uint64_t id)
      : conn_(std::move(conn)), raw_(raw), gate_(std::move(gate)), id_(id) {}

  ~Impl() {
    if (!answered_) {
      deliver([id = id_](ConnectionBase& c) { c.abandon(id); });
    }
  }

  void send(Response response) {
    if (answered_) return;
    answered_ = true;
    deliver([id = id_, r = std::move(response)](ConnectionBase& c) mutable {
      c.respond(id, std::move(r));
    });
  }

  std::shared_ptr<ChunkedStream> stream(int status, Headers headers, std::string content_type) {
    auto stream = std::make_shared<StreamState>(conn_, raw_, gate_);
    if (answered_) {
      stream->close_and_notify();
      return stream;
    }
    answered_ = true;
    bool delivered = deliver([id = id_, stream, status, h = std::move(headers),
                              ct = std::move(content_type)](ConnectionBase& c) mutable {
      c.start_stream(id, stream, status, std::move(h), std::move(ct));
    });
    if (!delivered) stream->close_and_notify();
    // The caller's handle finishes the stream when its last copy goes away, so a forgotten
    // finish() cannot leave a connection streaming forever.
    StreamState* raw = stream.get();
    return std::shared_ptr<ChunkedStream>(raw, [owned = std::move(stream)](ChunkedStream*) mutable {
      owned->finish();
      owned.reset();
    });
  }

 private:
  template <typename Fn>
  bool deliver(Fn&& fn) {
    if (raw_ != nullptr && t_in_handler == raw_) {
      fn(*raw_);
      return true;
    }
    return gate_->post(conn_, std::forward<Fn>(fn));
  }

  std::weak_ptr<ConnectionBase> conn_;
  ConnectionBase* raw_;
  std::shared_ptr<Gate> gate_;
  std::uint64_t id_;
  bool answered_ = false;
};

namespace {

// State shared by the server object and its connections.
struct ServerState {
  ServerState(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}

  const ServerOptions options;
  const Handler handler;
  const std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};

  std::mutex mu;  // guards connections, closing; pairs with drained
  std::condition_variable drained;
  std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> connections;
  bool closing = false;

  void add_in_flight(int delta) {
    if (in_flight.fetch_add(delta) + delta == 0 && draining.load()) {
      std::lock_guard lock(mu);
      drained.notify_all();
    }
  }
};

std::string format_endpoint(const tcp::endpoint& ep) {
  auto address = ep.address();
  if (address.is_v6()) {
    return "[" + address.to_string() + "]:" + std::to_string(ep.port());
  }
  return address.to_string() + ":" + std::to_string(ep.port());
}

// RFC 7231 IMF-fixdate, formatted once per second per thread and independent of the locale.
std::string_view http_date() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local char buf[40];
  thread_local std::size_t len = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    int n = std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                          kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
                          tm.tm_hour, tm.tm_min, tm.tm_sec);
    len = n > 0 ? static_cast<std::size_t>(n) : 0;
    cached_second = now;
  }
  return {buf, len};
}

bool is_token_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Header names must be tokens and values must not contain CR, LF or NUL: a handler echoing
// user input into a header must not be able to split the response.
bool valid_field(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_token_char(c)) return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool body_allowed(int status) {
  return status >= 200 && status != 204 && status != 304;
}

bool is_http_parse_error(const error_code& ec) {
  return &ec.category() == &bhttp::make_error_code(bhttp::error::bad_method).category();
}

template <class Stream>
class Connection final : public ConnectionBase {
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

 public:
  Connection(std::shared_ptr<ServerState> state, tcp::socket socket,
             std::shared_ptr<net::ssl::context> ssl_ctx, std::string remote)
      : server_(std::move(state)),
        options_(server_->options),
        ssl_ctx_(std::move(ssl_ctx)),
        executor_(socket.get_executor()),
        stream_(make_stream(std::move(socket), ssl_ctx_.get())),
        timer_(executor_),
        buffer_(options_.read_buffer_bytes + options_.max_header_bytes + kProbeBytes),
        remote_(std::move(remote)) {}

  net::any_io_executor executor() const override { return executor_; }

  void start() override {
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      set_deadline(Clock::now() + options_.header_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = shared()](const error_code& ec) { self->on_handshake(ec); });
    } else {
      start_read();
    }
  }

  void respond(std::uint64_t id, Response response) override {
    if (phase_ != Phase::kHandling || id != request_id_) return;
    write_response(std::move(response), false);
  }

  void abandon(std::uint64_t id) override {
    if (phase_ != Phase::kHandling || id != request_id_) return;
    if (calling_handler_) {
      abandoned_during_call_ = true;
      return;
    }
    log::warn("handler dropped its Responder without answering",
              {{"server", options_.name}, {"method", method_}, {"path", path()}});
    send_error(500, "the request handler did not produce a response", false);
  }

  void start_stream(std::uint64_t id, std::shared_ptr<StreamState> stream, int status,
                    Headers headers, std::string content_type) override {
    if (phase_ != Phase::kHandling || id != request_id_) {
      stream->close_and_notify();
      return;
    }
    stream_state_ = std::move(stream);
    chunked_ = version_ == 11;
    bool close = !keep_alive_ || !chunked_ || server_->draining.load() ||
                 iequals(headers.get("Connection"), "close");
    Response head;
    head.status = status;
    head.headers = std::move(headers);
    head.content_type = std::move(content_type);
    serialize_head(head, close, /*content_length=*/std::nullopt);
    close_after_ = close;
    status_ = head.status;
    head_pending_ = true;
    phase_ = Phase::kStreaming;
    set_in_flight(false);
    probe_peer();
    flush_stream();
    awaiting_answer_.reset();
  }

  void flush_stream() override {
    if (phase_ != Phase::kStreaming || writing_) return;
    StreamState::Batch batch = stream_state_->take();
    bool ending = batch.finish || head_only_;
    out_bufs_.clear();
    frames_.clear();
    writing_chunks_ = std::move(batch.chunks);
    if (head_pending_) {
      out_bufs_.emplace_back(out_head_.data(), out_head_.size());
      head_pending_ = false;
    }
    written_payload_ = 0;
    if (head_only_) {
      // A HEAD response carries no body: whatever the handler streams is discarded.
      std::size_t dropped = 0;
      for (const std::string& chunk : writing_chunks_)
        dropped += chunk.size();
      stream_state_->wrote(dropped);
      writing_chunks_.clear();
    }
    if (chunked_) {
      frames_.reserve(writing_chunks_.size());
      for (const std::string& chunk : writing_chunks_)
        frames_.push_back(chunk_header(chunk));
    }
    for (std::size_t i = 0; i < writing_chunks_.size(); ++i) {
      const std::string& chunk = writing_chunks_[i];
      if (chunked_) out_bufs_.emplace_back(frames_[i].data(), frames_[i].size());
      out_bufs_.emplace_back(chunk.data(), chunk.size());
      if (chunked_) out_bufs_.emplace_back(kCrlf.data(), kCrlf.size());
      written_payload_ += chunk.size();
    }
    if (ending && chunked_ && !head_only_) {
      out_bufs_.emplace_back(kLastChunk.data(), kLastChunk.size());
    }
    if (out_bufs_.empty()) return;
    writing_ = true;
    ending_ = ending;
    set_deadline(Clock::now() + options_.write_timeout);
    net::async_write(stream_, out_bufs_, [self = shared()](const error_code& ec, std::size_t) {
      self->on_stream_written(ec);
    });
  }

  void shutdown_now() override { close_now(); }

 private:
  enum class Phase { kHandshake, kReading, kHandling, kWriting, kStreaming, kClosing, kClosed };

  static Stream make_stream(tcp::socket socket, net::ssl::context* ctx) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *ctx);
    } else {
      return socket;
    }
  }

  std::shared_ptr<Connection> shared() {
    return std::static_pointer_cast<Connection>(shared_from_this());
  }

  tcp::socket& socket() { return beast::get_lowest_layer(stream_); }

  std::string_view path() const {
    std::string_view t = target_;
    return t.substr(0, t.find('?'));
  }

  // --- Deadlines -------------------------------------------------------------------------
  // One timer per connection. Moving the deadline later does not touch the timer: when it
  // fires early it re-arms for the current deadline, so steady keep-alive traffic costs no
  // timer syscalls per request.
  void set_deadline(Clock::time_point deadline) {
    deadline_ = deadline;
    if (deadline == kNoDeadline) return;
    if (timer_armed_ && timer_expiry_ <= deadline) return;
    timer_armed_ = true;
    timer_expiry_ = deadline;
    timer_.expires_at(deadline);
    timer_.async_wait([self = shared()](const error_code& ec) { self->on_timer(ec); });
  }

  void on_timer(const error_code& ec) {
    if (ec == net::error::operation_aborted) return;
    timer_armed_ = false;
    if (phase_ == Phase::kClosed || deadline_ == kNoDeadline) return;
    if (Clock::now() < deadline_) {
      set_deadline(deadline_);
      return;
    }
    // Logged after closing: whoever reads the line can count on the socket being shut.
    const char* state = state_name();
    close_now();
    log::v(3, "closed connection on timeout",
           {{"server", options_.name}, {"remote", remote_}, {"state", state}});
  }

  const char* state_name() const {
    switch (phase_) {
      case Phase::kHandshake:
        return "handshake";
      case Phase::kReading:
        return first_request_ ? "reading first request" : "reading request";
      case Phase::kHandling:
        return "handling";
      case Phase::kWriting:
        return "writing";
      case Phase::kStreaming:
        return "streaming";
      case Phase::kClosing:
        return "closing";
      case Phase::kClosed:
        return "closed";
    }
    return "";
  }

  // --- Reading requests ------------------------------------------------------------------
  void on_handshake(const error_code& ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      log::v(2, "TLS handshake failed",
             {{"server", options_.name}, {"remote", remote_}, {"error", ec.message()}});
      close_now();
      return;
    }
    internal::PeerIdentity peer = internal::verified_peer_identity(stream_.native_handle());
    peer_common_name_ = std::move(peer.common_name);
    peer_organizations_ = std::move(peer.organizations);
    start_read();
  }

  void start_read() {
    if (phase_ == Phase::kClosed || phase_ == Phase::kClosing) return;
    phase_ = Phase::kReading;
    if (read_pending_) {
      // The read that watched a finished stream doubles as the wait for the next request.
      set_deadline(Clock::now() + options_.idle_timeout);
      return;
    }
    if (buffer_.size() == 0) {
      set_deadline(Clock::now() +
                   (first_request_ ? options_.header_timeout : options_.idle_timeout));
      read_some(options_.read_buffer_bytes);
      return;
    }
    read_header();
  }

  void read_some(std::size_t max_bytes) {
    read_pending_ = true;
    stream_.async_read_some(
        buffer_.prepare(max_bytes),
        [self = shared()](const error_code& ec, std::size_t n) { self->on_read_some(ec, n); });
  }

  void on_read_some(const error_code& ec, std::size_t n) {
    read_pending_ = false;
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      if (phase_ == Phase::kStreaming) {
        log::v(4, "stream peer went away", {{"server", options_.name}, {"remote", remote_}});
      }
      close_now();
      return;
    }
    buffer_.commit(n);
    switch (phase_) {
      case Phase::kStreaming:
        probe_peer();
        return;
      case Phase::kReading:
        read_header();
        return;
      case Phase::kClosing:
        lingered_ += n;
        buffer_.consume(buffer_.size());
        if (lingered_ > kLingerBytes) {
          close_now();
        } else {
          read_some(16 * 1024);
        }
        return;
      default:
        return;
    }
  }

  void read_header() {
    phase_ = Phase::kReading;
    set_deadline(Clock::now() + options_.header_timeout);
    if (buffer_.capacity() < options_.read_buffer_bytes)
      buffer_.reserve(options_.read_buffer_bytes);
    request_start_ = Clock::now();
    method_.clear();
    target_.clear();
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options_.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(options_.max_body_bytes);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared()](const error_code& ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(const error_code& ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      on_read_error(ec);
      return;
    }
    first_request_ = false;
    request_id_ = g_next_request_id.fetch_add(1) + 1;
    set_in_flight(true);
    const auto& msg = parser_->get();
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    head_only_ = msg.method() == bhttp::verb::head;
    method_.assign(msg.method_string());
    target_.assign(msg.target());
    if (version_ != 10 && version_ != 11) {
      send_error(505, "only HTTP/1.0 and HTTP/1.1 are supported", true);
      return;
    }
    if (server_->draining.load()) {
      send_error(503, "the server is shutting down", true);
      return;
    }
    if (parser_->is_done()) {
      dispatch_request();
      return;
    }
    if (version_ == 11 && iequals(msg[bhttp::field::expect], "100-continue") &&
        buffer_.size() == 0) {
      set_deadline(Clock::now() + options_.write_timeout);
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared()](const error_code& wec, std::size_t) {
                         if (self->phase_ == Phase::kClosed) return;
                         if (wec) {
                           self->close_now();
                           return;
                         }
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    set_deadline(Clock::now() + options_.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared()](const error_code& ec, std::size_t) {
                        if (self->phase_ == Phase::kClosed) return;
                        if (ec) {
                          self->on_read_error(ec);
                        } else {
                          self->dispatch_request();
                        }
                      });
  }

  void on_read_error(const error_code& ec) {
    if (ec == bhttp::error::body_limit) {
      send_error(413, "request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes",
                 true);
    } else if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      send_error(
          431,
          "request header fields exceed " + std::to_string(options_.max_header_bytes) + " bytes",
          true);
    } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
               !is_http_parse_error(ec)) {
      // The peer closed (between requests or mid-request), or the socket failed or timed out.
      close_now();
    } else {
      log::v(2, "malformed request",
             {{"server", options_.name}, {"remote", remote_}, {"error", ec.message()}});
      send_error(400, "malformed request: " + ec.message(), true);
    }
  }

  void dispatch_request() {
    phase_ = Phase::kHandling;
    set_deadline(kNoDeadline);  // handlers may answer slowly from other threads
    Request request;
    {
      auto msg = parser_->release();
      parser_.reset();
      request.method = method_;
      request.target = target_;
      for (const auto& field : msg) {
        request.headers.add(std::string(field.name_string()), std::string(field.value()));
      }
      request.body = std::move(msg.body());
    }
    request.remote_address = remote_;
    request.tls = kTls;
    request.peer_common_name = peer_common_name_;
    request.peer_organizations = peer_organizations_;

    // Nothing else owns the connection while a handler holds its Responder (which only
    // refers to it weakly); answering, abandoning or closing releases this.
    awaiting_answer_ = shared_from_this();
    auto impl =
        std::make_shared<Responder::Impl>(weak_from_this(), this, server_->gate, request_id_);
    calling_handler_ = true;
    abandoned_during_call_ = false;
    ConnectionBase* outer = t_in_handler;
    t_in_handler = this;
    std::optional<std::string> failure;
    try {
      server_->handler(std::move(request), Responder(std::move(impl)));
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    t_in_handler = outer;
    calling_handler_ = false;
    if (phase_ != Phase::kHandling) return;  // answered inline, or the connection closed
    if (failure) {
      log::error(
          "request handler threw",
          {{"server", options_.name}, {"method", method_}, {"path", path()}, {"error", *failure}});
      send_error(500, "internal error while handling the request", false);
    } else if (abandoned_during_call_) {
      log::warn("handler dropped its Responder without answering",
                {{"server", options_.name}, {"method", method_}, {"path", path()}});
      send_error(500, "the request handler did not produce a response", false);
    }
  }

  // --- Writing responses -----------------------------------------------------------------
  Response make_error(int status, std::string_view message) {
    if (options_.error_response) {
      try {
        return options_.error_response(status, message);
      } catch (const std::exception& e) {
        log::error("error_response threw", {{"server", options_.name}, {"error", e.what()}});
      } catch (...) {
        log::error("error_response threw", {{"server", options_.name}});
      }
    }
    return Response::text(status, std::string(message) + "\n");
  }

  void send_error(int status, std::string_view message, bool close) {
    write_response(make_error(status, message), close);
  }

  static std::string chunk_header(const std::string& chunk) {
    char buf[24];
    int n = std::snprintf(buf, sizeof(buf), "%zx\r\n", chunk.size());
    return std::string(buf, static_cast<std::size_t>(n));
  }

  // Status line and header block into out_head_. content_length unset = chunked (HTTP/1.1) or
  // close-delimited (HTTP/1.0).
  void serialize_head(Response& r, bool close, std::optional<std::size_t> content_length) {
    // 1xx cannot end an exchange and upgrades are not supported: both would hang the client.
    if (r.status < 200 || r.status > 999) {
      log::error("handler returned an invalid status; sending 500",
                 {{"server", options_.name}, {"status", r.status}});
      r = make_error(500, "invalid response status");
      r.status = 500;
      if (content_length) content_length = r.body.size();
    }
    out_head_.clear();
    out_head_.append("HTTP/1.1 ").append(std::to_string(r.status)).push_back(' ');
    out_head_.append(status_text(r.status)).append(kCrlf);
    if (!r.content_type.empty() && body_allowed(r.status) && !r.headers.has("Content-Type")) {
      out_head_.append("Content-Type: ").append(r.content_type).append(kCrlf);
    }
    for (const auto& [name, value] : r.headers.fields()) {
      if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
          iequals(name, "Connection") || iequals(name, "Date")) {
        continue;
      }
      if (!valid_field(name, value)) {
        log::warn("dropping an invalid response header",
                  {{"server", options_.name}, {"header", name}});
        continue;
      }
      out_head_.append(name).append(": ").append(value).append(kCrlf);
    }
    if (content_length) {
      if (body_allowed(r.status)) {
        out_head_.append("Content-Length: ").append(std::to_string(*content_length)).append(kCrlf);
      }
    } else if (chunked_) {
      out_head_.append("Transfer-Encoding: chunked\r\n");
    }
    out_head_.append("Date: ").append(http_date()).append(kCrlf);
    if (close) {
      out_head_.append("Connection: close\r\n");
    } else if (version_ == 10) {
      out_head_.append("Connection: keep-alive\r\n");
    }
    out_head_.append(kCrlf);
  }

  void write_response(Response r, bool force_close) {
    bool close = force_close || !keep_alive_ || server_->draining.load() ||
                 iequals(r.headers.get("Connection"), "close");
    serialize_head(r, close, r.body.size());
    close_after_ = close;
    status_ = r.status;
    out_body_ = std::move(r.body);
    out_bufs_.clear();
    out_bufs_.emplace_back(out_head_.data(), out_head_.size());
    if (!head_only_ && body_allowed(status_) && !out_body_.empty()) {
      out_bufs_.emplace_back(out_body_.data(), out_body_.size());
    }
    phase_ = Phase::kWriting;
    set_deadline(Clock::now() + options_.write_timeout);
    net::async_write(stream_, out_bufs_, [self = shared()](const error_code& ec, std::size_t) {
      self->on_written(ec);
    });
    awaiting_answer_.reset();
  }

  void on_written(const error_code& ec) {
    if (phase_ == Phase::kClosed) return;
    std::string().swap(out_body_);  // large bodies are not kept per idle connection
    if (ec) {
      close_now();
      return;
    }
    notify_response();
    set_in_flight(false);
    if (close_after_) {
      graceful_close();
    } else {
      start_read();
    }
  }

  void on_stream_written(const error_code& ec) {
    writing_ = false;
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      close_now();
      return;
    }
    if (!head_only_) stream_state_->wrote(written_payload_);
    writing_chunks_.clear();
    if (ending_) {
      end_stream();
      return;
    }
    set_deadline(kNoDeadline);
    flush_stream();
  }

  void probe_peer() {
    if (read_pending_ || phase_ != Phase::kStreaming) return;
    // Pipelined requests pile up while a stream is open; stop reading once a buffer's worth
    // is waiting (a vanished peer is then noticed by the next failed write).
    if (buffer_.size() >= options_.read_buffer_bytes) return;
    if (buffer_.size() == 0) buffer_.shrink_to_fit();  // thousands of idle watches
    read_some(kProbeBytes);
  }

  void end_stream() {
    std::shared_ptr<StreamState> stream = std::move(stream_state_);
    stream->close_and_notify();
    notify_response();
    if (phase_ == Phase::kClosed) return;
    if (close_after_) {
      graceful_close();
    } else {
      start_read();
    }
  }

  void notify_response() {
    if (!options_.on_response) return;
    Request info;
    info.method.swap(method_);
    info.target.swap(target_);
    info.remote_address = remote_;
    info.tls = kTls;
    try {
      options_.on_response(info, status_, Clock::now() - request_start_);
    } catch (const std::exception& e) {
      log::error("on_response observer threw", {{"server", options_.name}, {"error", e.what()}});
    } catch (...) {
      log::error("on_response observer threw", {{"server", options_.name}});
    }
    method_.swap(info.method);
    target_.swap(info.target);
  }

  // --- Closing ---------------------------------------------------------------------------
  void graceful_close() {
    phase_ = Phase::kClosing;
    set_deadline(Clock::now() + kCloseLinger);
    if constexpr (kTls) {
      if (read_pending_) {
        close_now();
        return;
      }
      stream_.async_shutdown([self = shared()](const error_code&) { self->close_now(); });
    } else {
      error_code ignored;
      socket().shutdown(tcp::socket::shutdown_send, ignored);
      buffer_.consume(buffer_.size());
      if (!read_pending_) read_some(16 * 1024);
    }
  }

  void close_now() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    timer_.cancel();
    error_code ignored;
    socket().close(ignored);
    if (stream_state_) {
      std::shared_ptr<StreamState> stream = std::move(stream_state_);
      stream->close_and_notify();
      notify_response();
    }
    set_in_flight(false);
    {
      std::lock_guard lock(server_->mu);
      server_->connections.erase(this);
    }
    awaiting_answer_.reset();  // callers hold their own reference
  }

  void set_in_flight(bool value) {
    if (in_flight_ == value) return;
    in_flight_ = value;
    server_->add_in_flight(value ? 1 : -1);
  }

  std::shared_ptr<ServerState> server_;
  const ServerOptions& options_;
  std::shared_ptr<net::ssl::context> ssl_ctx_;  // outlives stream_, which uses it
  net::any_io_executor executor_;
  Stream stream_;
  net::steady_timer timer_;
  Clock::time_point deadline_ = kNoDeadline;
  Clock::time_point timer_expiry_{};
  bool timer_armed_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_;
  std::string peer_common_name_;
  std::vector<std::string> peer_organizations_;

  Phase phase_ = Phase::kReading;
  bool read_pending_ = false;
  bool first_request_ = true;
  bool in_flight_ = false;
  std::size_t lingered_ = 0;

  // The current request.
  std::uint64_t request_id_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_only_ = false;
  std::string method_;
  std::string target_;
  Clock::time_point request_start_{};
  bool calling_handler_ = false;
  bool abandoned_during_call_ = false;
  std::shared_ptr<ConnectionBase> awaiting_answer_;

  // The current response.
  int status_ = 0;
  bool close_after_ = false;
  std::string out_head_;
  std::string out_body_;
  std::vector<net::const_buffer> out_bufs_;

  // The current chunked stream.
  std::shared_ptr<StreamState> stream_state_;
  bool chunked_ = true;
  bool head_pending_ = false;
  bool writing_ = false;
  bool ending_ = false;
  std::size_t written_payload_ = 0;
  std::vector<std::string> writing_chunks_;
  std::vector<std::string> frames_;
};

using PlainConnection = Connection<tcp::socket>;
using TlsConnection = Connection<beast::ssl_stream<tcp::socket>>;

// --- Certificates ------------------------------------------------------------------------

struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp(const std::string& path) {
  FileStamp s;
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return s;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::make(Reason::kInvalid, "cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Error::make(Reason::kInvalid, "cannot read " + path);
  return out.str();
}

Result<std::pair<std::string, std::string>> split_host_port(std::string_view address) {
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Error::make(Reason::kInvalid,
                       "bind address \"" + std::string(address) + "\" is not host:port");
  }
  std::string_view host = address.substr(0, colon);
  std::string_view port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return Error::make(Reason::kInvalid, "bind address \"" + std::string(address) +
                                             "\": IPv6 addresses need brackets, [::1]:8443");
  }
  auto p = parse_int(port);
  if (!p || *p < 0 || *p > 65535) {
    return Error::make(Reason::kInvalid,
                       "bind address \"" + std::string(address) + "\" has an invalid port");
  }
  return std::make_pair(std::string(host.empty() ? "0.0.0.0" : host), std::string(port));
}

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, Handler handler)
      : state_(std::make_shared<ServerState>(std::move(options), std::move(handler))),
        options_(state_->options),
        work_(net::make_work_guard(ioc_)),
        accept_executor_(options_.io_threads == 1 ? net::any_io_executor(ioc_.get_executor())
                                                  : net::make_strand(ioc_)),
        acceptor_(accept_executor_),
        accept_retry_(accept_executor_) {}

  ~ServerImpl() override { stop(std::chrono::milliseconds(0)); }

  Status init() {
    if (options_.tls) {
      const TlsOptions& tls = *options_.tls;
      if (!tls.provider && (tls.cert_file.empty() || tls.key_file.empty())) {
        return Error::make(Reason::kInvalid, "TLS needs cert_file and key_file, or a provider");
      }
      if (tls.reload_interval <= std::chrono::milliseconds(0)) {
        return Error::make(Reason::kInvalid, "TLS reload_interval must be positive");
      }
      auto loaded = load_certificate(/*initial=*/true);
      if (!loaded.ok()) return loaded.error();
    }
    KUBE_ASSIGN_OR_RETURN(auto host_port, split_host_port(options_.bind_address));
    error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(host_port.first, host_port.second,
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || endpoints.empty()) {
      return Error::make(Reason::kInvalid, "cannot resolve bind address \"" +
                                               options_.bind_address + "\": " + ec.message());
    }
    tcp::endpoint endpoint = endpoints.begin()->endpoint();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error::transport("cannot listen on " + options_.bind_address + ": " + ec.message());
    }
    tcp::endpoint bound = acceptor_.local_endpoint(ec);
    port_ = bound.port();
    auto address = bound.address();
    if (address.is_unspecified()) {
      address = address.is_v6() ? net::ip::address(net::ip::address_v6::loopback())
                                : net::ip::address(net::ip::address_v4::loopback());
    }
    url_ = std::string(options_.tls ? "https://" : "http://") +
           format_endpoint(tcp::endpoint(address, port_));

    do_accept();
    unsigned threads = options_.io_threads > 0 ? static_cast<unsigned>(options_.io_threads)
                                               : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i)
      threads_.emplace_back([this] { run_io(); });
    if (options_.tls) reloader_ = std::thread([this] { reload_loop(); });
    log::v(1, "serving", {{"server", options_.name}, {"url", url_}, {"io_threads", threads}});
    return ok_status();
  }

  std::uint16_t port() const override { return port_; }
  std::string url() const override { return url_; }

  void stop(std::chrono::milliseconds drain) override {
    std::lock_guard stop_lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    state_->draining = true;
    net::post(accept_executor_, [this] {
      error_code ignored;
      acceptor_.close(ignored);
      accept_retry_.cancel();
    });
    if (reloader_.joinable()) {
      {
        std::lock_guard lock(reload_mu_);
        reload_stop_ = true;
      }
      reload_cv_.notify_all();
      reloader_.join();
    }
    std::vector<std::shared_ptr<ConnectionBase>> live;
    {
      std::unique_lock lock(state_->mu);
      state_->drained.wait_for(lock, drain, [&] { return state_->in_flight.load() == 0; });
      state_->closing = true;
      for (auto& [raw, weak] : state_->connections) {
        if (auto c = weak.lock()) live.push_back(std::move(c));
      }
    }
    state_->gate->close();
    for (auto& c : live) {
      auto executor = c->executor();
      net::post(executor, [c = std::move(c)] { c->shutdown_now(); });
    }
    live.clear();
    work_.reset();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    log::v(1, "stopped", {{"server", options_.name}});
  }

  std::uint64_t certificate_reloads() const override { return reloads_.load(); }
  std::string last_certificate_error() const override {
    std::lock_guard lock(error_mu_);
    return last_error_;
  }

 private:
  void run_io() {
    while (true) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        log::error("io thread caught an exception",
                   {{"server", options_.name}, {"error", e.what()}});
      }
    }
  }

  void do_accept() {
    net::any_io_executor executor = options_.io_threads == 1
                                        ? net::any_io_executor(ioc_.get_executor())
                                        : net::any_io_executor(net::make_strand(ioc_));
    acceptor_.async_accept(executor, [this](const error_code& ec, tcp::socket socket) {
      on_accept(ec, std::move(socket));
    });
  }

  void on_accept(const error_code& ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Typically EMFILE: back off briefly instead of spinning on the error.
      log::warn("accept failed", {{"server", options_.name}, {"error", ec.message()}});
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](const error_code& wec) {
        if (!wec && acceptor_.is_open()) do_accept();
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::string remote = format_endpoint(socket.remote_endpoint(ignored));
    std::shared_ptr<ConnectionBase> conn;
    if (options_.tls) {
      conn = std::make_shared<TlsConnection>(state_, std::move(socket), current_context(),
                                             std::move(remote));
    } else {
      conn =
          std::make_shared<PlainConnection>(state_, std::move(socket), nullptr, std::move(remote));
    }
    {
      std::lock_guard lock(state_->mu);
      if (state_->closing) return;  // stopping: the socket closes with conn
      state_->connections.emplace(conn.get(), conn);
    }
    net::dispatch(conn->executor(), [conn] { conn->start(); });
    do_accept();
  }

  std::shared_ptr<net::ssl::context> current_context() {
    std::lock_guard lock(ssl_mu_);
    return ssl_ctx_;
  }

  // --- Certificate reload ----------------------------------------------------------------
  // Loads the certificate when it changed (always when `initial`) and publishes it for new
  // connections.
  Status load_certificate(bool initial) {
    const TlsOptions& tls = *options_.tls;
    std::string cert_pem;
    std::string key_pem;
    if (tls.provider) {
      Result<std::pair<std::string, std::string>> provided = Error::make(Reason::kUnknown, "");
      try {
        provided = tls.provider();
      } catch (const std::exception& e) {
        return Error::make(Reason::kInternalError,
                           std::string("certificate provider threw: ") + e.what());
      }
      if (!provided.ok()) return provided.error();
      if (!initial && provided->first == provided_.first && provided->second == provided_.second) {
        return ok_status();
      }
      provided_ = *provided;
      cert_pem = provided->first;
      key_pem = provided->second;
    } else {
      std::array<FileStamp, 3> stamps = {stamp(tls.cert_file), stamp(tls.key_file),
                                         stamp(tls.client_ca_file)};
      if (!initial && stamps == stamps_) return ok_status();
      stamps_ = stamps;
      KUBE_ASSIGN_OR_RETURN(cert_pem, read_file(tls.cert_file));
      KUBE_ASSIGN_OR_RETURN(key_pem, read_file(tls.key_file));
    }
    std::string client_ca_pem;
    if (!tls.client_ca_file.empty()) {
      KUBE_ASSIGN_OR_RETURN(client_ca_pem, read_file(tls.client_ca_file));
    }
    KUBE_ASSIGN_OR_RETURN(tls::SslCtxPtr ctx, internal::make_server_context(
                                                  cert_pem, key_pem, client_ca_pem, options_.name));
    auto context = std::make_shared<net::ssl::context>(ctx.release());
    if (!initial) {
      // Counted before the swap: whoever sees the new certificate also sees the count.
      reloads_.fetch_add(1);
      std::lock_guard lock(error_mu_);
      last_error_.clear();
    }
    {
      std::lock_guard lock(ssl_mu_);
      ssl_ctx_ = std::move(context);
    }
    if (auto info = kube::tls::inspect_certificate(cert_pem); info.ok()) {
      log::info(initial ? "serving certificate loaded" : "serving certificate reloaded",
                {{"server", options_.name},
                 {"subject", info->subject_common_name},
                 {"notAfter", format_time(info->not_after)},
                 {"sha256", info->sha256_fingerprint}});
    }
    return ok_status();
  }

  void reload_loop() {
    const auto interval = options_.tls->reload_interval;
    std::unique_lock lock(reload_mu_);
    while (!reload_cv_.wait_for(lock, interval, [this] { return reload_stop_; })) {
      lock.unlock();
      auto result = load_certificate(/*initial=*/false);
      if (!result.ok()) {
        std::string message = result.error().message;
        bool repeated;
        {
          std::lock_guard elock(error_mu_);
          repeated = message == last_error_;
          last_error_ = message;
        }
        if (!repeated) {
          log::warn("serving certificate reload failed; keeping the current certificate",
                    {{"server", options_.name}, {"error", message}});
        }
      }
      lock.lock();
    }
  }

  std::shared_ptr<ServerState> state_;
  const ServerOptions& options_;
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  net::any_io_executor accept_executor_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::string url_;

  std::mutex stop_mu_;
  bool stopped_ = false;

  std::mutex ssl_mu_;
  std::shared_ptr<net::ssl::context> ssl_ctx_;
  std::thread reloader_;
  std::mutex reload_mu_;
  std::condition_variable reload_cv_;
  bool reload_stop_ = false;
  std::array<FileStamp, 3> stamps_{};
  std::pair<std::string, std::string> provided_;
  std::atomic<std::uint64_t> reloads_{0};
  mutable std::mutex error_mu_;
  std::string last_error_;
};

}  // namespace

Responder::Responder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Responder::Responder(Responder&&) noexcept = default;
Responder& Responder::operator=(Responder&&) noexcept = default;
Responder::~Responder() = default;

void Responder::send(Response response) {
  if (!impl_) return;
  impl_->send(std::move(response));
  impl_.reset();
}

std::shared_ptr<ChunkedStream> Responder::stream(int status, Headers headers,
                                                 std::string content_type) {
  if (!impl_) {
    auto closed = std::make_shared<StreamState>(std::weak_ptr<ConnectionBase>(), nullptr,
                                                std::make_shared<Gate>());
    closed->close_and_notify();
    return closed;
  }
  auto stream = impl_->stream(status, std::move(headers), std::move(content_type));
  impl_.reset();
  return stream;
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Handler handler) {
  if (!handler) return Error::make(Reason::kInvalid, "Server::start needs a handler");
  if (options.io_threads < 0) return Error::make(Reason::kInvalid, "io_threads must be >= 0");
  if (options.read_buffer_bytes < 1024) options.read_buffer_bytes = 1024;
  auto server = std::make_unique<ServerImpl>(std::move(options), std::move(handler));
  KUBE_RETURN_IF_ERROR(server->init());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace kube::http
