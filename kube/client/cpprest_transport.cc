// The only translation unit that includes cpprestsdk (and through it Boost.Asio and its SSL
// layer).
#include "kube/client/cpprest_transport.h"

#include <cpprest/http_client.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pplx/threadpool.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "kube/core/log.h"

namespace kube {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::client::http_client;
using web::http::client::http_client_config;

constexpr std::size_t kCpprestThreads = 2;

// ---- TLS material, parsed once and validated before any connection ----

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

BioPtr memory_bio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

Result<std::vector<X509Ptr>> parse_certificates(std::string_view pem, std::string_view what) {
  std::vector<X509Ptr> certs;
  BioPtr bio = memory_bio(pem);
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    certs.emplace_back(cert);
  }
  // Reading stops at the end of the data with a "no start line" error; only a failure before
  // any certificate matters.
  ERR_clear_error();
  if (certs.empty()) {
    return Error::parse(std::string(what) + " holds no PEM certificate");
  }
  return certs;
}

struct TlsMaterial {
  std::vector<X509Ptr> authorities;
  std::vector<X509Ptr> client_chain;  // leaf first
  PkeyPtr client_key;
};

Result<std::shared_ptr<const TlsMaterial>> load_tls(const Config& config) {
  auto material = std::make_shared<TlsMaterial>();
  if (!config.ca_pem.empty()) {
    KUBE_ASSIGN_OR_RETURN(material->authorities,
                          parse_certificates(config.ca_pem, "the certificate authority"));
  }
  if (!config.client_cert_pem.empty()) {
    KUBE_ASSIGN_OR_RETURN(material->client_chain,
                          parse_certificates(config.client_cert_pem, "the client certificate"));
    BioPtr bio = memory_bio(config.client_key_pem);
    material->client_key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!material->client_key) {
      return Error::parse("the client key is not a PEM private key: " + openssl_error());
    }
    if (X509_check_private_key(material->client_chain.front().get(), material->client_key.get()) !=
        1) {
      ERR_clear_error();
      return Error::parse("the client key does not match the client certificate");
    }
  }
  return std::shared_ptr<const TlsMaterial>(std::move(material));
}

// Runs for every new connection, on whichever thread opens it.
void configure_ssl(const TlsMaterial& tls, boost::asio::ssl::context& context) {
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (!tls.authorities.empty()) {
    // Only the configured authorities: cpprest loaded the system store first.
    X509_STORE* store = X509_STORE_new();
    for (const X509Ptr& ca : tls.authorities)
      X509_STORE_add_cert(store, ca.get());
    SSL_CTX_set_cert_store(ctx, store);
  }
  if (!tls.client_chain.empty()) {
    SSL_CTX_use_certificate(ctx, tls.client_chain.front().get());
    for (std::size_t i = 1; i < tls.client_chain.size(); ++i) {
      SSL_CTX_add1_chain_cert(ctx, tls.client_chain[i].get());
    }
    SSL_CTX_use_PrivateKey(ctx, tls.client_key.get());
  }
}

// ---- Reading response bodies as they arrive ----

// Pulls whatever the body's producer/consumer buffer holds, one block per lock instead of
// cpprest's byte-at-a-time read_line. Runs on the caller's thread; waiting is a blocking get()
// on a task that the I/O threads complete, never the other way round.
class BodyReader {
 public:
  explicit BodyReader(const http_response& response)
      : response_(response), buffer_(response.body().streambuf()) {}

  // Appends at least one byte to `out` and returns true, or returns false at the clean end of
  // the body. Errors: the exchange failed (connection lost, idle timeout, cancelled).
  Result<bool> read_some(std::string& out) {
    if (done_) return false;
    while (true) {
      std::uint8_t* data = nullptr;
      std::size_t size = 0;
      if (buffer_.acquire(data, size)) {
        if (data == nullptr || size == 0) return finish();
        out.append(reinterpret_cast<const char*>(data), size);
        buffer_.release(data, size);
        return true;
      }
      try {
        // Blocks until a byte is there (not consuming it) or the body ended.
        auto c = buffer_.getc().get();
        if (c == concurrency::streams::streambuf<std::uint8_t>::traits::eof()) return finish();
      } catch (const std::exception& e) {
        done_ = true;
        return Error::transport(e.what());
      }
      if (!buffer_.acquire(data, size) || data == nullptr || size == 0) {
        // No block to hand out although a byte is readable: take it the slow way.
        try {
          auto c = buffer_.bumpc().get();
          if (c == concurrency::streams::streambuf<std::uint8_t>::traits::eof()) return finish();
          out.push_back(static_cast<char>(c));
          return true;
        } catch (const std::exception& e) {
          done_ = true;
          return Error::transport(e.what());
        }
      }
      out.append(reinterpret_cast<const char*>(data), size);
      buffer_.release(data, size);
      return true;
    }
  }

