// kube::Client over the cpprestsdk transport against a real HTTP(S) server on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "kube/client/client.h"
#include "kube/client/cpprest_transport.h"
#include "kube/core/strings.h"
#include "kube/tls/certificates.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/client/fake_apiserver.h"
#include "tests/unit/kube/client/instant_clock.h"

namespace kube {
namespace {

using berth::testing::FakeApiserver;
using berth::testing::FaultyProxy;
using berth::testing::InstantClock;
using berth::testing::wait_for;

constexpr char kConfigMaps[] = "/api/v1/configmaps";

std::string configmap(const std::string& name, const std::string& value = "v") {
  return R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" + name +
         R"(","namespace":"ns"},"data":{"k":")" + value + R"("}})";
}

Config config_for(const std::string& url) {
  Config config;
  config.server = url;
  config.bearer_token = "secret-token";
  config.namespace_ = "ns";
  return config;
}

std::unique_ptr<Client> make_client(const Config& config, ClientOptions options = {}) {
  auto client = Client::create(config, std::move(options));
  EXPECT_TRUE(client.ok()) << client.error().to_string();
  return client.ok() ? std::move(client).value() : nullptr;
}

TEST(ClientHttp, CrudRoundTripWithHeaders) {
  FakeApiserver server;
  auto client = make_client(config_for(server.url()), {.component = "test"});
  ASSERT_TRUE(client);
  auto doc = json::parse(configmap("a"));
  auto created = client->create(resources::kConfigMaps, *doc, {.field_manager = "berth-test"});
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  EXPECT_EQ(created->name(), "a");
  EXPECT_FALSE(created->resource_version().empty());

  auto again = client->create(resources::kConfigMaps, *doc);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().is_already_exists());

  auto got = client->get(resources::kConfigMaps, "ns", "a");
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(got->resource_version(), created->resource_version());

  json::Document stale = got->copy();
  json::set_string(*json::find(stale, "metadata"), "resourceVersion", "1", stale.GetAllocator());
  auto conflict = client->update(resources::kConfigMaps, stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(conflict.error().is_conflict());

  auto removed = client->remove(resources::kConfigMaps, "ns", "a");
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_TRUE(client->get(resources::kConfigMaps, "ns", "a").error().is_not_found());

  auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  const auto& post = requests.front();
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.target, "/api/v1/namespaces/ns/configmaps?fieldManager=berth-test");
  EXPECT_EQ(post.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(post.headers.get("Accept"), "application/json");
  EXPECT_EQ(post.headers.get("Authorization"), "Bearer secret-token");
  EXPECT_EQ(post.headers.get("User-Agent"), default_user_agent("test"));
  EXPECT_TRUE(json::equal(*json::parse(post.body), *doc));
}

TEST(ClientHttp, PlainTextErrorsAndUnreachableServers) {
  FakeApiserver server;
  auto client = make_client(config_for(server.url()));
  ASSERT_TRUE(client);
  auto r = client->request("GET", "/apis/nope.example.com/v1");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_not_found());
  EXPECT_EQ(r.error().message, "404 page not found");

  std::uint16_t port = 0;
  {
    FakeApiserver gone;
    port = gone.port();
  }
  auto dead = make_client(config_for("http://127.0.0.1:" + std::to_string(port)));
  auto e = dead->get(resources::kConfigMaps, "ns", "a");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().reason, Reason::kTransport);
  EXPECT_NE(e.error().message.find("/api/v1/namespaces/ns/configmaps/a"), std::string::npos)
      << e.error().message;
}

TEST(ClientHttp, UnusableServerUrlsAreRejectedUpFront) {
  // cpprest keeps the brackets of an IPv6 literal when resolving; failing here beats failing
  // every request later.
  auto v6 = Client::create(config_for("https://[fd00:10:96::1]:443"));
  ASSERT_FALSE(v6.ok());
  EXPECT_NE(v6.error().message.find("IPv6"), std::string::npos) << v6.error().message;
  auto ftp = Client::create(config_for("ftp://example.com"));
  ASSERT_FALSE(ftp.ok());
  EXPECT_NE(ftp.error().message.find("not http(s)"), std::string::npos) << ftp.error().message;
}

TEST(ClientHttp, RetryAfterOverHttp) {
  FakeApiserver server;
  server.upsert(kConfigMaps, configmap("a"));
  auto throttled = http::Response::json(
      429, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
           R"("message":"too many requests","reason":"TooManyRequests","code":429})");
  throttled.headers.set("Retry-After", "1");
  server.fail_next("GET", "/api/v1/namespaces/ns/configmaps/a", throttled, 2);
  InstantClock clock;
  auto client = make_client(config_for(server.url()), {.clock = &clock});
  ASSERT_TRUE(client);
  auto got = client->get(resources::kConfigMaps, "ns", "a");
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(server.count("GET", "/api/v1/namespaces/ns/configmaps/a"), 3u);
  EXPECT_EQ(clock.slept(), std::chrono::seconds(2));
}

