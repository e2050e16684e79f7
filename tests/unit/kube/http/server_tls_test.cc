#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "kube/http/client.h"
#include "kube/http/server.h"
#include "kube/tls/certificates.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/http/test_peer.h"

namespace kube::http {
namespace {

namespace fs = std::filesystem;
using berth::testing::tls_probe;
using berth::testing::TlsProbeOptions;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kTimeout = seconds(10);

// Replaces a file the way Kubernetes updates a mounted Secret: write aside, then rename.
void write_atomically(const fs::path& path, std::string_view content) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
  }
  fs::rename(tmp, path);
}

std::string fingerprint(const std::string& pem) {
  auto info = tls::inspect_certificate(pem);
  return info.ok() ? info->sha256_fingerprint : "unparsable: " + info.error().message;
}

class TlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto ca = tls::generate_ca({.common_name = "berth-test-ca"});
    ASSERT_TRUE(ca.ok());
    ca_ = new tls::KeyPair(*ca);
  }
  static void TearDownTestSuite() {
    delete ca_;
    ca_ = nullptr;
  }

  void SetUp() override {
    char tmpl[] = "/tmp/berth-http-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    leaf_ = issue("localhost");
    write_atomically(dir_ / "tls.crt", leaf_.cert_pem);
    write_atomically(dir_ / "tls.key", leaf_.key_pem);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  static tls::KeyPair issue(const std::string& cn, bool client = false) {
    auto leaf = tls::issue_certificate(
        *ca_, {.common_name = cn,
               .organizations =
                   client ? std::vector<std::string>{"system:masters"} : std::vector<std::string>{},
               .dns_names = {"localhost"},
               .ip_addresses = {"127.0.0.1"},
               .server_auth = !client,
               .client_auth = client});
    EXPECT_TRUE(leaf.ok());
    return *leaf;
  }

  void start(std::shared_ptr<TlsOptions> tls = nullptr) {
    if (!tls) {
      tls = std::make_shared<TlsOptions>();
      tls->cert_file = dir_ / "tls.crt";
      tls->key_file = dir_ / "tls.key";
      tls->reload_interval = milliseconds(20);
    }
    ServerOptions options;
    options.tls = tls;
    auto server = Server::start(options, [](Request&& r, Responder res) {
      res.send(Response::text(
          200, std::string(r.tls ? "tls" : "plain") + " " + r.peer_common_name + " " +
                   (r.peer_organizations.empty() ? "" : r.peer_organizations[0]) + " " +
                   r.remote_address));
    });
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(*server);
  }

  std::string served_fingerprint() {
    auto probe = tls_probe(server_->port(), {.sni = "localhost"});
    return probe.handshake_ok ? fingerprint(probe.peer_cert_pem)
                              : "handshake failed: " + probe.error;
  }

  ClientOptions verifying() {
    ClientOptions options;
    options.ca_pem = ca_->cert_pem;
    return options;
  }

  static tls::KeyPair* ca_;
  fs::path dir_;
  tls::KeyPair leaf_;
  std::unique_ptr<Server> server_;
};
tls::KeyPair* TlsServerTest::ca_ = nullptr;

TEST_F(TlsServerTest, RoundTripVerifiesAgainstGeneratedCa) {
  start();
  EXPECT_EQ(server_->url().substr(0, 8), "https://");
  Client client(verifying());
  auto r = client.get(server_->url() + "/", kTimeout);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->body.substr(0, 5), "tls  ");
  auto again = client.get(server_->url() + "/", kTimeout);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->body, r->body);  // the same TLS connection: the body ends with its address
  // By name, with SNI, against the same address.
  ClientOptions by_name = verifying();
  by_name.server_name = "localhost";
  auto named = Client(by_name).get(server_->url() + "/", kTimeout);
  ASSERT_TRUE(named.ok()) << named.error().to_string();
}

TEST_F(TlsServerTest, ClientRejectsUntrustedOrMismatchedCertificates) {
  start();
  auto other_ca = tls::generate_ca({.common_name = "other"});
  ASSERT_TRUE(other_ca.ok());
  ClientOptions wrong_ca;
  wrong_ca.ca_pem = other_ca->cert_pem;
  auto untrusted = Client(wrong_ca).get(server_->url() + "/", kTimeout);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.error().reason, Reason::kTransport);
  EXPECT_NE(untrusted.error().message.find("certificate verify failed"), std::string::npos)
      << untrusted.error().message;

  ClientOptions wrong_name = verifying();
  wrong_name.server_name = "berth-webhooks.berth-system.svc";
  auto mismatch = Client(wrong_name).get(server_->url() + "/", kTimeout);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("mismatch"), std::string::npos)
      << mismatch.error().message;

  wrong_ca.insecure_skip_verify = true;
  auto skipped = Client(wrong_ca).get(server_->url() + "/", kTimeout);
  ASSERT_TRUE(skipped.ok()) << skipped.error().to_string();
}

TEST_F(TlsServerTest, OldProtocolVersionsAreRefused) {
  start();
  // Security level 0 lets this client offer TLS 1.0/1.1 at all; the refusal is the server's
  // protocol_version alert.
  auto old = tls_probe(server_->port(), {.min_version = TLS1_VERSION,
                                         .max_version = TLS1_1_VERSION,
                                         .sni = "localhost",
                                         .ciphers = "DEFAULT:@SECLEVEL=0"});
  EXPECT_FALSE(old.handshake_ok);
  EXPECT_EQ(old.error_reason, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION) << old.error;

  auto tls12 = tls_probe(server_->port(), {.min_version = TLS1_VERSION,
                                           .max_version = TLS1_2_VERSION,
                                           .sni = "localhost",
                                           .ciphers = "DEFAULT:@SECLEVEL=0"});
  ASSERT_TRUE(tls12.handshake_ok) << tls12.error;
  EXPECT_EQ(tls12.protocol, "TLSv1.2");
}

