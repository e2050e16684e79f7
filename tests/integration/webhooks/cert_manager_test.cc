// CertManager against berth-sim: the Secret, caBundle injection, renewal, CA rotation and
// replicas sharing one Secret.
#include "webhooks/certs/cert_manager.h"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "kube/api/resource.h"
#include "kube/core/strings.h"
#include "tests/integration/webhooks/webhooks_sim.h"
#include "tests/support/wait.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
using kube::certs::Assessment;
using kube::certs::CertMaterial;
using kube::certs::split_pem_certificates;
using kube::resources::kMutatingWebhookConfigurations;
using kube::resources::kSecrets;
using kube::resources::kValidatingWebhookConfigurations;
using std::chrono::system_clock;

class CertManagerTest : public ::testing::Test {
 protected:
  CertManagerOptions options() { return {}; }

  // Certificates start when they are issued, so "near expiry" is a short lifetime: with the
  // default settings (renew 30 days ahead) a 2-hour certificate is due at once.
  CertManagerOptions short_lived() {
    CertManagerOptions o;
    o.certificates.ca_validity = std::chrono::hours(2);
    o.certificates.cert_validity = std::chrono::hours(2);
    return o;
  }

  CertMaterial secret_material() {
    kube::Object secret = sim_.get(kSecrets, "berth-system", "berth-webhooks-tls");
    EXPECT_TRUE(secret);
    CertMaterial m;
    if (!secret) return m;
    const json::Value& data = *json::find(secret.json(), "data");
    auto field = [&](std::string_view key) {
      return kube::base64_decode(json::get_string(data, key)).value_or("");
    };
    return {field("ca.crt"), field("ca.key"), field("tls.crt"), field("tls.key")};
  }

  std::string secret_rv() {
    return std::string(sim_.get(kSecrets, "berth-system", "berth-webhooks-tls").resource_version());
  }

  testing::WebhooksSim sim_;
};

TEST_F(CertManagerTest, CreatesTheSecretAndInjectsTheCaBundle) {
  kube::Object before = sim_.get(kMutatingWebhookConfigurations, "", "berth-webhooks");
  CertManager manager(sim_.client(), options());
  EXPECT_FALSE(manager.ready());
  EXPECT_FALSE(manager.serving_pair().ok());
  ASSERT_TRUE(manager.reconcile().ok());
  EXPECT_TRUE(manager.ready());
  EXPECT_TRUE(manager.ca_bundle_injected());

  kube::Object secret = sim_.get(kSecrets, "berth-system", "berth-webhooks-tls");
  ASSERT_TRUE(secret);
  EXPECT_EQ(json::get_string(secret.json(), "type"), "kubernetes.io/tls");
  EXPECT_EQ(secret.label("app.kubernetes.io/managed-by"), "berth-webhooks");
  CertMaterial m = secret_material();
  Assessment a = assess(m, options().certificates, system_clock::now());
  EXPECT_TRUE(a.ca_fresh && a.serving_fresh) << a.problem;
  auto pair = manager.serving_pair();
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->first, m.tls_cert);
  EXPECT_EQ(pair->second, m.tls_key);
  EXPECT_EQ(manager.ca_bundle(), m.ca_bundle);

  // Every webhook entry of both kinds carries the bundle...
  EXPECT_EQ(sim_.ca_bundles(kMutatingWebhookConfigurations, "berth-webhooks"),
            (std::vector<std::string>{m.ca_bundle, m.ca_bundle}));
  EXPECT_EQ(sim_.ca_bundles(kValidatingWebhookConfigurations, "berth-webhooks"),
            std::vector<std::string>{m.ca_bundle});
  // ...and nothing else changed.
  json::Document after = sim_.get(kMutatingWebhookConfigurations, "", "berth-webhooks").copy();
  json::Document expected = before.copy();
  for (auto* doc : {&after, &expected}) {
    json::remove((*doc)["metadata"], "resourceVersion");
    json::remove((*doc)["metadata"], "managedFields");
    json::remove((*doc)["metadata"], "generation");
    for (auto& w : (*doc)["webhooks"].GetArray())
      json::remove(w["clientConfig"], "caBundle");
  }
  EXPECT_TRUE(json::equal(after, expected)) << json::dump(after) << "\n" << json::dump(expected);
}

TEST_F(CertManagerTest, ASecondPassWritesNothing) {
  CertManager manager(sim_.client(), options());
  ASSERT_TRUE(manager.reconcile().ok());
  std::string secret = secret_rv();
  std::string config(
      sim_.get(kMutatingWebhookConfigurations, "", "berth-webhooks").resource_version());
  ASSERT_TRUE(manager.reconcile().ok());
  CertManager restarted(sim_.client(), options());
  ASSERT_TRUE(restarted.reconcile().ok());
  EXPECT_EQ(secret_rv(), secret);
  EXPECT_EQ(sim_.get(kMutatingWebhookConfigurations, "", "berth-webhooks").resource_version(),
            config);
  EXPECT_EQ(restarted.serving_pair()->first, manager.serving_pair()->first);
}