TEST(ClientHttp, LargeListsArriveWhole) {
  FakeApiserver server;
  std::string big(64 * 1024, 'x');
  for (int i = 0; i < 100; ++i)
    server.upsert(kConfigMaps, configmap("cm-" + std::to_string(1000 + i), big));
  auto client = make_client(config_for(server.url()));
  auto list = client->list(resources::kConfigMaps, "ns");
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  ASSERT_EQ(list->items.size(), 100u);
  EXPECT_EQ(json::get_string(*json::find(list->items[99].json(), "data"), "k").size(), big.size());
  auto paged = client->list_all(resources::kConfigMaps, "ns", {.limit = 7});
  ASSERT_TRUE(paged.ok()) << paged.error().to_string();
  EXPECT_EQ(paged->items.size(), 100u);
  EXPECT_EQ(server.count("GET", "/api/v1/namespaces/ns/configmaps"), 1u + 15u);
}

TEST(ClientHttp, WatchStreamsEventsSplitAcrossChunks) {
  BERTH_REQUIRE_FIXTURES();
  auto text = berth::testing::read_fixture(
      "watch/pods-lifecycle-create-bind-status-graceful-delete-force.jsonl");
  ASSERT_TRUE(text);
  // Every event in three chunks cut at odd places, the way a proxy may re-chunk a stream.
  std::vector<std::string> chunks;
  std::vector<std::string> expected_rvs;
  for (std::string_view line : split(*text, '\n')) {
    if (line.empty()) continue;
    auto event = decode_watch_event(line);
    ASSERT_TRUE(event.ok());
    expected_rvs.emplace_back(event->object.resource_version());
    std::string full = std::string(line) + "\n";
    chunks.push_back(full.substr(0, 7));
    chunks.push_back(full.substr(7, full.size() / 2));
    chunks.push_back(full.substr(7 + full.size() / 2));
  }
  FakeApiserver server;
  server.script_next_watch(chunks);
  auto client = make_client(config_for(server.url()));
  auto stream = client->watch(resources::kPods, "fx-watch",
                              {.resource_version = "706", .timeout_seconds = 6});
  ASSERT_TRUE(stream.ok()) << stream.error().to_string();
  std::vector<std::string> rvs;
  while (true) {
    auto event = (*stream)->next();
    ASSERT_TRUE(event.ok()) << event.error().to_string();
    if (!event->has_value()) break;
    rvs.emplace_back((*event)->object.resource_version());
  }
  EXPECT_EQ(rvs, expected_rvs);
}

TEST(ClientHttp, WatchErrorEventAndGarbage) {
  BERTH_REQUIRE_FIXTURES();
  auto gone = berth::testing::read_fixture("watch/error-410-resourceversion-1.jsonl");
  ASSERT_TRUE(gone);
  FakeApiserver server;
  auto client = make_client(config_for(server.url()));
  server.script_next_watch({*gone});
  auto stream = client->watch(resources::kConfigMaps, "fx-watch", {.resource_version = "1"});
  ASSERT_TRUE(stream.ok());
  auto event = (*stream)->next();
  ASSERT_FALSE(event.ok());
  EXPECT_TRUE(event.error().is_gone());

  server.script_next_watch({"{\"type\":\"ADDED\",\"obj", "ect\":{\"metadata\":{}}}\nnot json\n"});
  auto garbage = client->watch(resources::kConfigMaps, "fx-watch", {.resource_version = "5"});
  ASSERT_TRUE(garbage.ok());
  auto first = (*garbage)->next();
  ASSERT_TRUE(first.ok() && first->has_value());
  auto second = (*garbage)->next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().reason, Reason::kParse);
}

TEST(ClientHttp, CancelAbortsABlockedWatchPromptly) {
  FakeApiserver server;
  server.script_next_watch({}, /*finish=*/false);  // headers, then silence
  auto client = make_client(config_for(server.url()));
  auto stream =
      client->watch(resources::kConfigMaps, "", {.resource_version = "5", .timeout_seconds = 600});
  ASSERT_TRUE(stream.ok()) << stream.error().to_string();
  std::atomic<bool> done{false};
  Error error;
  std::thread reader([&] {
    auto event = (*stream)->next();
    if (!event.ok()) error = event.error();
    done = true;
  });
  ASSERT_TRUE(wait_for([&] { return server.open_watches() == 1; }));
  (*stream)->cancel();
  ASSERT_TRUE(wait_for([&] { return done.load(); }, std::chrono::seconds(5)));
  reader.join();
  EXPECT_EQ(error.reason, Reason::kCancelled);
}