TEST_F(TlsServerTest, ClientWithoutSniIsServed) {
  start();
  auto probe =
      tls_probe(server_->port(),
                {.sni = "", .request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"});
  ASSERT_TRUE(probe.handshake_ok) << probe.error;
  EXPECT_EQ(probe.response.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_EQ(fingerprint(probe.peer_cert_pem), fingerprint(leaf_.cert_pem));
}

TEST_F(TlsServerTest, RotationUnderLoadLosesNoRequest) {
  start();
  std::atomic<bool> done{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::mutex error_mu;
  std::string first_error;
  std::thread load([&] {
    Client client(verifying());
    for (int i = 0; !done; ++i) {
      Headers headers;
      if (i % 4 == 0) headers.add("Connection", "close");  // new connections keep coming
      auto r = client.request("GET", server_->url() + "/", headers, {}, kTimeout);
      if (r.ok() && r->status == 200) {
        ++ok;
      } else {
        ++failed;
        std::lock_guard lock(error_mu);
        if (first_error.empty()) first_error = r.ok() ? "status" : r.error().to_string();
      }
    }
  });
  ASSERT_TRUE(wait_for([&] { return ok >= 20; }));
  EXPECT_EQ(served_fingerprint(), fingerprint(leaf_.cert_pem));

  tls::KeyPair next = issue("localhost");
  write_atomically(dir_ / "tls.key", next.key_pem);
  write_atomically(dir_ / "tls.crt", next.cert_pem);
  EXPECT_TRUE(wait_for([&] {
    return server_->certificate_reloads() >= 1 &&
           served_fingerprint() == fingerprint(next.cert_pem);
  }));
  int at_switch = ok;
  EXPECT_TRUE(wait_for([&] { return ok >= at_switch + 20; }));
  done = true;
  load.join();
  EXPECT_EQ(failed, 0) << first_error;
  EXPECT_EQ(server_->last_certificate_error(), "");
}

TEST_F(TlsServerTest, InvalidReplacementKeepsServingTheOldCertificate) {
  start();
  const std::string original = fingerprint(leaf_.cert_pem);
  write_atomically(dir_ / "tls.crt", "this is not a certificate");
  ASSERT_TRUE(wait_for([&] { return !server_->last_certificate_error().empty(); }));
  EXPECT_NE(server_->last_certificate_error().find("certificate"), std::string::npos)
      << server_->last_certificate_error();
  EXPECT_EQ(server_->certificate_reloads(), 0u);
  EXPECT_EQ(served_fingerprint(), original);
  auto r = Client(verifying()).get(server_->url() + "/", kTimeout);
  ASSERT_TRUE(r.ok()) << r.error().to_string();

  // A certificate whose key is another one's is refused the same way.
  tls::KeyPair other = issue("localhost");
  write_atomically(dir_ / "tls.crt", other.cert_pem);
  ASSERT_TRUE(wait_for([&] {
    return server_->last_certificate_error().find("does not match") != std::string::npos;
  })) << server_->last_certificate_error();
  EXPECT_EQ(served_fingerprint(), original);

  // Completing the pair recovers.
  write_atomically(dir_ / "tls.key", other.key_pem);
  ASSERT_TRUE(wait_for([&] {
    return server_->certificate_reloads() == 1 && server_->last_certificate_error().empty();
  }));
  EXPECT_EQ(served_fingerprint(), fingerprint(other.cert_pem));
}

TEST_F(TlsServerTest, ProviderSuppliesAndRotatesCertificates) {
  std::mutex mu;
  tls::KeyPair current = leaf_;
  auto options = std::make_shared<TlsOptions>();
  options->reload_interval = milliseconds(20);
  options->provider = [&]() -> Result<std::pair<std::string, std::string>> {
    std::lock_guard lock(mu);
    return std::make_pair(current.cert_pem, current.key_pem);
  };
  start(options);
  EXPECT_EQ(served_fingerprint(), fingerprint(leaf_.cert_pem));
  tls::KeyPair next = issue("localhost");
  {
    std::lock_guard lock(mu);
    current = next;
  }
  ASSERT_TRUE(wait_for([&] { return served_fingerprint() == fingerprint(next.cert_pem); }));
  EXPECT_EQ(server_->certificate_reloads(), 1u);
  server_.reset();  // before the provider's captures go away
}

TEST_F(TlsServerTest, MutualTlsRequiresAndReportsClientCertificates) {
  write_atomically(dir_ / "ca.crt", ca_->cert_pem);
  auto options = std::make_shared<TlsOptions>();
  options->cert_file = dir_ / "tls.crt";
  options->key_file = dir_ / "tls.key";
  options->client_ca_file = dir_ / "ca.crt";
  start(options);

  auto anonymous = Client(verifying()).get(server_->url() + "/", kTimeout);
  EXPECT_FALSE(anonymous.ok());

  tls::KeyPair admin = issue("admin", /*client=*/true);
  ClientOptions with_cert = verifying();
  with_cert.client_cert_pem = admin.cert_pem;
  with_cert.client_key_pem = admin.key_pem;
  auto r = Client(with_cert).get(server_->url() + "/", kTimeout);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->body.substr(0, 25), "tls admin system:masters ");
}

}  // namespace
}  // namespace kube::http
