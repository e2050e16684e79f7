#include "kube/http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "kube/http/client.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/http/test_peer.h"

namespace kube::http {
namespace {

using berth::testing::RawConnection;
using berth::testing::RawResponse;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kTimeout = seconds(10);

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

// Routes used across the tests. Responders that a test wants to hold are parked in `held`.
class ServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads)
      t.join();
  }

  template <typename Fn>
  void spawn(Fn&& fn) {
    std::lock_guard lock(mu_);
    threads_.emplace_back(std::forward<Fn>(fn));
  }

  void start(ServerOptions options = {}) {
    auto server = Server::start(std::move(options), [this](Request&& r, Responder res) {
      handle(std::move(r), std::move(res));
    });
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  void handle(Request&& r, Responder res) {
    std::string_view path = r.path();
    if (path == "/echo") {
      std::string out = r.method + "|" + std::string(path) + "|" + r.query_param("b") + "|" +
                        std::string(r.headers.get("x-test")) + "|" + r.body;
      Response resp = Response::text(200, out);
      resp.headers.add("X-Remote", r.remote_address);
      res.send(std::move(resp));
    } else if (path == "/fast") {
      res.send(Response::json(200, R"({"ok":true})"));
    } else if (path == "/remote") {
      res.send(Response::text(200, r.remote_address));
    } else if (path == "/throw") {
      throw std::runtime_error("handler failure");
    } else if (path == "/drop") {
      // The Responder goes out of scope unanswered.
    } else if (path == "/later") {
      std::string value = r.query_param("i");
      spawn([res = std::move(res), value]() mutable { res.send(Response::text(200, value)); });
    } else if (path == "/hold") {
      std::lock_guard lock(mu_);
      held_.push_back(std::move(res));
    } else if (path == "/stream") {
      int n = std::stoi(r.query_param("n"));
      auto stream = res.stream(200, {}, "application/json");
      spawn([stream, n] {
        for (int i = 0; i < n; ++i)
          stream->write("event-" + std::to_string(i) + "\n");
        stream->finish();
      });
    } else if (path == "/dropped-stream") {
      auto stream = res.stream(200, {}, "application/json");
      stream->write("only\n");
      // No finish(): releasing the handle ends the body.
    } else if (path == "/open-stream") {
      auto stream = res.stream(200, {}, "application/json");
      stream->on_close([this] { stream_closed_ = true; });
      stream->write("first\n");
      std::lock_guard lock(mu_);
      streams_.push_back(stream);
    } else if (path == "/inject") {
      Response resp = Response::text(200, "ok");
      resp.headers.add("X-Bad", "a\r\nInjected: 1");
      resp.headers.add("X-Good", "fine");
      res.send(std::move(resp));
    } else {
      res.send(Response::text(404, "no route"));
    }
  }

  std::size_t held_count() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  Responder take_held() {
    std::lock_guard lock(mu_);
    Responder r = std::move(held_.front());
    held_.erase(held_.begin());
    return r;
  }

  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::vector<Responder> held_;
  std::vector<std::shared_ptr<ChunkedStream>> streams_;
  std::atomic<bool> stream_closed_{false};
  std::vector<std::thread> threads_;
};

TEST_F(ServerTest, RoutesMethodTargetQueryHeadersAndBody) {
  start();
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(server_->port()));
  Client client;
  Headers headers;
  headers.add("X-Test", "header-value");
  auto r =
      client.request("PUT", server_->url() + "/echo?a=1&b=x%20y", headers, "the body", kTimeout);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "PUT|/echo|x y|header-value|the body");
  EXPECT_EQ(r->content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r->headers.get("X-Remote").substr(0, 10), "127.0.0.1:");

  auto missing = client.get(server_->url() + "/nowhere", kTimeout);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_FALSE(missing->headers.get("Date").empty());
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  start();
  Client client;
  std::string first;
  for (int i = 0; i < 5; ++i) {
    auto r = client.get(server_->url() + "/remote", kTimeout);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    if (i == 0) first = r->body;
    EXPECT_EQ(r->body, first) << "request " << i << " used a new connection";
  }
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  // The handler answers from other threads; order must still follow the requests.
  ASSERT_TRUE(conn->send(get("/later?i=1") + get("/later?i=2") + get("/fast") + get("/later?i=3")));
  for (std::string expected : {"1", "2", R"({"ok":true})", "3"}) {
    auto r = conn->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, expected);
  }
}

