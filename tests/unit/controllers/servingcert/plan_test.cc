#include "controllers/servingcert/plan.h"

#include <gtest/gtest.h>

#include <string>

#include "kube/tls/certificates.h"

namespace berth::servingcert {
namespace {

using kube::certs::CertMaterial;
using kube::certs::split_pem_certificates;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::system_clock;
constexpr auto kDay = hours(24);

PlanOptions options() {
  PlanOptions o;
  o.certificates.service_name = "berth-extender";
  o.certificates.namespace_ = "berth-system";
  return o;
}

// What the Secrets hold after a first pass at `now`.
Stored issued(system_clock::time_point now) {
  auto p = plan(Stored{}, options(), now);
  EXPECT_TRUE(p.ok());
  return p.ok() ? Stored{p->desired, p->desired.ca_bundle} : Stored{};
}

kube::tls::CertificateInfo info(const std::string& pem) {
  auto i = kube::tls::inspect_certificate(pem);
  EXPECT_TRUE(i.ok());
  return i.ok() ? *i : kube::tls::CertificateInfo{};
}

// Verifies like a client of the Service would: against ca.crt, for the Service's name.
bool serves(const CertMaterial& m, system_clock::time_point at = {}) {
  return kube::tls::verify_certificate(m.tls_cert, m.ca_bundle,
                                       {.at = at,
                                        .host = "berth-extender.berth-system.svc",
                                        .purpose = kube::tls::VerifyOptions::Purpose::kServer})
      .ok();
}

TEST(ServingCertPlan, IssuesCaAndCertificateWhenNothingIsStored) {
  auto now = system_clock::now();
  auto p = plan(Stored{}, options(), now);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_TRUE(p->write_ca);
  EXPECT_TRUE(p->write_serving);
  ASSERT_EQ(p->changes.size(), 1u);
  EXPECT_EQ(p->changes[0].reason, "CertificateIssued");
  EXPECT_EQ(p->changes[0].message.find("BEGIN"), std::string::npos) << "no PEM in messages";
  EXPECT_TRUE(serves(p->desired));
  auto leaf = info(p->desired.tls_cert);
  EXPECT_EQ(leaf.dns_names,
            (std::vector<std::string>{"berth-extender", "berth-extender.berth-system",
                                      "berth-extender.berth-system.svc",
                                      "berth-extender.berth-system.svc.cluster.local"}));
  EXPECT_EQ(p->next_check,
            kube::certs::renewal_time(leaf.not_before, leaf.not_after, options().certificates));
  EXPECT_GT(p->next_check, now + 200 * kDay) << "a one-year certificate renews after 2/3";
}

TEST(ServingCertPlan, SteadyStateWritesNothing) {
  auto now = system_clock::now();
  Stored s = issued(now);
  auto p = plan(s, options(), now + kDay);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->write_ca);
  EXPECT_FALSE(p->write_serving);
  EXPECT_TRUE(p->changes.empty());
  EXPECT_EQ(p->desired, s.material);
}

TEST(ServingCertPlan, RenewsAtTheRenewalTimeWithTheSameCa) {
  auto now = system_clock::now();
  Stored s = issued(now);
  auto leaf = info(s.material.tls_cert);
  auto due = kube::certs::renewal_time(leaf.not_before, leaf.not_after, options().certificates);

  auto before = plan(s, options(), due - minutes(1));
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->write_serving);
  EXPECT_EQ(before->next_check, due);

  auto p = plan(s, options(), due);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->write_ca) << "renewal keeps the trust anchor";
  EXPECT_TRUE(p->write_serving);
  ASSERT_EQ(p->changes.size(), 1u);
  EXPECT_EQ(p->changes[0].reason, "CertificateRenewed");
  EXPECT_EQ(p->desired.ca_bundle, s.material.ca_bundle);
  EXPECT_NE(p->desired.tls_cert, s.material.tls_cert);
  EXPECT_NE(p->desired.tls_key, s.material.tls_key);
  EXPECT_TRUE(serves(p->desired));
}

TEST(ServingCertPlan, RenewalUnderAnEstablishedCaDoesNotWaitForPropagation) {
  // A 12-hour certificate is due at once with the 30-day margin; its CA was made a moment ago,
  // but clients trust it already because they verify the current certificate with it.
  PlanOptions short_lived = options();
  short_lived.certificates.cert_validity = hours(12);
  auto start = plan(Stored{}, short_lived, system_clock::now());
  ASSERT_TRUE(start.ok());
  Stored s{start->desired, start->desired.ca_bundle};
  auto p = plan(s, options(), system_clock::now());
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->changes.size(), 1u);
  EXPECT_EQ(p->changes[0].reason, "CertificateRenewed");
  EXPECT_FALSE(p->write_ca);
  EXPECT_TRUE(p->write_serving);
}