TEST_F(CertManagerTest, ReplicasRacingOnOneSecretAgree) {
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    (void)sim_.client().remove(kSecrets, "berth-system", "berth-webhooks-tls");
    std::vector<std::unique_ptr<kube::Client>> clients;
    std::vector<std::unique_ptr<CertManager>> managers;
    for (int i = 0; i < 3; ++i) {
      clients.push_back(sim_.new_client());
      managers.push_back(std::make_unique<CertManager>(*clients.back(), options()));
    }
    std::latch go(3);
    std::vector<kube::Status> results(3);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        results[i] = managers[i]->reconcile();
      });
    }
    for (auto& t : threads)
      t.join();
    CertMaterial stored = secret_material();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(results[i].ok()) << results[i].error().to_string();
      auto pair = managers[i]->serving_pair();
      ASSERT_TRUE(pair.ok());
      EXPECT_EQ(pair->first, stored.tls_cert) << "replica " << i << " serves another certificate";
      EXPECT_EQ(managers[i]->ca_bundle(), stored.ca_bundle);
    }
    EXPECT_EQ(sim_.ca_bundles(kValidatingWebhookConfigurations, "berth-webhooks"),
              std::vector<std::string>{stored.ca_bundle});
  }
}

TEST_F(CertManagerTest, ReplicasRacingOnRenewalProduceOneCertificate) {
  auto first_options = short_lived();
  first_options.certificates.ca_validity = std::chrono::hours(24 * 3650);
  CertManager first(sim_.client(), first_options);
  ASSERT_TRUE(first.reconcile().ok());
  CertMaterial original = secret_material();
  auto later = options();
  std::vector<std::unique_ptr<kube::Client>> clients;
  std::vector<std::unique_ptr<CertManager>> managers;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(sim_.new_client());
    managers.push_back(std::make_unique<CertManager>(*clients.back(), later));
  }
  std::latch go(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      EXPECT_TRUE(managers[i]->reconcile().ok());
    });
  }
  for (auto& t : threads)
    t.join();
  CertMaterial renewed = secret_material();
  EXPECT_NE(renewed.tls_cert, original.tls_cert);
  EXPECT_EQ(renewed.ca_bundle, original.ca_bundle) << "a serving renewal keeps the CA";
  for (auto& m : managers)
    EXPECT_EQ(m->serving_pair()->first, renewed.tls_cert);
  // The first replica adopts the renewed certificate on its next pass.
  ASSERT_TRUE(first.reconcile().ok());
  EXPECT_EQ(first.serving_pair()->first, renewed.tls_cert);
}

TEST_F(CertManagerTest, RotatesTheCaInTwoPhases) {
  auto first_options = short_lived();
  first_options.certificates.cert_validity = std::chrono::hours(24 * 365);
  CertManager present(sim_.client(), first_options);
  ASSERT_TRUE(present.reconcile().ok());
  CertMaterial original = secret_material();

  // Another replica finds the 2 h CA due.
  CertManager future(sim_.client(), options());
  ASSERT_TRUE(future.reconcile().ok());
  CertMaterial phase1 = secret_material();
  std::vector<std::string> cas = split_pem_certificates(phase1.ca_bundle);
  ASSERT_EQ(cas.size(), 2u);
  EXPECT_EQ(cas[1], original.ca_bundle) << "the old CA stays trusted";
  EXPECT_EQ(phase1.tls_cert, original.tls_cert)
      << "the serving certificate waits until kube-apiserver trusts the new CA";
  EXPECT_EQ(sim_.ca_bundles(kMutatingWebhookConfigurations, "berth-webhooks")[0], phase1.ca_bundle);

  ASSERT_TRUE(future.reconcile().ok());
  CertMaterial phase2 = secret_material();
  EXPECT_EQ(phase2.ca_bundle, phase1.ca_bundle);
  EXPECT_NE(phase2.tls_cert, original.tls_cert);
  EXPECT_TRUE(kube::tls::verify_certificate(phase2.tls_cert, cas[0]).ok())
      << "signed by the new CA";
  EXPECT_EQ(future.serving_pair()->first, phase2.tls_cert);
  ASSERT_TRUE(future.reconcile().ok());
  EXPECT_EQ(secret_material(), phase2) << "converged";
}

