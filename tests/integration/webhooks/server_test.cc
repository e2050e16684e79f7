// berth-webhooks' HTTPS server wired as the binary wires it (CertManager provider, namespace
// informer) against berth-sim: TLS policy, certificate rotation under load, namespace labels.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <thread>

#include "kube/api/resource.h"
#include "kube/core/json.h"
#include "kube/core/strings.h"
#include "kube/http/client.h"
#include "tests/integration/webhooks/webhooks_sim.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/http/test_peer.h"
#include "tests/unit/webhooks/pods/pod_test_util.h"
#include "tests/unit/webhooks/review_builder.h"
#include "webhooks/certs/cert_manager.h"
#include "webhooks/pods/annotations.h"
#include "webhooks/server/namespace_cache.h"
#include "webhooks/server/routes.h"
#include "webhooks/server/webhook_server.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
constexpr const char* kServiceName = "berth-webhooks.berth-system.svc";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    namespaces_ = std::make_unique<NamespaceCache>(sim_.client());
    namespaces_->start();
    ASSERT_TRUE(berth::testing::wait_for([&] { return namespaces_->synced(); }));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->stop(std::chrono::milliseconds(0));
    namespaces_->stop();
  }

  // A replica's certificate manager; it outlives the server whose provider reads it.
  CertManager& manager(CertManagerOptions options = {}) {
    managers_.push_back(std::make_unique<CertManager>(sim_.client(), std::move(options)));
    return *managers_.back();
  }

  // Starts the server on the manager's certificates, polled every 20 ms.
  void start_server(CertManager& certs, std::size_t max_body = 7 * 1024 * 1024) {
    ASSERT_TRUE(certs.reconcile().ok());
    auto tls = std::make_shared<kube::http::TlsOptions>();
    tls->provider = [&certs] { return certs.serving_pair(); };
    tls->reload_interval = std::chrono::milliseconds(20);
    auto started = WebhookServer::start({.bind_address = "127.0.0.1:0",
                                         .tls = tls,
                                         .max_body_bytes = max_body,
                                         .registry = &registry_},
                                        berth_routes(config_, *namespaces_));
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    server_ = std::move(started).value();
  }

  // A client that trusts `ca_bundle` and checks the Service name, as kube-apiserver does.
  kube::http::Client client(const std::string& ca_bundle) {
    return kube::http::Client({.ca_pem = ca_bundle, .server_name = kServiceName});
  }

  std::string mutate_url() const { return server_->url() + "/mutate/pods?timeout=10s"; }

  testing::WebhooksSim sim_;
  std::shared_ptr<WebhooksConfig> config_ = std::make_shared<WebhooksConfig>();
  kube::metrics::Registry registry_;
  std::unique_ptr<NamespaceCache> namespaces_;
  std::vector<std::unique_ptr<CertManager>> managers_;
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(ServerTest, ServesReviewsOverVerifiedTls) {
  CertManager& certs = manager();
  start_server(certs);
  auto c = client(certs.ca_bundle());
  std::string body =
      testing::review_json({.object = testing::pod(R"("berth.dev/log-sidecar":"true")")});
  auto r = c.post_json(mutate_url(), body, std::chrono::seconds(5));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->status, 200) << r->body;
  auto doc = json::parse(r->body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(json::get_string((*doc)["response"], "patchType"), "JSONPatch");
  // Observed after the response is written, so possibly after the client has it.
  EXPECT_TRUE(berth::testing::wait_for([&] {
    return registry_.render().find(R"(berth_http_request_duration_seconds_count{server="webhooks",)"
                                   R"(route="/mutate/pods",code="200"} 1)") != std::string::npos;
  })) << registry_.render();

  // A client that trusts another CA is refused.
  auto stranger = kube::certs::new_material(CertManagerOptions{}.certificates);
  ASSERT_TRUE(stranger.ok());
  EXPECT_FALSE(
      client(stranger->ca_bundle).post_json(mutate_url(), body, std::chrono::seconds(5)).ok());
}

TEST_F(ServerTest, RefusesOldTlsAndNeedsNoSni) {
  CertManager& certs = manager();
  start_server(certs);
  berth::testing::TlsProbeResult old =
      berth::testing::tls_probe(server_->port(), {.min_version = TLS1_VERSION,
                                                  .max_version = TLS1_1_VERSION,
                                                  .ciphers = "DEFAULT:@SECLEVEL=0"});
  EXPECT_FALSE(old.handshake_ok) << old.protocol;
  berth::testing::TlsProbeResult no_sni = berth::testing::tls_probe(
      server_->port(),
      {.request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"});
  EXPECT_TRUE(no_sni.handshake_ok) << no_sni.error;
  EXPECT_EQ(no_sni.peer_cert_pem, certs.serving_pair()->first);
  EXPECT_NE(no_sni.response.find("HTTP/1.1 404"), std::string::npos) << no_sni.response;
  berth::testing::TlsProbeResult tls12 = berth::testing::tls_probe(
      server_->port(), {.max_version = TLS1_2_VERSION, .sni = kServiceName});
  EXPECT_TRUE(tls12.handshake_ok) << tls12.error;
  EXPECT_EQ(tls12.protocol, "TLSv1.2");
}

TEST_F(ServerTest, OversizedBodiesGetA413Status) {
  CertManager& certs = manager();
  start_server(certs, 64 * 1024);
  std::string body = testing::review_json(
      {.object = R"({"kind":"Pod","metadata":{"annotations":{"x":")" + std::string(100000, 'a') +
                 R"("}},"spec":{"containers":[]}})"});
  auto r = client(certs.ca_bundle()).post_json(mutate_url(), body, std::chrono::seconds(5));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 413);
  auto doc = json::parse(r->body);
  ASSERT_TRUE(doc.ok()) << r->body;
  EXPECT_EQ(json::get_string(*doc, "kind"), "Status");
  EXPECT_EQ(json::get_string(*doc, "reason"), "RequestEntityTooLarge");
}

