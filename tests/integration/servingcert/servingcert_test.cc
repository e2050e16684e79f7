// berth-controller's servingcert controller in a kube::Manager against berth-sim's API server
// in-process, over HTTP: what the binary does, minus the process.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "controllers/servingcert/controller.h"
#include "kube/api/resource.h"
#include "kube/certs/cert_bundle.h"
#include "kube/core/json.h"
#include "kube/core/strings.h"
#include "kube/http/server.h"
#include "kube/manager/manager.h"
#include "kube/tls/certificates.h"
#include "sim/apiserver/api_server.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/http/test_peer.h"

namespace berth::servingcert {
namespace {

namespace json = kube::json;
using kube::resources::kEvents;
using kube::resources::kSecrets;
using kube::resources::kServices;
using std::chrono::seconds;

constexpr std::string_view kNs = "berth-system";

class ServingCertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = berth::sim::ApiServer::start({.listen = "127.0.0.1:0"});
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    server_ = std::move(started).value();
    kube::Config config;
    config.server = server_->url();
    auto client = kube::Client::create(config, kube::ClientOptions{.qps = 0});
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
    auto ns = json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" +
                          std::string(kNs) + R"("}})");
    auto created = client_->create(kube::resources::kNamespaces, *ns);
    ASSERT_TRUE(created.ok() || created.error().is_already_exists());
  }

  void TearDown() override { stop_controller(); }

  // Every look at a Secret is at most `recheck` apart, so a deleted Secret comes back quickly.
  static ServingCertOptions fast() {
    ServingCertOptions o;
    o.recheck = std::chrono::milliseconds(200);
    o.namespaces = {std::string(kNs)};
    return o;
  }

  void start_controller(ServingCertOptions options) {
    kube::ManagerOptions m;
    m.name = "berth-controller";
    m.config.server = server_->url();
    m.client.qps = 0;
    m.health_bind_address = "";
    m.cache_sync_timeout = seconds(20);
    m.graceful_shutdown_timeout = seconds(5);
    auto manager = kube::Manager::create(std::move(m));
    ASSERT_TRUE(manager.ok()) << manager.error().to_string();
    manager_ = std::move(manager).value();
    add_serving_cert_controller(*manager_, std::move(options));
    manager_thread_ = std::thread([this, token = stop_.token()] {
      kube::Status s = manager_->run(token);
      if (!s.ok()) ADD_FAILURE() << "manager stopped: " << s.error().to_string();
    });
  }

  void stop_controller() {
    if (!manager_thread_.joinable()) return;
    stop_.cancel();
    manager_thread_.join();
  }

  void create(const kube::ResourceType& type, const std::string& text) {
    auto doc = json::parse(text);
    ASSERT_TRUE(doc.ok()) << text;
    auto created = client_->create(type, *doc);
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  void create_service(std::string_view name, std::string_view secret) {
    std::string annotations =
        secret.empty() ? "{}"
                       : R"({"berth.dev/serving-cert-secret":")" + std::string(secret) + R"("})";
    create(kServices, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" +
                          std::string(name) + R"(","namespace":")" + std::string(kNs) +
                          R"(","annotations":)" + annotations +
                          R"(},"spec":{"ports":[{"port":443}]}})");
  }

  kube::Object secret(std::string_view name) {
    auto got = client_->get(kSecrets, kNs, name);
    return got.ok() ? std::move(got).value() : kube::Object();
  }

  static std::string value(const kube::Object& secret, std::string_view key) {
    const json::Value* data = json::find(secret.json(), "data");
    if (data == nullptr) return {};
    return kube::base64_decode(json::get_string(*data, key)).value_or("");
  }

  // The Secret once it holds a certificate.
  kube::Object wait_issued(std::string_view name) {
    kube::Object s;
    EXPECT_TRUE(berth::testing::wait_for(
        [&] {
          s = secret(name);
          return s && !value(s, "tls.crt").empty();
        },
        seconds(30)))
        << name << " was not issued";
    return s;
  }

  // Reasons of the Events about Service `service`.
  bool has_event(std::string_view service, std::string_view reason) {
    auto events = client_->list(kEvents, kNs);
    if (!events.ok()) return false;
    for (const kube::Object& e : events->items) {
      const json::Value* involved = json::find(e.json(), "involvedObject");
      if (involved != nullptr && json::get_string(*involved, "name") == service &&
          json::get_string(e.json(), "reason") == reason) {
        return true;
      }
    }
    return false;
  }

  std::unique_ptr<berth::sim::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::Manager> manager_;
  kube::CancelSource stop_;
  std::thread manager_thread_;
};

