// Watch at scale and over time: many concurrent HTTP watchers, bookmarks, server timeouts.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "kube/core/strings.h"
#include "tests/integration/sim/sim_harness.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

int port_of(const std::string& url) {
  return static_cast<int>(*kube::parse_int(url.substr(url.rfind(':') + 1)));
}

// A watch over a plain socket, so one thread can hold thousands of them.
class RawWatch {
 public:
  RawWatch(int port, const std::string& target) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawWatch(const RawWatch&) = delete;
  RawWatch& operator=(const RawWatch&) = delete;
  int fd() const { return fd_; }
  void read_some() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) received_.append(buf, static_cast<std::size_t>(n));
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

TEST(SimWatch, TwoThousandHttpWatchersAllGetTheEvent) {
  Sim sim;
  constexpr int kWatchers = 2000;
  std::string rv = std::to_string(sim.server().api().store().current_rv());
  std::vector<std::unique_ptr<RawWatch>> watches;
  for (int i = 0; i < kWatchers; ++i) {
    watches.push_back(std::make_unique<RawWatch>(
        port_of(sim.url()),
        "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=60&resourceVersion=" +
            rv));
    ASSERT_GE(watches.back()->fd(), 0) << "connection " << i;
  }
  ASSERT_TRUE(
      wait_for([&] { return sim.server().hub().watcher_count() == kWatchers; }, seconds(30)));
  sim.must_create("/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"fanout"}})");
  auto all_seen = [&] {
    std::vector<pollfd> fds;
    for (auto& w : watches)
      fds.push_back({w->fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), 10);
    std::size_t seen = 0;
    for (auto& w : watches) {
      w->read_some();
      if (w->received().find("\"name\":\"fanout\"") != std::string::npos) ++seen;
    }
    return seen == watches.size();
  };
  EXPECT_TRUE(wait_for(all_seen, seconds(30)));
  // Every client going away is noticed and frees its watcher.
  watches.clear();
  EXPECT_TRUE(wait_for([&] { return sim.server().hub().watcher_count() == 0; }, seconds(30)));
  EXPECT_EQ(sim.get("/api/v1/namespaces/default/configmaps/fanout").status, 200);
}

TEST(SimWatch, BookmarksCarryTheTypesLatestVersionAndTimeoutEndsTheStream) {
  Sim sim(ApiServerOptions{.bookmark_interval = milliseconds(200)});
  sim.create_namespace("quiet");
  std::string rv = std::to_string(sim.server().api().store().current_rv());
  auto lines = std::async(std::launch::async, [&] {
    return sim.watch_lines(
        "/api/v1/namespaces/quiet/configmaps?watch=true&allowWatchBookmarks=true"
        "&timeoutSeconds=3&resourceVersion=" +
            rv,
        100, seconds(10));
  });
  ASSERT_TRUE(wait_for([&] { return sim.server().hub().watcher_count() == 1; }));
  // A write elsewhere moves the type's version; the quiet namespace sees only bookmarks.
  Reply other = sim.must_create("/api/v1/namespaces/default/configmaps",
                                R"({"metadata":{"name":"elsewhere"}})");
  auto got = lines.get();
  ASSERT_FALSE(got.empty());
  // Only bookmarks, their versions never going back; a bookmark due before the write landed
  // (a loaded machine) may carry the older version, the last one carries the write's.
  long long previous = std::stoll(rv);
  std::string last;
  for (const auto& line : got) {
    auto event = json::parse(line);
    EXPECT_EQ(json::get_string(*event, "type"), "BOOKMARK");
    last = std::string(
        json::get_string(*json::find_path(*event, {"object", "metadata"}), "resourceVersion"));
    EXPECT_GE(std::stoll(last), previous) << line;
    previous = std::stoll(last);
  }
  EXPECT_EQ(last, other.str({"metadata", "resourceVersion"}));
  // The server drops the watcher as the stream ends, possibly just after the client saw it.
  EXPECT_TRUE(wait_for([&] { return sim.server().hub().watcher_count() == 0; }));
}

