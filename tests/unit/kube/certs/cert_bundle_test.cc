#include "kube/certs/cert_bundle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace kube::certs {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;
constexpr auto kDay = hours(24);

CertificateSettings settings() {
  CertificateSettings s;
  s.service_name = "berth-webhooks";
  s.namespace_ = "berth-system";
  return s;
}

// One generated set per test binary: EC keys are cheap, but not free.
const CertMaterial& material() {
  static const CertMaterial m = [] {
    auto generated = new_material(settings());
    EXPECT_TRUE(generated.ok());
    return generated.ok() ? *generated : CertMaterial{};
  }();
  return m;
}

TEST(CertBundle, ServiceNames) {
  EXPECT_EQ(service_dns_names("svc", "ns"),
            (std::vector<std::string>{"svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local"}));
}

TEST(CertBundle, NewMaterialIsFreshAndCarriesEveryName) {
  const CertMaterial& m = material();
  Assessment a = assess(m, settings(), system_clock::now());
  EXPECT_TRUE(a.ca_usable && a.ca_fresh && a.serving_usable && a.serving_fresh) << a.problem;
  EXPECT_EQ(a.problem, "");
  auto leaf = kube::tls::inspect_certificate(m.tls_cert);
  ASSERT_TRUE(leaf.ok());
  for (const std::string& name : service_dns_names("berth-webhooks", "berth-system")) {
    EXPECT_NE(std::find(leaf->dns_names.begin(), leaf->dns_names.end(), name),
              leaf->dns_names.end())
        << name;
  }
  EXPECT_TRUE(leaf->server_auth);
  EXPECT_FALSE(leaf->is_ca);
  auto ca = kube::tls::inspect_certificate(m.ca_bundle);
  ASSERT_TRUE(ca.ok());
  EXPECT_TRUE(ca->is_ca);
  // 10 years and 1 year, give or take the one-minute backdating.
  using Days = std::chrono::duration<double, std::ratio<86400>>;
  EXPECT_NEAR(Days(ca->not_after - ca->not_before).count(), 3650, 1);
  EXPECT_NEAR(Days(leaf->not_after - leaf->not_before).count(), 365, 1);
  EXPECT_EQ(split_pem_certificates(m.ca_bundle).size(), 1u);
}

TEST(CertBundle, RenewalWindow) {
  CertificateSettings s = settings();
  auto start = system_clock::now();
  auto year = start + 365 * kDay;
  EXPECT_FALSE(renewal_due(start, year, start + 200 * kDay, s));
  EXPECT_TRUE(renewal_due(start, year, start + 244 * kDay, s)) << "past 2/3 of the lifetime";
  // Short certificates renew 30 days ahead even before 2/3.
  auto short_end = start + 60 * kDay;
  EXPECT_FALSE(renewal_due(start, short_end, start + 29 * kDay, s));
  EXPECT_TRUE(renewal_due(start, short_end, start + 31 * kDay, s));
  EXPECT_EQ(renewal_time(start, short_end, s), start + 30 * kDay);
  EXPECT_EQ(renewal_time(start, start + 300 * kDay, s), start + 200 * kDay);
}

TEST(CertBundle, AssessOverTime) {
  const CertMaterial& m = material();
  auto now = system_clock::now();
  Assessment later = assess(m, settings(), now + 250 * kDay);
  EXPECT_TRUE(later.ca_fresh);
  EXPECT_TRUE(later.serving_usable);
  EXPECT_FALSE(later.serving_fresh);
  EXPECT_EQ(later.problem, "serving certificate is due for renewal");
  Assessment expired = assess(m, settings(), now + 400 * kDay);
  EXPECT_FALSE(expired.serving_usable);
  EXPECT_NE(expired.problem.find("does not verify"), std::string::npos) << expired.problem;
  Assessment ca_due = assess(m, settings(), now + 7 * 365 * kDay);
  EXPECT_TRUE(ca_due.ca_usable);
  EXPECT_FALSE(ca_due.ca_fresh);
}

TEST(CertBundle, ReissueKeepsTheCa) {
  const CertMaterial& m = material();
  auto renewed = reissue_serving(m, settings());
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->ca_bundle, m.ca_bundle);
  EXPECT_EQ(renewed->ca_key, m.ca_key);
  EXPECT_NE(renewed->tls_cert, m.tls_cert);
  EXPECT_NE(renewed->tls_key, m.tls_key);
  EXPECT_TRUE(assess(*renewed, settings(), system_clock::now()).serving_fresh);
}