TEST_F(ServerTest, RotationWhileRequestsFlowLosesNoRequest) {
  // Replica A serves a short-lived certificate (due at once for any replica with the default
  // 30-day margin); replica B renews it while clients keep calling A.
  CertManagerOptions short_lived;
  short_lived.certificates.cert_validity = std::chrono::hours(2);
  CertManager& a = manager(short_lived);
  start_server(a);
  const std::string bundle = a.ca_bundle();
  const std::string before = a.serving_pair()->first;
  const std::string body =
      testing::review_json({.object = testing::pod(R"("berth.dev/mount-secrets":"db")")});

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::string first_failure;
  std::mutex failure_mu;
  auto record = [&](const kube::Result<kube::http::Response>& r) {
    if (r.ok() && r->status == 200 && r->body.find("\"allowed\":true") != std::string::npos) {
      ok.fetch_add(1);
      return;
    }
    failed.fetch_add(1);
    std::lock_guard lock(failure_mu);
    if (first_failure.empty()) {
      first_failure = r.ok() ? std::to_string(r->status) + " " + r->body : r.error().to_string();
    }
  };
  std::vector<std::thread> clients;
  // Keep-alive: stays on its connection (and the old certificate) throughout.
  clients.emplace_back([&] {
    auto c = client(bundle);
    while (!stop.load())
      record(c.post_json(mutate_url(), body, std::chrono::seconds(5)));
  });
  // A new connection, so a new handshake, for every request.
  clients.emplace_back([&] {
    while (!stop.load()) {
      auto c = client(bundle);
      record(c.post_json(mutate_url(), body, std::chrono::seconds(5)));
    }
  });
  ASSERT_TRUE(berth::testing::wait_for([&] { return ok.load() >= 100; }));

  CertManager& b = manager();
  ASSERT_TRUE(b.reconcile().ok());
  const std::string after = b.serving_pair()->first;
  ASSERT_NE(after, before) << "replica B renewed the certificate";
  ASSERT_TRUE(a.reconcile().ok());  // A's next pass adopts it
  EXPECT_EQ(a.serving_pair()->first, after);
  ASSERT_TRUE(berth::testing::wait_for([&] { return server_->certificate_reloads() >= 1; }));
  int at_reload = ok.load();
  ASSERT_TRUE(berth::testing::wait_for([&] { return ok.load() >= at_reload + 100; }));
  stop.store(true);
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(failed.load(), 0) << first_failure;
  EXPECT_EQ(server_->last_certificate_error(), "");
  // New connections now get the renewed certificate.
  auto probe = berth::testing::tls_probe(server_->port(), {.sni = kServiceName});
  ASSERT_TRUE(probe.handshake_ok);
  EXPECT_EQ(probe.peer_cert_pem, after);
}

TEST_F(ServerTest, NamespaceLabelsFromTheClusterDecide) {
  config_->registry.global.mirrors["docker.io"] = Mirror{"mirror.corp", "hub"};
  CertManager& certs = manager();
  start_server(certs);
  auto ns = json::parse(
      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team","labels":{"berth.dev/injection":"enabled"}}})");
  ASSERT_TRUE(sim_.client().create(kube::resources::kNamespaces, *ns).ok());
  ASSERT_TRUE(berth::testing::wait_for([&] { return bool(namespaces_->get("team")); }));

  auto c = client(certs.ca_bundle());
  auto patched = [&] {
    std::string body = testing::review_json({.namespace_ = "team", .object = testing::pod()});
    auto r = c.post_json(mutate_url(), body, std::chrono::seconds(5));
    return r.ok() && r->body.find("\"patch\"") != std::string::npos;
  };
  EXPECT_TRUE(patched()) << "namespace opted in by label";
  ASSERT_TRUE(sim_.client()
                  .patch(kube::resources::kNamespaces, "", "team", kube::PatchType::kMerge,
                         R"({"metadata":{"labels":{"berth.dev/injection":"disabled"}}})")
                  .ok());
  EXPECT_TRUE(berth::testing::wait_for([&] { return !patched(); }))
      << "the label change reaches the webhook through the informer";
}

TEST(WebhookServer, RefusesPlainHttp) {
  kube::metrics::Registry registry;
  NamespaceLabelMap namespaces;
  auto started = WebhookServer::start({.bind_address = "127.0.0.1:0", .registry = &registry},
                                      berth_routes(std::make_shared<WebhooksConfig>(), namespaces));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message,
            "admission webhooks are served over HTTPS only: no TLS certificate");
}

}  // namespace
}  // namespace berth::webhooks