bool verifies_for_service(const std::string& cert, const std::string& ca, std::string_view svc) {
  std::string s(svc), n(kNs);
  for (const std::string& host :
       {s, s + "." + n, s + "." + n + ".svc", s + "." + n + ".svc.cluster.local"}) {
    auto v = kube::tls::verify_certificate(
        cert, ca, {.host = host, .purpose = kube::tls::VerifyOptions::Purpose::kServer});
    if (!v.ok()) {
      ADD_FAILURE() << host << ": " << v.error().to_string();
      return false;
    }
  }
  return true;
}

TEST_F(ServingCertTest, IssuesTheSecretOfAnAnnotatedService) {
  create_service("plain", "");
  create_service("berth-extender", "berth-extender-tls");
  start_controller(fast());

  kube::Object s = wait_issued("berth-extender-tls");
  ASSERT_TRUE(s);
  EXPECT_EQ(json::get_string(s.json(), "type"), "kubernetes.io/tls");
  EXPECT_EQ(s.label("app.kubernetes.io/managed-by"), "berth-controller");
  EXPECT_EQ(s.annotation("berth.dev/serving-cert-service"), "berth-extender");
  EXPECT_EQ(json::find_path(s.json(), {"metadata", "ownerReferences"}), nullptr)
      << "pods mount it: it outlives the Service";
  std::string ca = value(s, "ca.crt");
  EXPECT_TRUE(verifies_for_service(value(s, "tls.crt"), ca, "berth-extender"));
  EXPECT_TRUE(kube::tls::check_key_matches(value(s, "tls.crt"), value(s, "tls.key")).ok());
  EXPECT_EQ(value(s, "ca.key"), "") << "pods mounting it never see the CA key";

  kube::Object ca_secret = secret("berth-extender-tls-ca");
  ASSERT_TRUE(ca_secret);
  EXPECT_EQ(value(ca_secret, "ca.crt"), ca);
  EXPECT_TRUE(kube::tls::check_key_matches(ca, value(ca_secret, "ca.key")).ok());
  EXPECT_EQ(ca_secret.label("app.kubernetes.io/managed-by"), "berth-controller");

  EXPECT_TRUE(
      berth::testing::wait_for([&] { return has_event("berth-extender", "CertificateIssued"); }));
  auto all = client_->list(kSecrets, kNs);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 2u) << "nothing for the Service without the annotation";

  // Deleted by hand: issued again under the same CA, which clients already trust.
  ASSERT_TRUE(client_->remove(kSecrets, kNs, "berth-extender-tls").ok());
  kube::Object again = wait_issued("berth-extender-tls");
  EXPECT_EQ(value(again, "ca.crt"), ca);
  EXPECT_NE(value(again, "tls.crt"), value(s, "tls.crt"));
  EXPECT_TRUE(verifies_for_service(value(again, "tls.crt"), ca, "berth-extender"));
}

