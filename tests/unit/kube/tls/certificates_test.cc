#include "kube/tls/certificates.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "kube/core/strings.h"

namespace kube::tls {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::system_clock;

// SHA-256 over the base64-decoded PEM body, computed without X509 parsing, as an independent
// check of CertificateInfo::sha256_fingerprint.
std::string fingerprint_from_pem(const std::string& pem) {
  const std::string begin = "-----BEGIN CERTIFICATE-----";
  const std::string end = "-----END CERTIFICATE-----";
  auto b = pem.find(begin);
  auto e = pem.find(end);
  std::string b64;
  for (char c : pem.substr(b + begin.size(), e - b - begin.size())) {
    if (c != '\n' && c != '\r') b64.push_back(c);
  }
  std::string der = *base64_decode(b64);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(der.data(), der.size(), md, &n, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", md[i]);
    hex += buf;
  }
  return hex;
}

class Certificates : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ca = generate_ca({.common_name = "berth-test-ca"});
    ASSERT_TRUE(ca.ok()) << ca.error().to_string();
    ca_ = new KeyPair(*ca);
  }
  static void TearDownTestSuite() {
    delete ca_;
    ca_ = nullptr;
  }
  static KeyPair* ca_;
};
KeyPair* Certificates::ca_ = nullptr;

TEST_F(Certificates, CaIsSelfSignedCaWithLongValidity) {
  auto info = inspect_certificate(ca_->cert_pem);
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->subject_common_name, "berth-test-ca");
  EXPECT_EQ(info->issuer_common_name, "berth-test-ca");
  EXPECT_TRUE(info->is_ca);
  auto now = system_clock::now();
  EXPECT_LE(info->not_before, now - std::chrono::seconds(50));  // backdated for skew
  EXPECT_GE(info->not_before, now - minutes(2));
  EXPECT_GT(info->not_after, now + hours(24 * 3649));
  EXPECT_LT(info->not_after, now + hours(24 * 3651));
  EXPECT_TRUE(check_key_matches(ca_->cert_pem, ca_->key_pem).ok());
  EXPECT_TRUE(verify_certificate(ca_->cert_pem, ca_->cert_pem).ok());
  EXPECT_NE(ca_->key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST_F(Certificates, LeafCarriesNamesUsagesAndChainsToItsCa) {
  auto leaf = issue_certificate(
      *ca_, {.common_name = "berth-webhooks",
             .dns_names = {"berth-webhooks.berth-system.svc", "*.berth-system.svc"},
             .ip_addresses = {"127.0.0.1", "::1"},
             .validity = hours(48),
             .server_auth = true,
             .client_auth = true});
  ASSERT_TRUE(leaf.ok()) << leaf.error().to_string();
  auto info = inspect_certificate(leaf->cert_pem);
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->subject_common_name, "berth-webhooks");
  EXPECT_EQ(info->issuer_common_name, "berth-test-ca");
  EXPECT_FALSE(info->is_ca);
  EXPECT_TRUE(info->server_auth);
  EXPECT_TRUE(info->client_auth);
  EXPECT_EQ(info->dns_names,
            (std::vector<std::string>{"berth-webhooks.berth-system.svc", "*.berth-system.svc"}));
  EXPECT_EQ(info->ip_addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  using Hours = std::chrono::duration<double, std::ratio<3600>>;
  EXPECT_NEAR(Hours(info->not_after - info->not_before).count(), 48.0 + 1.0 / 60, 0.01);
  EXPECT_EQ(info->sha256_fingerprint, fingerprint_from_pem(leaf->cert_pem));
  EXPECT_EQ(info->sha256_fingerprint.size(), 64u);
  EXPECT_FALSE(info->serial_hex.empty());
  EXPECT_LE(info->serial_hex.size(), 32u);

  EXPECT_TRUE(check_key_matches(leaf->cert_pem, leaf->key_pem).ok());
  EXPECT_TRUE(verify_certificate(leaf->cert_pem, ca_->cert_pem).ok());
  VerifyOptions as_server{.host = "berth-webhooks.berth-system.svc",
                          .purpose = VerifyOptions::Purpose::kServer};
  EXPECT_TRUE(verify_certificate(leaf->cert_pem, ca_->cert_pem, as_server).ok());
  EXPECT_TRUE(
      verify_certificate(leaf->cert_pem, ca_->cert_pem, {.host = "x.berth-system.svc"}).ok());
  EXPECT_TRUE(verify_certificate(leaf->cert_pem, ca_->cert_pem, {.host = "::1"}).ok());
  auto wrong_host = verify_certificate(leaf->cert_pem, ca_->cert_pem, {.host = "evil.example"});
  ASSERT_FALSE(wrong_host.ok());
  EXPECT_EQ(wrong_host.error().reason, Reason::kInvalid);
  EXPECT_NE(wrong_host.error().message.find("mismatch"), std::string::npos)
      << wrong_host.error().message;
  EXPECT_FALSE(verify_certificate(leaf->cert_pem, ca_->cert_pem, {.host = "10.0.0.1"}).ok());
}

TEST_F(Certificates, UsagesAreEnforcedByPurpose) {
  auto client = issue_certificate(*ca_, {.common_name = "admin",
                                         .organizations = {"system:masters"},
                                         .server_auth = false,
                                         .client_auth = true});
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  auto info = inspect_certificate(client->cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->subject_organizations, std::vector<std::string>{"system:masters"});
  EXPECT_FALSE(info->server_auth);
  EXPECT_TRUE(info->client_auth);
  EXPECT_TRUE(verify_certificate(client->cert_pem, ca_->cert_pem,
                                 {.purpose = VerifyOptions::Purpose::kClient})
                  .ok());
  EXPECT_FALSE(verify_certificate(client->cert_pem, ca_->cert_pem,
                                  {.purpose = VerifyOptions::Purpose::kServer})
                   .ok());
}

TEST_F(Certificates, SerialsAreRandom) {
  auto a = issue_certificate(*ca_, {.common_name = "a"});
  auto b = issue_certificate(*ca_, {.common_name = "a"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(inspect_certificate(a->cert_pem)->serial_hex,
            inspect_certificate(b->cert_pem)->serial_hex);
  EXPECT_NE(a->key_pem, b->key_pem);
}

TEST_F(Certificates, RejectsMismatchedKeyAndForeignCa) {
  auto leaf = issue_certificate(*ca_, {.common_name = "x", .dns_names = {"x"}});
  auto other = issue_certificate(*ca_, {.common_name = "y", .dns_names = {"y"}});
  ASSERT_TRUE(leaf.ok() && other.ok());
  auto mismatch = check_key_matches(leaf->cert_pem, other->key_pem);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().reason, Reason::kInvalid);

  auto foreign_ca = generate_ca({.common_name = "other-ca"});
  ASSERT_TRUE(foreign_ca.ok());
  auto foreign = verify_certificate(leaf->cert_pem, foreign_ca->cert_pem);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("local issuer"), std::string::npos)
      << foreign.error().message;
  // A bundle holding both CAs verifies.
  EXPECT_TRUE(verify_certificate(leaf->cert_pem, foreign_ca->cert_pem + ca_->cert_pem).ok());

  // Signing with a CA certificate and somebody else's key is refused.
  auto bad_ca = issue_certificate({ca_->cert_pem, foreign_ca->key_pem}, {.common_name = "z"});
  ASSERT_FALSE(bad_ca.ok());
  EXPECT_EQ(bad_ca.error().reason, Reason::kInvalid);
  // A leaf cannot act as a CA.
  auto leaf_as_ca = issue_certificate(*leaf, {.common_name = "z"});
  ASSERT_FALSE(leaf_as_ca.ok());
  EXPECT_NE(leaf_as_ca.error().message.find("not a CA"), std::string::npos);
}

TEST_F(Certificates, ValidityWindowIsChecked) {
  auto leaf = issue_certificate(*ca_, {.common_name = "short", .validity = hours(1)});
  ASSERT_TRUE(leaf.ok());
  auto later =
      verify_certificate(leaf->cert_pem, ca_->cert_pem, {.at = system_clock::now() + hours(2)});
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error().message.find("expired"), std::string::npos) << later.error().message;
  auto earlier =
      verify_certificate(leaf->cert_pem, ca_->cert_pem, {.at = system_clock::now() - minutes(5)});
  ASSERT_FALSE(earlier.ok());
  EXPECT_NE(earlier.error().message.find("not yet valid"), std::string::npos);
}