TEST_F(ServerTest, OversizedBodyGets413AndServerKeepsServing) {
  start();
  // Declared length over the 3 MiB default: answered from the headers, body never read.
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4194304\r\n\r\nabc"));
  auto r = conn->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(conn->wait_closed());

  // A client that really sends 4 MiB also reads the 413.
  Client client;
  auto big =
      client.request("POST", server_->url() + "/echo", {}, std::string(4 << 20, 'x'), kTimeout);
  ASSERT_TRUE(big.ok()) << big.error().to_string();
  EXPECT_EQ(big->status, 413);

  // A chunked body that grows past the limit is cut off as well.
  auto chunked = RawConnection::open(server_->port());
  ASSERT_TRUE(chunked);
  std::string piece(1 << 20, 'y');
  std::string request = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i)
    request += "100000\r\n" + piece + "\r\n";
  chunked->send(request);
  auto cr = chunked->read_response();
  ASSERT_TRUE(cr);
  EXPECT_EQ(cr->status, 413);

  auto after = Client().get(server_->url() + "/fast", kTimeout);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

TEST_F(ServerTest, GarbageGets400AndClose) {
  start();
  for (std::string garbage :
       {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        // Request smuggling: two framings for one body.
        "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"}) {
    auto conn = RawConnection::open(server_->port());
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->send(garbage));
    auto r = conn->read_response();
    ASSERT_TRUE(r) << garbage;
    EXPECT_EQ(r->status, 400) << garbage;
    EXPECT_TRUE(conn->wait_closed());
  }
  EXPECT_EQ(Client().get(server_->url() + "/fast", kTimeout)->status, 200);
}

TEST_F(ServerTest, OversizedHeadersGet431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  start(options);
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send(get("/fast", "X-Big: " + std::string(2000, 'a') + "\r\n")));
  auto r = conn->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(conn->wait_closed());
}

TEST_F(ServerTest, ErrorResponsesUseTheConfiguredBuilder) {
  ServerOptions options;
  options.error_response = [](int status, std::string_view message) {
    return Response::json(status, R"({"kind":"Status","code":)" + std::to_string(status) +
                                      R"(,"message":")" + std::string(message) + "\"}");
  };
  start(options);
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send("NOT HTTP\r\n\r\n"));
  auto r = conn->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_NE(r->body.find(R"("code":400)"), std::string::npos) << r->body;

  auto thrown = Client().get(server_->url() + "/throw", kTimeout);
  ASSERT_TRUE(thrown.ok());
  EXPECT_EQ(thrown->status, 500);
  EXPECT_NE(thrown->body.find(R"("code":500)"), std::string::npos);
}

TEST_F(ServerTest, SilentConnectionIsClosedAfterHeaderTimeout) {
  ServerOptions options;
  options.header_timeout = milliseconds(150);
  start(options);
  auto silent = RawConnection::open(server_->port());
  auto slow = RawConnection::open(server_->port());
  ASSERT_TRUE(silent && slow);
  ASSERT_TRUE(slow->send("GET /fast HTTP/1.1\r\nHost: "));  // never completes its headers
  EXPECT_TRUE(silent->wait_closed());
  EXPECT_TRUE(slow->wait_closed());
  // A prompt client is unaffected.
  EXPECT_EQ(Client().get(server_->url() + "/fast", kTimeout)->status, 200);
}

TEST_F(ServerTest, SlowHandlerOutlivesTheReadTimeouts) {
  ServerOptions options;
  options.header_timeout = milliseconds(100);
  options.body_timeout = milliseconds(100);
  start(options);
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send("POST /hold HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi"));
  ASSERT_TRUE(wait_for([&] { return held_count() == 1; }));
  // A connection opened now is closed by the header timeout: that much time has passed.
  auto witness = RawConnection::open(server_->port());
  ASSERT_TRUE(witness);
  ASSERT_TRUE(witness->wait_closed());
  take_held().send(Response::text(200, "slow but fine"));
  auto r = conn->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow but fine");
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = milliseconds(150);
  start(options);
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send(get("/fast")));
  auto r = conn->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(conn->wait_closed());
}

TEST_F(ServerTest, HandlerThatThrowsGets500AndConnectionKeepsWorking) {
  start();
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send(get("/throw")));
  auto r = conn->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find("handler failure"), std::string::npos);  // no internals leaked
  ASSERT_TRUE(conn->send(get("/fast")));
  auto next = conn->read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerTest, DroppedResponderGets500) {
  start();
  auto r = Client().get(server_->url() + "/drop", kTimeout);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);

  // Dropped later, on another thread.
  Client client;
  std::thread caller([&] {
    auto held = client.get(server_->url() + "/hold", kTimeout);
    ASSERT_TRUE(held.ok());
    EXPECT_EQ(held->status, 500);
  });
  ASSERT_TRUE(wait_for([&] { return held_count() == 1; }));
  std::thread([r = take_held()]() mutable { Responder gone = std::move(r); }).join();
  caller.join();
}