TEST_F(ServingCertTest, RenewsNearExpiryAndAFileReloadingServerServesTheRenewal) {
  // A one-hour certificate renewed an hour minus three seconds ahead: due three seconds after
  // it is issued, and again after each renewal.
  ServingCertOptions o = fast();
  o.certificates.cert_validity = std::chrono::hours(1);
  o.certificates.renew_before = std::chrono::hours(1) - seconds(3);
  create_service("berth-extender", "berth-extender-tls");
  start_controller(o);
  kube::Object first = wait_issued("berth-extender-tls");
  ASSERT_TRUE(first);
  const std::string ca = value(first, "ca.crt");

  // berth-extender's setup: the Secret's files on disk, reloaded when they change.
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("servingcert-" + kube::random_suffix(8));
  std::filesystem::create_directories(dir);
  auto write_files = [&](const kube::Object& s) {
    for (std::string_view key : {"tls.crt", "tls.key"}) {
      std::filesystem::path tmp = dir / (std::string(key) + ".tmp");
      std::ofstream(tmp) << value(s, key);
      std::filesystem::rename(tmp, dir / key);
    }
  };
  write_files(first);
  auto tls = std::make_shared<kube::http::TlsOptions>();
  tls->cert_file = (dir / "tls.crt").string();
  tls->key_file = (dir / "tls.key").string();
  tls->reload_interval = std::chrono::milliseconds(50);
  auto server = kube::http::Server::start({.tls = tls, .name = "extender"},
                                          [](kube::http::Request&&, kube::http::Responder r) {
                                            r.send(kube::http::Response::text(200, "ok"));
                                          });
  ASSERT_TRUE(server.ok()) << server.error().to_string();
  auto served = [&] {
    return berth::testing::tls_probe((*server)->port(), {.sni = "berth-extender.berth-system.svc"})
        .peer_cert_pem;
  };
  EXPECT_EQ(served(), value(first, "tls.crt"));
  EXPECT_TRUE(verifies_for_service(served(), ca, "berth-extender"));

  kube::Object renewed;
  EXPECT_TRUE(berth::testing::wait_for(
      [&] {
        renewed = secret("berth-extender-tls");
        return renewed && value(renewed, "tls.crt") != value(first, "tls.crt");
      },
      seconds(30)));
  EXPECT_EQ(value(renewed, "ca.crt"), ca) << "renewal keeps the CA";
  EXPECT_TRUE(verifies_for_service(value(renewed, "tls.crt"), ca, "berth-extender"));
  EXPECT_TRUE(
      berth::testing::wait_for([&] { return has_event("berth-extender", "CertificateRenewed"); }));

  write_files(renewed);
  EXPECT_TRUE(berth::testing::wait_for([&] { return served() == value(renewed, "tls.crt"); }));
  (*server)->stop();
  std::filesystem::remove_all(dir);
}

// Secrets as an earlier pass left them, from material made with `settings`.
void store(kube::Client& client, const kube::certs::CertMaterial& m, std::string_view service,
           std::string_view name) {
  auto put = [&](std::string_view secret, std::string_view type, std::string data) {
    auto doc = json::parse(R"({"apiVersion":"v1","kind":"Secret","type":")" + std::string(type) +
                           R"(","metadata":{"name":")" + std::string(secret) +
                           R"(","namespace":")" + std::string(kNs) +
                           R"(","labels":{"app.kubernetes.io/managed-by":"berth-controller"},)"
                           R"("annotations":{"berth.dev/serving-cert-service":")" +
                           std::string(service) + R"("}},"data":{)" + data + "}}");
    ASSERT_TRUE(doc.ok());
    ASSERT_TRUE(client.create(kSecrets, *doc).ok());
  };
  auto field = [](std::string_view key, const std::string& value) {
    return "\"" + std::string(key) + "\":\"" + kube::base64_encode(value) + "\"";
  };
  put(std::string(name) + "-ca", "Opaque",
      field("ca.crt", m.ca_bundle) + "," + field("ca.key", m.ca_key));
  put(name, "kubernetes.io/tls",
      field("ca.crt", m.ca_bundle) + "," + field("tls.crt", m.tls_cert) + "," +
          field("tls.key", m.tls_key));
}