 private:
  // End of data: either the response completed or the exchange failed after some bytes.
  Result<bool> finish() {
    done_ = true;
    try {
      if (std::exception_ptr failure = buffer_.exception()) std::rethrow_exception(failure);
      response_.content_ready().get();
    } catch (const std::exception& e) {
      return Error::transport(e.what());
    }
    return false;
  }

  http_response response_;
  concurrency::streams::streambuf<std::uint8_t> buffer_;
  bool done_ = false;
};

// One in-flight exchange: its cancellation and the link to the caller's CancelToken.
struct Exchange {
  pplx::cancellation_token_source cts;
  CancelToken::Registration registration;
  CancelToken caller;

  explicit Exchange(const CancelToken& token) : caller(token) {
    pplx::cancellation_token_source source = cts;
    registration = token.on_cancel([source]() mutable { source.cancel(); });
  }

  Error failure(const std::string& what, const std::string& target) const {
    if (caller.cancelled() || cts.get_token().is_canceled()) {
      return Error::make(Reason::kCancelled, "request cancelled: " + target);
    }
    return Error::transport(what + " (" + target + ")");
  }
};

std::string header(const http_response& response, const char* name) {
  auto it = response.headers().find(name);
  return it == response.headers().end() ? std::string() : it->second;
}

class CpprestLineReader final : public LineReader {
 public:
  CpprestLineReader(std::shared_ptr<http_client> client, std::unique_ptr<Exchange> exchange,
                    const http_response& response, std::string target, std::size_t max_line)
      : client_(std::move(client)),
        exchange_(std::move(exchange)),
        reader_(response),
        target_(std::move(target)),
        max_line_(max_line) {}

  ~CpprestLineReader() override {
    // Leaving mid-body: close the connection rather than let it drain into a dead buffer.
    if (!ended_) exchange_->cts.cancel();
  }

  Result<std::optional<std::string_view>> next_line() override {
    while (true) {
      std::size_t newline = buffer_.find('\n', scanned_);
      if (newline != std::string::npos) {
        std::string_view line(buffer_.data() + start_, newline - start_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        start_ = newline + 1;
        scanned_ = start_;
        return std::optional<std::string_view>(line);
      }
      scanned_ = buffer_.size();
      if (ended_) {
        if (start_ < buffer_.size()) {
          std::string_view last(buffer_.data() + start_, buffer_.size() - start_);
          start_ = scanned_ = buffer_.size();
          return std::optional<std::string_view>(last);
        }
        return std::optional<std::string_view>();
      }
      if (buffer_.size() - start_ > max_line_) {
        exchange_->cts.cancel();
        ended_ = true;
        return Error::make(Reason::kRequestEntityTooLarge,
                           "a line of the response exceeds " + std::to_string(max_line_) +
                               " bytes (" + target_ + ")",
                           413);
      }
      // Drop consumed lines before reading more, so the buffer holds about one line.
      if (start_ > 0) {
        buffer_.erase(0, start_);
        scanned_ -= start_;
        start_ = 0;
      }
      auto more = reader_.read_some(buffer_);
      if (!more.ok()) {
        ended_ = true;
        return exchange_->failure(more.error().message, target_);
      }
      if (!*more) ended_ = true;
    }
  }

  void cancel() override { exchange_->cts.cancel(); }

 private:
  std::shared_ptr<http_client> client_;  // a per-stream client (its own idle timeout)
  std::unique_ptr<Exchange> exchange_;
  BodyReader reader_;
  std::string target_;
  std::size_t max_line_;
  std::string buffer_;
  std::size_t start_ = 0;    // first byte of the next line
  std::size_t scanned_ = 0;  // bytes already searched for '\n'
  bool ended_ = false;
};

class CpprestTransport final : public Transport {
 public:
  CpprestTransport(std::string server, std::shared_ptr<const TlsMaterial> tls, bool insecure,
                   std::string tls_server_name, TransportOptions options)
      : server_(std::move(server)),
        tls_(std::move(tls)),
        insecure_(insecure),
        host_override_(std::move(tls_server_name)),
        options_(options),
        default_client_(make_client(options.timeout)) {}

  Result<HttpResponse> send(const HttpRequest& request, const CancelToken& cancel) override {
    std::shared_ptr<http_client> client = client_for(request);
    auto exchange = std::make_unique<Exchange>(cancel);
    KUBE_ASSIGN_OR_RETURN(http_response response, start(*client, request, *exchange));
    HttpResponse out = head_of(response);
    KUBE_RETURN_IF_ERROR(read_body(response, out.body, request.target, *exchange));
    return out;
  }

  Result<Stream> stream(const HttpRequest& request, const CancelToken& cancel) override {
    std::shared_ptr<http_client> client = client_for(request);
    auto exchange = std::make_unique<Exchange>(cancel);
    KUBE_ASSIGN_OR_RETURN(http_response response, start(*client, request, *exchange));
    Stream result;
    result.response = head_of(response);
    if (result.response.status < 200 || result.response.status > 299) {
      KUBE_RETURN_IF_ERROR(read_body(response, result.response.body, request.target, *exchange));
      return result;
    }
    result.lines = std::make_unique<CpprestLineReader>(
        std::move(client), std::move(exchange), response, request.target, options_.max_line_bytes);
    return result;
  }