TEST_F(CertManagerTest, RepairsACaBundleThatWasRemoved) {
  CertManager manager(sim_.client(), options());
  ASSERT_TRUE(manager.reconcile().ok());
  // kubectl apply of the configuration without caBundle.
  ASSERT_TRUE(sim_.client()
                  .patch(kValidatingWebhookConfigurations, "", "berth-webhooks",
                         kube::PatchType::kJson,
                         R"([{"op":"remove","path":"/webhooks/0/clientConfig/caBundle"}])")
                  .ok());
  EXPECT_EQ(sim_.ca_bundles(kValidatingWebhookConfigurations, "berth-webhooks")[0], "");
  ASSERT_TRUE(manager.reconcile().ok());
  EXPECT_EQ(sim_.ca_bundles(kValidatingWebhookConfigurations, "berth-webhooks")[0],
            manager.ca_bundle());
}

TEST_F(CertManagerTest, MissingConfigurationsAreNotFatal) {
  auto o = options();
  o.webhook_configurations = {"berth-webhooks", "not-there"};
  CertManager manager(sim_.client(), o);
  ASSERT_TRUE(manager.reconcile().ok());
  EXPECT_TRUE(manager.ready());
  EXPECT_FALSE(manager.ca_bundle_injected());
  EXPECT_EQ(sim_.ca_bundles(kMutatingWebhookConfigurations, "berth-webhooks")[0],
            manager.ca_bundle());
  sim_.create_configurations("not-there");
  ASSERT_TRUE(manager.reconcile().ok());
  EXPECT_TRUE(manager.ca_bundle_injected());
}

TEST_F(CertManagerTest, TakesOverAnEmptyTlsSecret) {
  auto secret = json::parse(
      R"({"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":)"
      R"("berth-webhooks-tls","namespace":"berth-system"},"data":{"tls.crt":"","tls.key":""}})");
  ASSERT_TRUE(sim_.client().create(kSecrets, *secret).ok());
  CertManager manager(sim_.client(), options());
  ASSERT_TRUE(manager.reconcile().ok()) << "deploy/ may ship the Secret empty";
  EXPECT_TRUE(assess(secret_material(), options().certificates, system_clock::now()).serving_fresh);
}

TEST_F(CertManagerTest, RefusesSecretsItDoesNotOwn) {
  auto opaque =
      json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"berth-webhooks-tls",)"
                  R"("namespace":"berth-system"},"stringData":{"a":"b"}})");
  ASSERT_TRUE(sim_.client().create(kSecrets, *opaque).ok());
  CertManager manager(sim_.client(), options());
  auto status = manager.reconcile();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "Secret berth-system/berth-webhooks-tls has type Opaque; berth-webhooks keeps its "
            "certificates in a kubernetes.io/tls Secret: delete it or choose another "
            "--cert-secret");
  EXPECT_FALSE(manager.ready());

  auto material = kube::certs::new_material(options().certificates);
  ASSERT_TRUE(material.ok());
  json::Document foreign = *json::parse(
      R"({"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":)"
      R"("issued-elsewhere","namespace":"berth-system"},"data":{}})");
  auto& a = foreign.GetAllocator();
  json::set_string(foreign["data"], "tls.crt", kube::base64_encode(material->tls_cert), a);
  json::set_string(foreign["data"], "tls.key", kube::base64_encode(material->tls_key), a);
  ASSERT_TRUE(sim_.client().create(kSecrets, foreign).ok());
  auto o = options();
  o.secret_name = "issued-elsewhere";
  CertManager other(sim_.client(), o);
  auto refused = other.reconcile();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("holds certificates berth-webhooks did not create"),
            std::string::npos)
      << refused.error().message;
  // Untouched.
  EXPECT_EQ(kube::base64_decode(json::get_string(
                *json::find(sim_.get(kSecrets, "berth-system", "issued-elsewhere").json(), "data"),
                "tls.crt")),
            material->tls_cert);
}

TEST_F(CertManagerTest, RepairsGarbageItOwns) {
  CertManager manager(sim_.client(), options());
  ASSERT_TRUE(manager.reconcile().ok());
  ASSERT_TRUE(sim_.client()
                  .patch(kSecrets, "berth-system", "berth-webhooks-tls", kube::PatchType::kMerge,
                         R"({"data":{"tls.crt":")" + kube::base64_encode("garbage") + R"("}})")
                  .ok());
  ASSERT_TRUE(manager.reconcile().ok());
  Assessment a = assess(secret_material(), options().certificates, system_clock::now());
  EXPECT_TRUE(a.serving_fresh) << a.problem;
}

TEST_F(CertManagerTest, BackgroundLoopPublishes) {
  auto o = options();
  o.resync = std::chrono::milliseconds(50);
  CertManager manager(sim_.client(), o);
  manager.start();
  EXPECT_TRUE(berth::testing::wait_for([&] { return manager.ready(); }));
  manager.stop();
  manager.stop();  // idempotent
}

}  // namespace
}  // namespace berth::webhooks
