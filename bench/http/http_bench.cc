// Sequential round trips of a ~1 KB JSON POST over one keep-alive connection, the pattern
// kube-scheduler uses with an extender: Berth's server over plain TCP and TLS, against the
// floor of a blocking loopback TCP echo of the same bytes. The client side is a minimal
// blocking socket (and OpenSSL for TLS) so the numbers are dominated by the server; one more
// case uses kube::http::Client to show what the library client adds.
//
// Counters: p50_us/p99_us per round trip, cpu_us_per_req = CPU of the whole process (client
// and server threads) per request, items_per_second = requests per second.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/http/bench_support.h"
#include "kube/http/client.h"
#include "kube/http/server.h"

namespace berth::bench {
namespace {

using Clock = std::chrono::steady_clock;

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Collects one latency per round trip and reports percentiles when the run ends.
class Recorder {
 public:
  explicit Recorder(benchmark::State& state) : state_(state) {
    samples_.reserve(1 << 20);
    cpu_start_ = process_cpu_seconds();
  }
  ~Recorder() {
    double cpu = process_cpu_seconds() - cpu_start_;
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) {
      return samples_[std::min(samples_.size() - 1, static_cast<std::size_t>(q * samples_.size()))];
    };
    state_.counters["p50_us"] = at(0.50);
    state_.counters["p99_us"] = at(0.99);
    state_.counters["cpu_us_per_req"] = cpu / static_cast<double>(samples_.size()) * 1e6;
    state_.SetItemsProcessed(static_cast<std::int64_t>(samples_.size()));
  }
  template <typename Fn>
  void time(Fn&& fn) {
    auto start = Clock::now();
    fn();
    samples_.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }

 private:
  benchmark::State& state_;
  std::vector<double> samples_;
  double cpu_start_ = 0;
};

int connect_loopback(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    throw std::runtime_error("connect failed");
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// A blocking HTTP/1.1 client over a socket or OpenSSL: writes a prepared request and reads
// one Content-Length response.
class RawClient {
 public:
  RawClient(std::uint16_t port, bool tls) : fd_(connect_loopback(port)) {
    if (!tls) return;
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) throw std::runtime_error("TLS handshake failed");
  }
  ~RawClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    ::close(fd_);
  }

  void write_all(std::string_view data) {
    while (!data.empty()) {
      long n = ssl_ != nullptr ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                               : ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("write failed");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Returns the body of one response.
  std::string read_response() {
    std::size_t head_end;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos)
      fill();
    std::size_t length = 0;
    auto cl = in_.find("Content-Length: ");
    if (cl != std::string::npos && cl < head_end) length = std::stoul(in_.substr(cl + 16));
    std::size_t total = head_end + 4 + length;
    while (in_.size() < total)
      fill();
    std::string body = in_.substr(head_end + 4, length);
    in_.erase(0, total);
    return body;
  }

  std::string read_exact(std::size_t n) {
    while (in_.size() < n)
      fill();
    std::string out = in_.substr(0, n);
    in_.erase(0, n);
    return out;
  }

 private:
  void fill() {
    char buf[65536];
    long n = ssl_ != nullptr ? SSL_read(ssl_, buf, sizeof(buf)) : ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) throw std::runtime_error("read failed");
    in_.append(buf, static_cast<std::size_t>(n));
  }

  int fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string in_;
};

std::string post_request(const std::string& body) {
  return "POST /filter HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Accept: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::unique_ptr<kube::http::Server> start_server(std::shared_ptr<kube::http::TlsOptions> tls) {
  kube::http::ServerOptions options;
  options.tls = std::move(tls);
  auto server = kube::http::Server::start(options, echo_handler());
  if (!server.ok()) throw std::runtime_error(server.error().to_string());
  return std::move(*server);
}

void round_trips(benchmark::State& state, bool tls) {
  TempCertificate cert;
  if (tls) cert = make_temp_certificate();
  auto server = start_server(tls ? cert.tls : nullptr);
  const std::string body = small_json_body();
  const std::string request = post_request(body);
  {
    RawClient client(server->port(), tls);
    Recorder recorder(state);
    for (auto _ : state) {
      recorder.time([&] {
        client.write_all(request);
        if (client.read_response().size() != body.size()) state.SkipWithError("short response");
      });
    }
  }
  server->stop();
  if (!cert.dir.empty()) std::filesystem::remove_all(cert.dir);
}

void BM_BerthServerPlain(benchmark::State& state) {
  round_trips(state, false);
}
void BM_BerthServerTls(benchmark::State& state) {
  round_trips(state, true);
}

// The same round trip through kube::http::Client (pooled connection, Beast parser, deadline).
void BM_BerthServerPlainWithKubeClient(benchmark::State& state) {
  auto server = start_server(nullptr);
  const std::string body = small_json_body();
  const std::string url = server->url() + "/filter";
  {
    kube::http::Client client;
    Recorder recorder(state);
    for (auto _ : state) {
      recorder.time([&] {
        auto r = client.post_json(url, body, std::chrono::seconds(5));
        if (!r.ok() || r->body.size() != body.size()) state.SkipWithError("request failed");
      });
    }
  }
  server->stop();
}

// The floor: a thread echoing exactly the request's bytes over a blocking loopback socket.
void BM_TcpEchoFloor(benchmark::State& state) {
  const std::string request = post_request(small_json_body());
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(listener, 1);
  socklen_t len = sizeof(addr);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread echo([listener, n = request.size()] {
    int fd = ::accept(listener, nullptr, nullptr);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::string buf(n, '\0');
    while (true) {
      std::size_t got = 0;
      while (got < n) {
        long r = ::recv(fd, buf.data() + got, n - got, 0);
        if (r <= 0) {
          ::close(fd);
          return;
        }
        got += static_cast<std::size_t>(r);
      }
      if (::send(fd, buf.data(), n, MSG_NOSIGNAL) != static_cast<long>(n)) break;
    }
    ::close(fd);
  });
  {
    RawClient client(ntohs(addr.sin_port), false);
    Recorder recorder(state);
    for (auto _ : state) {
      recorder.time([&] {
        client.write_all(request);
        client.read_exact(request.size());
      });
    }
  }
  echo.join();
  ::close(listener);
}

BENCHMARK(BM_TcpEchoFloor)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_BerthServerPlain)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_BerthServerTls)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_BerthServerPlainWithKubeClient)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace berth::bench

BENCHMARK_MAIN();
