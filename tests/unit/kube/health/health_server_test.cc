#include "kube/health/health_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "kube/health/request_metrics.h"
#include "kube/http/client.h"
#include "kube/metrics/text_format.h"

namespace kube {
namespace {

class HealthServerTest : public ::testing::Test {
 protected:
  HealthServerTest() {
    auto started = HealthServer::start({.bind_address = "127.0.0.1:0", .metrics = &registry_});
    EXPECT_TRUE(started.ok()) << started.error().to_string();
    server_ = std::move(started).value();
  }
  http::Response get(const std::string& path) {
    auto r = client_.get(server_->url() + path, std::chrono::seconds(10));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? std::move(r).value() : http::Response{};
  }

  metrics::Registry registry_;
  std::unique_ptr<HealthServer> server_;
  http::Client client_;
};

TEST_F(HealthServerTest, ProbesAnswerLikeTheApiserver) {
  auto healthz = get("/healthz");
  EXPECT_EQ(healthz.status, 200);
  EXPECT_EQ(healthz.body, "ok");
  EXPECT_EQ(healthz.headers.get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(healthz.headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(get("/livez").body, "ok");
  EXPECT_EQ(get("/readyz?verbose").body, "[+]ping ok\n[+]shutdown ok\nreadyz check passed\n");
  EXPECT_EQ(get("/readyz/ping").body, "ok");
  EXPECT_EQ(get("/readyz/nope").status, 404);
  EXPECT_EQ(get("/other").status, 404);
  auto post = client_.post_json(server_->url() + "/healthz", "{}", std::chrono::seconds(10));
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
}

TEST_F(HealthServerTest, ReadinessFollowsChecksAndShutdown) {
  std::atomic<bool> synced{false};
  server_->add_readyz_check(
      "informer-sync", [&] { return synced.load(); }, "not synced: pods");
  auto r = get("/readyz");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("[-]informer-sync failed: not synced: pods\n"), std::string::npos);
  EXPECT_EQ(get("/healthz").status, 200);  // readiness checks do not affect liveness
  EXPECT_EQ(get("/readyz?exclude=informer-sync").status, 200);
  synced = true;
  EXPECT_EQ(get("/readyz").status, 200);
  server_->mark_shutting_down();
  auto draining = get("/readyz?verbose");
  EXPECT_EQ(draining.status, 500);
  EXPECT_NE(draining.body.find("[-]shutdown failed"), std::string::npos);
  EXPECT_EQ(get("/livez").status, 200);
}

TEST_F(HealthServerTest, LivenessChecksAreAlsoReadinessChecks) {
  server_->add_healthz_check(
      "deadlock", [] { return false; }, "worker stuck");
  EXPECT_EQ(get("/healthz").status, 500);
  EXPECT_EQ(get("/livez").status, 500);
  EXPECT_EQ(get("/readyz").status, 500);
  EXPECT_EQ(get("/healthz/deadlock").body, "internal server error: worker stuck\n");
}

TEST_F(HealthServerTest, MetricsServeTheRegistryAndTimeRequests) {
  registry_.counter("berth_test_total", "A test counter.").inc(3);
  get("/healthz");
  get("/readyz/ping");
  get("/nothing/here");
  auto m = get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.headers.get("Content-Type"), metrics::kTextContentType);
  EXPECT_NE(m.body.find("berth_test_total 3\n"), std::string::npos);
  EXPECT_NE(
      m.body.find(
          R"(berth_http_request_duration_seconds_count{server="health",route="/healthz",code="200"} 1)"),
      std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find(R"(route="/readyz/",code="200"} 1)"), std::string::npos);
  EXPECT_NE(m.body.find(R"(route="other",code="404"} 1)"), std::string::npos);
}

TEST(HttpRequestObserverTest, UnknownPathsShareOneLabel) {
  metrics::Registry registry;
  auto observe = http_request_observer(registry, "x", {"/filter", "/api/"});
  http::Request r;
  for (std::string target : {"/filter?x=1", "/api/v1/pods", "/a", "/b", "/filterx"}) {
    r.target = target;
    observe(r, 200, std::chrono::milliseconds(1));
  }
  std::string text = registry.render();
  EXPECT_NE(text.find(R"(_count{server="x",route="/filter",code="200"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(_count{server="x",route="/api/",code="200"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(_count{server="x",route="other",code="200"} 3)"), std::string::npos);
}

}  // namespace
}  // namespace kube