TEST_F(Certificates, RejectsMalformedInput) {
  auto garbage = inspect_certificate("not a certificate");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().reason, Reason::kParse);
  auto damaged =
      inspect_certificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().reason, Reason::kParse);
  EXPECT_EQ(check_key_matches(ca_->cert_pem, "junk").error().reason, Reason::kParse);
  EXPECT_EQ(verify_certificate(ca_->cert_pem, "").error().reason, Reason::kParse);

  auto bad_dns = issue_certificate(*ca_, {.common_name = "x", .dns_names = {"a,DNS:evil"}});
  ASSERT_FALSE(bad_dns.ok());
  EXPECT_EQ(bad_dns.error().reason, Reason::kInvalid);
  auto bad_ip = issue_certificate(*ca_, {.common_name = "x", .ip_addresses = {"300.1.1.1"}});
  ASSERT_FALSE(bad_ip.ok());
  EXPECT_EQ(bad_ip.error().reason, Reason::kInvalid);
  auto no_usage = issue_certificate(*ca_, {.common_name = "x", .server_auth = false});
  ASSERT_FALSE(no_usage.ok());
  auto no_name = issue_certificate(*ca_, {});
  ASSERT_FALSE(no_name.ok());
}

TEST_F(Certificates, RsaKeysWork) {
  auto ca = generate_ca({.common_name = "rsa-ca", .key_type = KeyType::kRsa2048});
  ASSERT_TRUE(ca.ok()) << ca.error().to_string();
  auto leaf = issue_certificate(*ca, {.common_name = "rsa-leaf", .key_type = KeyType::kRsa2048});
  ASSERT_TRUE(leaf.ok()) << leaf.error().to_string();
  EXPECT_TRUE(verify_certificate(leaf->cert_pem, ca->cert_pem).ok());
  EXPECT_TRUE(check_key_matches(leaf->cert_pem, leaf->key_pem).ok());
  // An EC leaf under an RSA CA and vice versa.
  auto mixed = issue_certificate(*ca, {.common_name = "ec-leaf"});
  ASSERT_TRUE(mixed.ok());
  EXPECT_TRUE(verify_certificate(mixed->cert_pem, ca->cert_pem).ok());

  auto big = generate_private_key(KeyType::kRsa4096);
  ASSERT_TRUE(big.ok());
  EXPECT_GT(big->size(), 3000u);  // a 4096-bit PKCS#8 key is ~3.2 KB of PEM
}

}  // namespace
}  // namespace kube::tls