TEST(CertBundle, CaRotationKeepsTheOldCaUntilTheServingCertFollows) {
  const CertMaterial& m = material();
  auto now = system_clock::now();
  auto rotated = rotate_ca(m, settings(), now);
  ASSERT_TRUE(rotated.ok());
  std::vector<std::string> cas = split_pem_certificates(rotated->ca_bundle);
  ASSERT_EQ(cas.size(), 2u);
  EXPECT_EQ(cas[1], split_pem_certificates(m.ca_bundle)[0]) << "old CA kept after the new";
  EXPECT_EQ(rotated->tls_cert, m.tls_cert) << "serving certificate unchanged at first";
  Assessment a = assess(*rotated, settings(), now);
  EXPECT_TRUE(a.ca_fresh);
  EXPECT_TRUE(a.serving_usable) << "still verifies against the old CA in the bundle";
  EXPECT_FALSE(a.serving_fresh);
  EXPECT_EQ(a.problem, "serving certificate is signed by an earlier CA");

  auto followed = reissue_serving(*rotated, settings());
  ASSERT_TRUE(followed.ok());
  EXPECT_TRUE(assess(*followed, settings(), now).serving_fresh);
  EXPECT_TRUE(kube::tls::verify_certificate(followed->tls_cert, cas[0]).ok());
  EXPECT_FALSE(kube::tls::verify_certificate(followed->tls_cert, cas[1]).ok());

  // A CA that has expired by the next rotation is dropped from the bundle.
  auto again = rotate_ca(*followed, settings(), now + 11 * 365 * kDay);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(split_pem_certificates(again->ca_bundle).size(), 1u);
}

TEST(CertBundle, DefectsAreNamed) {
  const CertMaterial& good = material();
  auto now = system_clock::now();
  CertMaterial no_ca = good;
  no_ca.ca_bundle.clear();
  EXPECT_EQ(assess(no_ca, settings(), now).problem, "no CA certificate");
  EXPECT_FALSE(assess(no_ca, settings(), now).ca_usable);

  CertMaterial wrong_ca_key = good;
  wrong_ca_key.ca_key = good.tls_key;
  EXPECT_EQ(assess(wrong_ca_key, settings(), now).problem,
            "CA key does not match the CA certificate");

  CertMaterial wrong_key = good;
  wrong_key.tls_key = good.ca_key;
  EXPECT_EQ(assess(wrong_key, settings(), now).problem,
            "serving key does not match the serving certificate");

  CertificateSettings other = settings();
  other.service_name = "other";
  EXPECT_EQ(assess(good, other, now).problem, "serving certificate lacks a service DNS name");

  CertMaterial garbage{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "x", "y",
                       "z"};
  Assessment g = assess(garbage, settings(), now);
  EXPECT_FALSE(g.ca_usable);
  EXPECT_FALSE(g.serving_usable);
  EXPECT_NE(g.problem.find("unreadable"), std::string::npos);

  // A leaf signed by a CA outside the bundle.
  auto stranger = new_material(settings());
  ASSERT_TRUE(stranger.ok());
  CertMaterial foreign = good;
  foreign.tls_cert = stranger->tls_cert;
  foreign.tls_key = stranger->tls_key;
  EXPECT_FALSE(assess(foreign, settings(), now).serving_usable);
}

TEST(CertBundle, RsaKeys) {
  CertificateSettings s = settings();
  s.key_type = kube::tls::KeyType::kRsa2048;
  auto m = new_material(s);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_NE(m->tls_key.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(assess(*m, s, system_clock::now()).serving_fresh);
}

TEST(CertBundle, SplitsPemBundles) {
  std::string pem = material().ca_bundle + "junk\n" + material().tls_cert;
  std::vector<std::string> certs = split_pem_certificates(pem);
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(certs[0], material().ca_bundle);
  EXPECT_TRUE(split_pem_certificates("").empty());
  EXPECT_TRUE(split_pem_certificates("-----BEGIN CERTIFICATE-----\nno end").empty());
}

}  // namespace
}  // namespace kube::certs