TEST_F(ServerTest, ResponderAnsweredFromAnotherThread) {
  start();
  Client client;
  std::thread caller([&] {
    auto r = client.get(server_->url() + "/hold", kTimeout);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, 202);
    EXPECT_EQ(r->body, "from a worker");
  });
  ASSERT_TRUE(wait_for([&] { return held_count() == 1; }));
  std::thread worker([r = take_held()]() mutable {
    r.send(Response::text(202, "from a worker"));
    r.send(Response::text(500, "a second answer is ignored"));
  });
  worker.join();
  caller.join();
}

TEST_F(ServerTest, ChunkedStreamKeepsOrderThenConnectionIsReused) {
  start();
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  constexpr int kChunks = 500;
  ASSERT_TRUE(conn->send(get("/stream?n=" + std::to_string(kChunks))));
  auto head = conn->read_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->chunked);
  EXPECT_EQ(head->header("Content-Type"), "application/json");
  for (int i = 0; i < kChunks; ++i) {
    auto chunk = conn->read_chunk();
    ASSERT_TRUE(chunk);
    ASSERT_EQ(*chunk, "event-" + std::to_string(i) + "\n");  // one HTTP chunk per write()
  }
  auto last = conn->read_chunk();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, "");
  ASSERT_TRUE(conn->read_chunk(milliseconds(0)) == std::nullopt);  // trailer CRLF consumed
  ASSERT_TRUE(conn->send(get("/fast")));
  auto next = conn->read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerTest, DroppedStreamHandleFinishesTheStream) {
  start();
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send(get("/dropped-stream")));
  auto r = conn->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->chunks, std::vector<std::string>{"only\n"});
  ASSERT_TRUE(conn->send(get("/fast")));
  auto next = conn->read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerTest, StreamOnCloseFiresWhenPeerDisconnects) {
  start();
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send(get("/open-stream")));
  ASSERT_TRUE(conn->read_head());
  auto first = conn->read_chunk();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "first\n");
  std::shared_ptr<ChunkedStream> stream;
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(streams_.size(), 1u);
    stream = streams_.front();
  }
  EXPECT_FALSE(stream->closed());
  EXPECT_FALSE(stream_closed_);
  conn->close();
  ASSERT_TRUE(wait_for([&] { return stream_closed_.load(); }));
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->write("more\n"));
  bool late = false;
  stream->on_close([&] { late = true; });  // registered after closing: runs at once
  EXPECT_TRUE(late);
}

TEST_F(ServerTest, StopDrainsInFlightRequestsAnswers503AndClosesStreams) {
  start();
  // A live keep-alive connection, an open stream and an in-flight request.
  auto idle = RawConnection::open(server_->port());
  ASSERT_TRUE(idle);
  ASSERT_TRUE(idle->send(get("/fast")));
  ASSERT_TRUE(idle->read_response());
  auto watcher = RawConnection::open(server_->port());
  ASSERT_TRUE(watcher);
  ASSERT_TRUE(watcher->send(get("/open-stream")));
  ASSERT_TRUE(watcher->read_head());
  Client client;
  Result<Response> slow = Error::make(Reason::kUnknown, "not run");
  std::thread caller([&] { slow = client.get(server_->url() + "/hold", kTimeout); });
  ASSERT_TRUE(wait_for([&] { return held_count() == 1; }));

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server_->stop(seconds(20));
    stopped = true;
  });
  // Stopping: new connections are refused, requests on live connections get 503.
  ASSERT_TRUE(wait_for([&] { return !RawConnection::open(server_->port()).has_value(); }));
  ASSERT_TRUE(idle->send(get("/fast")));
  auto refused = idle->read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("Connection"), "close");
  EXPECT_FALSE(stopped);
  EXPECT_FALSE(stream_closed_);  // streams do not hold up the drain, but stay until the end

  take_held().send(Response::text(200, "finished while draining"));
  caller.join();
  ASSERT_TRUE(slow.ok()) << slow.error().to_string();
  EXPECT_EQ(slow->status, 200);
  EXPECT_EQ(slow->body, "finished while draining");
  stopper.join();
  EXPECT_TRUE(stream_closed_);
  EXPECT_TRUE(watcher->wait_closed());
  server_->stop();  // idempotent
}

