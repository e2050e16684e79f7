#include "kube/http/client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "kube/core/log.h"
#include "kube/http/server.h"
#include "tests/support/wait.h"

namespace kube::http {
namespace {

using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kTimeout = seconds(10);

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override {
    {
      std::lock_guard lock(mu_);
      held_.clear();
      for (auto& s : streams_)
        s->finish();
    }
    server_.reset();
    for (auto& t : threads_)
      t.join();
  }

  void start(ServerOptions options) {
    server_.reset();
    auto server = Server::start(std::move(options), [this](Request&& r, Responder res) {
      std::string_view path = r.path();
      if (path == "/remote") {
        res.send(Response::text(200, r.remote_address));
      } else if (path == "/size") {
        res.send(Response::text(200, std::string(std::stoul(r.query_param("n")), 'z')));
      } else if (path == "/hang") {
        std::lock_guard lock(mu_);
        held_.push_back(std::move(res));
      } else if (path == "/chunks") {
        // Chunk boundaries deliberately differ from line boundaries.
        auto stream = res.stream(200, {}, "application/json");
        stream->write("a\nb");
        stream->write("c\n");
        stream->write("d\r\ne\n");
        stream->write("tail-without-newline");
        stream->finish();
      } else if (path == "/trickle") {
        auto stream = res.stream(200, {}, "application/json");
        stream->write("one\n");
        std::lock_guard lock(mu_);
        streams_.push_back(stream);  // stays open without data
      } else if (path == "/endless") {
        auto stream = res.stream(200, {}, "application/json");
        std::lock_guard lock(mu_);
        threads_.emplace_back([stream] {
          for (int i = 0; stream->write("line " + std::to_string(i) + "\n"); ++i) {
            // Back-pressure: wait until the previous lines drained before queuing more.
            wait_for([&] { return stream->pending_bytes() < 4096 || stream->closed(); });
          }
        });
      } else if (path == "/gone") {
        res.send(Response::json(410, R"({"kind":"Status","code":410})"));
      } else {
        res.send(Response::text(200, r.method + " " + r.body));
      }
    });
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  std::string url(std::string_view path) { return server_->url() + std::string(path); }

  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::vector<Responder> held_;
  std::vector<std::shared_ptr<ChunkedStream>> streams_;
  std::vector<std::thread> threads_;
};

TEST_F(ClientTest, PostsAndReadsContentLengthAndChunkedBodies) {
  Client client;
  auto r = client.post_json(url("/echo"), R"({"a":1})", kTimeout);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"(POST {"a":1})");

  auto chunked = client.get(url("/chunks"), kTimeout);
  ASSERT_TRUE(chunked.ok()) << chunked.error().to_string();
  EXPECT_EQ(chunked->body, "a\nbc\nd\r\ne\ntail-without-newline");
  EXPECT_EQ(chunked->headers.get("Transfer-Encoding"), "chunked");

  auto big = client.get(url("/size?n=300000"), kTimeout);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->body.size(), 300000u);
}

TEST_F(ClientTest, ReusesConnectionsAndSurvivesServerSideIdleClose) {
  ServerOptions options;
  options.idle_timeout = milliseconds(100);
  start(options);
  std::mutex log_mu;
  bool idle_closed = false;
  log::set_verbosity(3);
  log::set_sink([&](std::string_view line) {
    if (line.find("closed connection on timeout") != std::string_view::npos) {
      std::lock_guard lock(log_mu);
      idle_closed = true;
    }
  });
  Client client;
  auto a = client.get(url("/remote"), kTimeout);
  auto b = client.get(url("/remote"), kTimeout);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->body, b->body);  // pooled
  EXPECT_TRUE(wait_for([&] {
    std::lock_guard lock(log_mu);
    return idle_closed;
  }));
  // The pooled connection is now closed by the server; the client notices and reconnects.
  auto c = client.post_json(url("/remote"), "{}", kTimeout);
  log::set_sink(nullptr);
  log::set_verbosity(0);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->status, 200);
  EXPECT_NE(c->body, a->body);
}

// A scripted peer for the stale-connection race: it answers the first request, then reads the
// second one on the same connection and closes without answering, as a server does when its
// idle timeout fires just as a request arrives. Later connections get "fresh".
class ClosingPeer {
 public:
  ClosingPeer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(listener_, 4);
    socklen_t len = sizeof(addr);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ClosingPeer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int accepted() const { return accepted_; }