 private:
  std::shared_ptr<http_client> make_client(std::chrono::milliseconds timeout) const {
    http_client_config config;
    config.set_timeout(timeout);
    config.set_validate_certificates(!insecure_);
    std::shared_ptr<const TlsMaterial> tls = tls_;
    config.set_ssl_context_callback(
        [tls](boost::asio::ssl::context& context) { configure_ssl(*tls, context); });
    return std::make_shared<http_client>(web::uri(server_), config);
  }

  // Requests with their own idle timeout (watches) get a client of their own: the timeout is
  // a property of cpprest's client, not of a request.
  std::shared_ptr<http_client> client_for(const HttpRequest& request) const {
    if (request.timeout.count() == 0 || request.timeout == options_.timeout) return default_client_;
    return make_client(request.timeout);
  }

  Result<http_response> start(http_client& client, const HttpRequest& request,
                              Exchange& exchange) const {
    http_request message(request.method);
    try {
      message.set_request_uri(web::uri(request.target));
    } catch (const std::exception& e) {
      return Error::make(Reason::kBadRequest,
                         "invalid request target \"" + request.target + "\": " + e.what());
    }
    for (const auto& [name, value] : request.headers)
      message.headers().add(name, value);
    // The certificate must carry tls-server-name; cpprest verifies (and sends as SNI) the Host
    // header's name when one is set.
    if (!host_override_.empty()) message.headers().add("Host", host_override_);
    if (!request.body.empty()) {
      message.set_body(request.body,
                       request.content_type.empty() ? "application/json" : request.content_type);
    }
    try {
      return client.request(message, exchange.cts.get_token()).get();
    } catch (const std::exception& e) {
      return exchange.failure(e.what(), request.method + " " + request.target);
    }
  }

  static HttpResponse head_of(const http_response& response) {
    HttpResponse out;
    out.status = response.status_code();
    out.content_type = header(response, "Content-Type");
    out.retry_after = header(response, "Retry-After");
    out.warning = header(response, "Warning");
    return out;
  }

  Status read_body(const http_response& response, std::string& body, const std::string& target,
                   Exchange& exchange) const {
    BodyReader reader(response);
    while (true) {
      auto more = reader.read_some(body);
      if (!more.ok()) return exchange.failure(more.error().message, target);
      if (!*more) return ok_status();
      if (body.size() > options_.max_body_bytes) {
        exchange.cts.cancel();
        return Error::make(Reason::kRequestEntityTooLarge,
                           "response body of " + target + " exceeds " +
                               std::to_string(options_.max_body_bytes) + " bytes",
                           413);
      }
    }
  }

  std::string server_;
  std::shared_ptr<const TlsMaterial> tls_;
  bool insecure_;
  std::string host_override_;
  TransportOptions options_;
  std::shared_ptr<http_client> default_client_;
};

}  // namespace

void init_cpprest() {
  static std::once_flag once;
  std::call_once(once, [] {
    // OpenSSL frees its per-thread state when a thread exits, but only until its own exit
    // handler has run. Initialising it first makes that handler run after the pool's threads
    // were joined (exit handlers run in reverse order), so their TLS state is released.
    OPENSSL_init_ssl(0, nullptr);
    try {
      crossplat::threadpool::initialize_with_threads(kCpprestThreads);
    } catch (const std::exception&) {
      log::warn("cpprestsdk's thread pool was initialised before Berth's client; keeping its size");
    }
  });
}

Result<std::shared_ptr<Transport>> make_cpprest_transport(const Config& config,
                                                          const TransportOptions& options) {
  init_cpprest();
  if (config.server.empty()) return Error::parse("no API server URL in " + config.source);
  KUBE_ASSIGN_OR_RETURN(std::shared_ptr<const TlsMaterial> tls, load_tls(config));
  try {
    web::uri uri(config.server);
    if (uri.scheme() != "https" && uri.scheme() != "http") {
      return Error::parse("API server URL \"" + config.server + "\" is not http(s)");
    }
    // cpprest resolves the host with its brackets kept, which no resolver accepts.
    if (!uri.host().empty() && uri.host().front() == '[') {
      return Error::parse("API server URL \"" + config.server +
                          "\": cpprestsdk cannot connect to IPv6 address literals; use a DNS name "
                          "(in a cluster: kubernetes.default.svc)");
    }
  } catch (const std::exception& e) {
    return Error::parse("invalid API server URL \"" + config.server + "\": " + e.what());
  }
  try {
    return std::shared_ptr<Transport>(std::make_shared<CpprestTransport>(
        config.server, std::move(tls), config.insecure_skip_tls_verify, config.tls_server_name,
        options));
  } catch (const std::exception& e) {
    return Error::transport("cannot set up an HTTP client for " + config.server + ": " + e.what());
  }
}

}  // namespace kube