TEST_F(ServerTest, StopGivesUpOnRequestsThatOutliveTheDrain) {
  start();
  Client client;
  Result<Response> result = Error::make(Reason::kUnknown, "not run");
  std::thread caller([&] { result = client.get(server_->url() + "/hold", kTimeout); });
  ASSERT_TRUE(wait_for([&] { return held_count() == 1; }));
  server_->stop(milliseconds(50));
  caller.join();
  EXPECT_FALSE(result.ok());
  take_held().send(Response::text(200, "too late"));  // harmless after stop
}

TEST_F(ServerTest, Http10HeadAndExpectContinue) {
  start();
  auto old = RawConnection::open(server_->port());
  ASSERT_TRUE(old);
  ASSERT_TRUE(old->send("GET /fast HTTP/1.0\r\n\r\n"));
  auto r = old->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"ok":true})");
  EXPECT_TRUE(old->wait_closed());

  auto kept = RawConnection::open(server_->port());
  ASSERT_TRUE(kept);
  ASSERT_TRUE(kept->send("GET /fast HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto k1 = kept->read_response();
  ASSERT_TRUE(k1);
  EXPECT_EQ(k1->header("Connection"), "keep-alive");
  ASSERT_TRUE(kept->send("HEAD /fast HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto head = kept->read_response(kTimeout, /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), "11");
  ASSERT_TRUE(kept->send("GET /echo?b=after-head HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto k2 = kept->read_response();
  ASSERT_TRUE(k2);
  EXPECT_EQ(k2->body, "GET|/echo|after-head||");  // no stray HEAD body in between

  auto expect = RawConnection::open(server_->port());
  ASSERT_TRUE(expect);
  ASSERT_TRUE(expect->send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  auto interim = expect->read_head();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(expect->send("hello"));
  auto final_response = expect->read_response();
  ASSERT_TRUE(final_response);
  EXPECT_EQ(final_response->body, "POST|/echo|||hello");
}

TEST_F(ServerTest, InvalidResponseHeadersAreDropped) {
  start();
  auto conn = RawConnection::open(server_->port());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->send(get("/inject")));
  auto r = conn->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Injected"), "");
  EXPECT_EQ(r->header("X-Bad"), "");
  EXPECT_EQ(r->header("X-Good"), "fine");
}

TEST_F(ServerTest, ObserverSeesEveryResponse) {
  std::mutex mu;
  std::vector<std::string> seen;
  ServerOptions options;
  options.on_response = [&](const Request& r, int status, std::chrono::nanoseconds elapsed) {
    std::lock_guard lock(mu);
    seen.push_back(r.method + " " + r.target + " " + std::to_string(status) +
                   (elapsed.count() >= 0 ? "" : " negative"));
  };
  start(options);
  Client client;
  ASSERT_TRUE(client.get(server_->url() + "/fast?x=1", kTimeout).ok());
  ASSERT_TRUE(client.get(server_->url() + "/nowhere", kTimeout).ok());
  ASSERT_TRUE(wait_for([&] {
    std::lock_guard lock(mu);
    return seen.size() == 2;
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen[0], "GET /fast?x=1 200");
  EXPECT_EQ(seen[1], "GET /nowhere 404");
}

TEST_F(ServerTest, ManyIoThreadsServeConcurrentClients) {
  ServerOptions options;
  options.io_threads = 4;
  start(options);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      Client client;
      for (int i = 0; i < 50; ++i) {
        std::string body = std::to_string(c) + "-" + std::to_string(i);
        auto r = client.request("POST", server_->url() + "/echo", {}, body, kTimeout);
        if (r.ok() && r->body == "POST|/echo|||" + body) ++ok;
      }
    });
  }
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok, 400);
}

TEST(ServerStart, RejectsBadAddressesAndBusyPorts) {
  auto handler = [](Request&&, Responder r) { r.send(Response::text(200, "")); };
  for (std::string bad : {"nonsense", "127.0.0.1:99999", "::1:80", "127.0.0.1:x"}) {
    ServerOptions options;
    options.bind_address = bad;
    auto s = Server::start(options, handler);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.error().message.find(bad), std::string::npos) << s.error().message;
  }
  auto first = Server::start({}, handler);
  ASSERT_TRUE(first.ok());
  ServerOptions same;
  same.bind_address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = Server::start(same, handler);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen"), std::string::npos)
      << second.error().message;

  ServerOptions tls;
  tls.tls = std::make_shared<TlsOptions>();
  tls.tls->cert_file = "/nonexistent/cert.pem";
  tls.tls->key_file = "/nonexistent/key.pem";
  auto no_cert = Server::start(tls, handler);
  ASSERT_FALSE(no_cert.ok());
  EXPECT_NE(no_cert.error().message.find("/nonexistent/cert.pem"), std::string::npos);
}

}  // namespace
}  // namespace kube::http