 private:
  static bool read_request(int fd) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
    }
    auto cl = in.find("Content-Length: ");
    std::size_t want =
        in.find("\r\n\r\n") + 4 + (cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16)));
    while (in.size() < want) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  static void reply(int fd, std::string_view body) {
    std::string r = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + std::string(body);
    ::send(fd, r.data(), r.size(), MSG_NOSIGNAL);
  }
  void run() {
    for (bool first = true;; first = false) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ++accepted_;
      if (first) {
        if (read_request(fd)) reply(fd, "first");
        read_request(fd);  // the request that meets a closing connection
      } else {
        while (read_request(fd))
          reply(fd, "fresh");
      }
      ::close(fd);
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

TEST(ClientRetry, IdempotentRequestIsRetriedOnceOnAStaleConnection) {
  ClosingPeer peer;
  Client client;
  auto first = client.get(peer.url(), kTimeout);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->body, "first");
  auto second = client.get(peer.url(), kTimeout);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(second->body, "fresh");
  EXPECT_EQ(peer.accepted(), 2);
}

TEST(ClientRetry, PostIsNotRetriedOnAStaleConnection) {
  ClosingPeer peer;
  Client client;
  ASSERT_TRUE(client.post_json(peer.url(), "{}", kTimeout).ok());
  auto second = client.post_json(peer.url(), "{}", kTimeout);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().reason, Reason::kTransport);
  EXPECT_EQ(peer.accepted(), 1);
}

TEST_F(ClientTest, TimeoutIsReportedAndTheClientRecovers) {
  Client client;
  auto start = std::chrono::steady_clock::now();
  auto r = client.get(url("/hang"), milliseconds(200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kTimeout);
  EXPECT_NE(r.error().message.find("timed out after 200ms"), std::string::npos)
      << r.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  auto next = client.get(url("/remote"), kTimeout);
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->status, 200);
}

TEST_F(ClientTest, UnreachablePortIsATransportError) {
  // A port that was just free: bind, read it back, close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);

  Client client;
  auto r = client.get("http://127.0.0.1:" + std::to_string(port) + "/x", kTimeout);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kTransport);
  EXPECT_NE(r.error().message.find("connect"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(std::to_string(port)), std::string::npos);
}

TEST_F(ClientTest, RejectsBadUrlsAndHeaders) {
  Client client;
  for (std::string bad : {"ftp://x/", "http://", "http://host:0/", "http://[::1/", "nohost"}) {
    auto r = client.get(bad, kTimeout);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().reason, Reason::kInvalid) << bad;
  }
  Headers evil;
  evil.add("X-Evil", "a\r\nInjected: 1");
  auto r = client.request("GET", url("/remote"), evil, {}, kTimeout);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kInvalid);
}

TEST_F(ClientTest, ResponseSizeIsBounded) {
  ClientOptions options;
  options.max_response_bytes = 1000;
  Client client(options);
  auto ok = client.get(url("/size?n=1000"), kTimeout);
  ASSERT_TRUE(ok.ok());
  auto r = client.get(url("/size?n=5000"), kTimeout);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kTransport);
  EXPECT_NE(r.error().message.find("exceeds 1000 bytes"), std::string::npos);
}

TEST_F(ClientTest, StreamLinesSplitsAcrossChunks) {
  Client client;
  std::vector<std::string> lines;
  auto r = client.stream_lines(
      "GET", url("/chunks"), {},
      [&](std::string_view line) {
        lines.emplace_back(line);
        return true;
      },
      kTimeout);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "bc", "d", "e", "tail-without-newline"}));
  // The connection went back to the pool after a complete stream.
  auto again = client.get(url("/remote"), kTimeout);
  ASSERT_TRUE(again.ok());
}

TEST_F(ClientTest, StreamLinesStopsWhenAsked) {
  Client client;
  int seen = 0;
  auto r = client.stream_lines(
      "GET", url("/endless"), {},
      [&](std::string_view line) {
        EXPECT_EQ(line, "line " + std::to_string(seen));
        return ++seen < 100;
      },
      kTimeout);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(seen, 100);
}

TEST_F(ClientTest, StreamLinesIdleTimeoutAndErrorStatus) {
  Client client;
  std::vector<std::string> lines;
  auto r = client.stream_lines(
      "GET", url("/trickle"), {},
      [&](std::string_view line) {
        lines.emplace_back(line);
        return true;
      },
      milliseconds(200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kTimeout);
  EXPECT_EQ(lines, std::vector<std::string>{"one"});

  bool called = false;
  auto gone = client.stream_lines(
      "GET", url("/gone"), {},
      [&](std::string_view) {
        called = true;
        return true;
      },
      kTimeout);
  ASSERT_TRUE(gone.ok()) << gone.error().to_string();
  EXPECT_EQ(gone->status, 410);
  EXPECT_EQ(gone->body, R"({"kind":"Status","code":410})");
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace kube::http