TEST(SimWatch, SlowClientIsDisconnectedWithoutStoppingWriters) {
  Sim sim(ApiServerOptions{.max_pending_watch_bytes = 256 * 1024});
  std::string rv = std::to_string(sim.server().api().store().current_rv());
  // Never reads: the server's send buffer fills, then its queue.
  RawWatch stalled(port_of(sim.url()),
                   "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv);
  ASSERT_TRUE(wait_for([&] { return sim.server().hub().watcher_count() == 1; }));
  std::string payload(16 * 1024, 'x');
  for (int i = 0; i < 400; ++i) {
    Reply r = sim.post(
        "/api/v1/namespaces/default/configmaps",
        R"({"metadata":{"name":"c)" + std::to_string(i) + R"("},"data":{"k":")" + payload + "\"}}");
    ASSERT_EQ(r.status, 201);
  }
  EXPECT_TRUE(wait_for([&] { return sim.server().hub().watcher_count() == 0; }, seconds(30)));
}

TEST(SimWatch, CustomResourcesGoWithTheirDefinition) {
  Sim sim;
  const std::string crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  sim.must_create(
      crds,
      R"({"metadata":{"name":"gadgets.fx.example.com"},"spec":{"group":"fx.example.com",)"
      R"("scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},"versions":[{"name":"v1",)"
      R"("served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object",)"
      R"("x-kubernetes-preserve-unknown-fields":true}}}]}})");
  const std::string gadgets = "/apis/fx.example.com/v1/namespaces/default/gadgets";
  sim.must_create(gadgets, R"({"metadata":{"name":"g1"},"anything":{"goes":1}})");
  Reply crd = sim.get(crds + "/gadgets.fx.example.com");
  EXPECT_EQ(crd.str({"spec", "names", "singular"}), "gadget");
  EXPECT_EQ(crd.str({"spec", "names", "listKind"}), "GadgetList");
  ASSERT_TRUE(wait_for([&] {
    return sim.get(crds + "/gadgets.fx.example.com").body.find("\"Established\"") !=
           std::string::npos;
  }));
  Reply list = sim.get(gadgets);
  EXPECT_EQ(list.str({"kind"}), "GadgetList");
  EXPECT_EQ(sim.del(crds + "/gadgets.fx.example.com").status, 200);
  EXPECT_TRUE(wait_for([&] { return sim.get(crds + "/gadgets.fx.example.com").status == 404; }));
  EXPECT_EQ(sim.get(gadgets).status, 404);
  EXPECT_EQ(sim.get("/apis/fx.example.com/v1").status, 404);
  // A definition created again serves an empty collection.
  sim.must_create(
      crds,
      R"({"metadata":{"name":"gadgets.fx.example.com"},"spec":{"group":"fx.example.com",)"
      R"("scope":"Namespaced","names":{"plural":"gadgets","kind":"Gadget"},"versions":[{"name":"v1",)"
      R"("served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object",)"
      R"("x-kubernetes-preserve-unknown-fields":true}}}]}})");
  Reply empty = sim.get(gadgets);
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(json::find(empty.doc(), "items")->Size(), 0u);
}

TEST(SimWatch, DeleteCollectionHonoursSelectors) {
  Sim sim;
  for (const char* n : {"a", "b", "c"}) {
    sim.must_create("/api/v1/namespaces/default/configmaps",
                    std::string(R"({"metadata":{"name":")") + n + R"(","labels":{"group":")" +
                        (std::string(n) == "c" ? "keep" : "drop") + "\"}}}");
  }
  Reply deleted = sim.del("/api/v1/namespaces/default/configmaps?labelSelector=group%3Ddrop");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(json::find(deleted.doc(), "items")->Size(), 2u);
  EXPECT_EQ(sim.get("/api/v1/namespaces/default/configmaps/a").status, 404);
  EXPECT_EQ(sim.get("/api/v1/namespaces/default/configmaps/c").status, 200);
  // Namespaces cannot be deleted as a collection.
  EXPECT_EQ(sim.del("/api/v1/namespaces").status, 405);
}

}  // namespace
}  // namespace berth::sim::testing