TEST(ServingCertPlan, ReissuesAMissingOrBrokenCertificateUnderTheSameCa) {
  auto now = system_clock::now();
  Stored s = issued(now);

  Stored deleted = s;  // the serving Secret was deleted; its CA Secret was not
  deleted.material.tls_cert.clear();
  deleted.material.tls_key.clear();
  deleted.served_bundle.clear();
  auto p = plan(deleted, options(), now);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->write_ca);
  EXPECT_TRUE(p->write_serving);
  ASSERT_EQ(p->changes.size(), 1u);
  EXPECT_EQ(p->changes[0].reason, "CertificateIssued");
  EXPECT_EQ(p->desired.ca_bundle, s.material.ca_bundle);
  EXPECT_TRUE(serves(p->desired));

  Stored mismatched = s;
  mismatched.material.tls_key = issued(now).material.tls_key;
  p = plan(mismatched, options(), now);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->changes.size(), 1u);
  EXPECT_EQ(p->changes[0].reason, "CertificateReissued");
  EXPECT_NE(p->changes[0].message.find("key does not match"), std::string::npos)
      << p->changes[0].message;
  EXPECT_FALSE(p->write_ca);
  EXPECT_TRUE(serves(p->desired));
}

TEST(ServingCertPlan, ReplacesAnUnusableCa) {
  auto now = system_clock::now();
  Stored s = issued(now);
  s.material.ca_key = issued(now).material.ca_key;
  auto p = plan(s, options(), now);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->write_ca);
  EXPECT_TRUE(p->write_serving);
  ASSERT_EQ(p->changes.size(), 1u);
  EXPECT_EQ(p->changes[0].reason, "CAReplaced");
  EXPECT_NE(p->desired.ca_bundle, s.material.ca_bundle);
  EXPECT_TRUE(serves(p->desired));
}

TEST(ServingCertPlan, RewritesAnEditedCaCrt) {
  auto now = system_clock::now();
  Stored s = issued(now);
  s.served_bundle = "edited";
  auto p = plan(s, options(), now);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->write_ca);
  EXPECT_TRUE(p->write_serving);
  EXPECT_TRUE(p->changes.empty());
  EXPECT_EQ(p->desired, s.material);
}

// A CA near its end (issued with a one-day lifetime, judged with the default 30-day renewal
// margin) is rotated in two phases.
TEST(ServingCertPlan, RotatesTheCaInTwoPhases) {
  PlanOptions short_lived = options();
  short_lived.certificates.ca_validity = kDay;
  short_lived.certificates.cert_validity = hours(12);
  auto start = plan(Stored{}, short_lived, system_clock::now());
  ASSERT_TRUE(start.ok());
  Stored s{start->desired, start->desired.ca_bundle};
  auto now = system_clock::now();
  PlanOptions o = options();
  o.ca_propagation = hours(1);  // shorter than the old certificate's remaining life

  auto phase1 = plan(s, o, now);
  ASSERT_TRUE(phase1.ok());
  ASSERT_EQ(phase1->changes.size(), 1u);
  EXPECT_EQ(phase1->changes[0].reason, "CARotated");
  EXPECT_TRUE(phase1->write_ca);
  EXPECT_TRUE(phase1->write_serving) << "ca.crt gains the new CA";
  std::vector<std::string> cas = split_pem_certificates(phase1->desired.ca_bundle);
  ASSERT_EQ(cas.size(), 2u);
  EXPECT_EQ(cas[1], s.material.ca_bundle) << "the old CA stays trusted";
  EXPECT_EQ(phase1->desired.tls_cert, s.material.tls_cert) << "not yet signed by the new CA";
  EXPECT_TRUE(serves(phase1->desired));
  auto new_ca = info(cas[0]);
  EXPECT_TRUE(new_ca.is_ca);
  EXPECT_NE(phase1->changes[0].message.find("after 1h"), std::string::npos);
  EXPECT_EQ(phase1->next_check, now + o.ca_propagation);

  // ca.crt now carries the new CA; until it has for ca_propagation, the certificate waits.
  Stored published{phase1->desired, phase1->desired.ca_bundle};
  auto waiting = plan(published, o, now);
  ASSERT_TRUE(waiting.ok());
  EXPECT_FALSE(waiting->write_ca);
  EXPECT_FALSE(waiting->write_serving);
  EXPECT_TRUE(waiting->changes.empty());
  auto trusted_from = new_ca.not_before + minutes(1) + o.ca_propagation;
  EXPECT_EQ(waiting->next_check, trusted_from);

  auto phase2 = plan(published, o, trusted_from);
  ASSERT_TRUE(phase2.ok());
  ASSERT_EQ(phase2->changes.size(), 1u);
  EXPECT_EQ(phase2->changes[0].reason, "CertificateRenewed");
  EXPECT_FALSE(phase2->write_ca);
  EXPECT_TRUE(phase2->write_serving);
  EXPECT_TRUE(kube::tls::verify_certificate(phase2->desired.tls_cert, cas[0]).ok())
      << "signed by the new CA";
  EXPECT_TRUE(serves(phase2->desired, trusted_from));
}

}  // namespace
}  // namespace berth::servingcert