TEST(ClientHttp, ConnectionCutMidStreamIsATransportError) {
  FakeApiserver server;
  FaultyProxy proxy(server.port());
  auto client = make_client(config_for(proxy.url()));
  auto stream = client->watch(resources::kConfigMaps, "", {.resource_version = "100"});
  ASSERT_TRUE(stream.ok()) << stream.error().to_string();
  ASSERT_TRUE(wait_for([&] { return server.open_watches() == 1; }));
  server.upsert(kConfigMaps, configmap("a"));
  auto first = (*stream)->next();
  ASSERT_TRUE(first.ok() && first->has_value()) << (first.ok() ? "end" : first.error().to_string());
  server.send_to_watches(R"({"type":"MODIFIED","object":{"metad)");
  proxy.cut_all();
  auto second = (*stream)->next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().reason, Reason::kTransport) << second.error().to_string();
}

class TlsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = tls::generate_ca({.common_name = "berth-test-ca"});
    ASSERT_TRUE(ca.ok()) << ca.error().to_string();
    ca_ = *ca;
    dir_ = std::filesystem::temp_directory_path() / ("berth-client-tls-" + random_suffix(8));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void serve(const std::vector<std::string>& dns_names, bool require_client_cert = false) {
    auto leaf = tls::issue_certificate(ca_, {.common_name = "apiserver",
                                             .dns_names = dns_names,
                                             .ip_addresses = {},
                                             .server_auth = true});
    ASSERT_TRUE(leaf.ok()) << leaf.error().to_string();
    std::ofstream(dir_ / "tls.crt") << leaf->cert_pem;
    std::ofstream(dir_ / "tls.key") << leaf->key_pem;
    std::ofstream(dir_ / "ca.crt") << ca_.cert_pem;
    auto options = std::make_shared<http::TlsOptions>();
    options->cert_file = (dir_ / "tls.crt").string();
    options->key_file = (dir_ / "tls.key").string();
    if (require_client_cert) options->client_ca_file = (dir_ / "ca.crt").string();
    server_ = std::make_unique<FakeApiserver>(options);
    server_->upsert(kConfigMaps, configmap("a"));
  }

  Config https_config(const std::string& host) const {
    Config config;
    config.server = "https://" + host + ":" + std::to_string(server_->port());
    config.ca_pem = ca_.cert_pem;
    return config;
  }

  Result<Object> get(const Config& config) {
    auto client = Client::create(config);
    if (!client.ok()) return client.error();
    return (*client)->get(resources::kConfigMaps, "ns", "a");
  }

  tls::KeyPair ca_;
  std::filesystem::path dir_;
  std::unique_ptr<FakeApiserver> server_;
};

TEST_F(TlsClientTest, VerifiesTheServerAgainstTheConfiguredCa) {
  serve({"localhost"});
  auto ok = get(https_config("localhost"));
  EXPECT_TRUE(ok.ok()) << ok.error().to_string();

  auto other_ca = tls::generate_ca({.common_name = "someone-else"});
  Config wrong = https_config("localhost");
  wrong.ca_pem = other_ca->cert_pem;
  auto rejected = get(wrong);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().reason, Reason::kTransport);

  Config insecure = https_config("localhost");
  insecure.ca_pem.clear();
  insecure.insecure_skip_tls_verify = true;
  auto skipped = get(insecure);
  EXPECT_TRUE(skipped.ok()) << skipped.error().to_string();
}

TEST_F(TlsClientTest, TlsServerNameOverridesTheHostToVerify) {
  serve({"kubernetes.default.svc"});
  auto mismatch = get(https_config("localhost"));
  ASSERT_FALSE(mismatch.ok());
  Config named = https_config("localhost");
  named.tls_server_name = "kubernetes.default.svc";
  auto ok = get(named);
  EXPECT_TRUE(ok.ok()) << ok.error().to_string();
}

TEST_F(TlsClientTest, ClientCertificates) {
  serve({"localhost"}, /*require_client_cert=*/true);
  auto anonymous = get(https_config("localhost"));
  ASSERT_FALSE(anonymous.ok());

  auto cert = tls::issue_certificate(ca_, {.common_name = "berth-controller",
                                           .organizations = {"system:masters"},
                                           .server_auth = false,
                                           .client_auth = true});
  ASSERT_TRUE(cert.ok());
  Config config = https_config("localhost");
  config.client_cert_pem = cert->cert_pem;
  config.client_key_pem = cert->key_pem;
  auto ok = get(config);
  EXPECT_TRUE(ok.ok()) << ok.error().to_string();

  auto other =
      tls::issue_certificate(ca_, {.common_name = "x", .server_auth = false, .client_auth = true});
  config.client_key_pem = other->key_pem;
  auto mismatched = Client::create(config);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("does not match"), std::string::npos);
  config.ca_pem = "not a certificate";
  auto bad_ca = Client::create(config);
  ASSERT_FALSE(bad_ca.ok());
  EXPECT_NE(bad_ca.error().message.find("certificate authority"), std::string::npos);
}

}  // namespace
}  // namespace kube