TEST_F(ServingCertTest, RotatesACaNearItsEndInTwoPhases) {
  // A one-day CA, due with the default 30-day margin.
  kube::certs::CertificateSettings old_settings{.service_name = "berth-extender",
                                                .namespace_ = std::string(kNs),
                                                .ca_validity = std::chrono::hours(24),
                                                .cert_validity = std::chrono::hours(12)};
  auto old = kube::certs::new_material(old_settings);
  ASSERT_TRUE(old.ok());
  store(*client_, *old, "berth-extender", "berth-extender-tls");
  create_service("berth-extender", "berth-extender-tls");
  ServingCertOptions o = fast();
  o.ca_propagation = seconds(2);
  start_controller(o);

  // Phase 1: the new CA joins ca.crt ahead of the old one; the old certificate is still served.
  std::vector<std::string> cas;
  EXPECT_TRUE(berth::testing::wait_for(
      [&] {
        cas = kube::certs::split_pem_certificates(value(secret("berth-extender-tls"), "ca.crt"));
        return cas.size() == 2;
      },
      seconds(30)));
  ASSERT_EQ(cas.size(), 2u);
  EXPECT_EQ(cas[1], old->ca_bundle);
  EXPECT_TRUE(berth::testing::wait_for([&] { return has_event("berth-extender", "CARotated"); }));
  EXPECT_EQ(value(secret("berth-extender-tls-ca"), "ca.crt"), cas[0] + cas[1]);

  // Phase 2, once ca.crt has carried the new CA for ca_propagation: a certificate it signed.
  kube::Object renewed;
  EXPECT_TRUE(berth::testing::wait_for(
      [&] {
        renewed = secret("berth-extender-tls");
        return renewed && kube::tls::verify_certificate(value(renewed, "tls.crt"), cas[0]).ok();
      },
      seconds(30)));
  EXPECT_TRUE(
      verifies_for_service(value(renewed, "tls.crt"), value(renewed, "ca.crt"), "berth-extender"));
  EXPECT_TRUE(
      berth::testing::wait_for([&] { return has_event("berth-extender", "CertificateRenewed"); }));
}

TEST_F(ServingCertTest, RefusesASecretItDoesNotManage) {
  std::string foreign = kube::base64_encode("not Berth's");
  create(kSecrets, R"({"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls",)"
                   R"("metadata":{"name":"mine-tls","namespace":"berth-system"},)"
                   R"("data":{"tls.crt":")" +
                       foreign + R"(","tls.key":")" + foreign + R"("}})");
  std::string rv(secret("mine-tls").resource_version());
  create_service("mine", "mine-tls");
  start_controller(fast());

  EXPECT_TRUE(berth::testing::wait_for(
      [&] { return has_event("mine", "ServingCertificateRefused"); }, seconds(30)));
  EXPECT_EQ(secret("mine-tls").resource_version(), rv);
  EXPECT_EQ(value(secret("mine-tls"), "tls.crt"), "not Berth's");
  EXPECT_FALSE(secret("mine-tls-ca")) << "nothing is written for a refused Service";

  create_service("typo", "Typo_TLS");
  EXPECT_TRUE(berth::testing::wait_for(
      [&] { return has_event("typo", "ServingCertificateRefused"); }, seconds(30)));
}

TEST_F(ServingCertTest, TakesOverAnEmptySecret) {
  // What a deployment ships so that RBAC can name the Secret.
  create(kSecrets, R"({"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls",)"
                   R"("metadata":{"name":"web-tls","namespace":"berth-system"},)"
                   R"("data":{"tls.crt":"","tls.key":""}})");
  create_service("web", "web-tls");
  start_controller(fast());
  kube::Object s = wait_issued("web-tls");
  ASSERT_TRUE(s);
  EXPECT_EQ(s.label("app.kubernetes.io/managed-by"), "berth-controller");
  EXPECT_TRUE(verifies_for_service(value(s, "tls.crt"), value(s, "ca.crt"), "web"));
}

}  // namespace
}  // namespace berth::servingcert
