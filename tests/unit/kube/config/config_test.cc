#include "kube/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "kube/clock/fake_clock.h"
#include "kube/config/token_source.h"
#include "kube/core/strings.h"

namespace kube {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("berth-config-test-" + random_suffix(10));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& relative, const std::string& content) const {
    fs::path p = path_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  fs::path path_;
};

Getenv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr char kCaPem[] = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
constexpr char kCertPem[] = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n";
constexpr char kKeyPem[] = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n";

std::string two_context_kubeconfig() {
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
         "clusters:\n"
         "- name: dev-cluster\n  cluster:\n    server: https://127.0.0.1:6443/\n"
         "    certificate-authority-data: " +
         base64_encode(kCaPem) +
         "\n"
         "    tls-server-name: kubernetes.default\n"
         "- name: prod-cluster\n  cluster:\n    server: https://prod.example.com\n"
         "    certificate-authority: pki/ca.crt\n"
         "contexts:\n"
         "- name: dev\n  context:\n    cluster: dev-cluster\n    user: dev-user\n"
         "    namespace: team-a\n"
         "- name: prod\n  context:\n    cluster: prod-cluster\n    user: prod-user\n"
         "users:\n"
         "- name: dev-user\n  user:\n"
         "    client-certificate-data: " +
         base64_encode(kCertPem) + "\n    client-key-data: " + base64_encode(kKeyPem) +
         "\n"
         "- name: prod-user\n  user:\n    tokenFile: secrets/token\n";
}

TEST(Kubeconfig, InlineDataAndCurrentContext) {
  TempDir dir;
  fs::path path = dir.write("config", two_context_kubeconfig());
  dir.write("pki/ca.crt", "unused");
  dir.write("secrets/token", "unused");
  auto config = load_kubeconfig(path);
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->client_cert_pem, kCertPem);
  EXPECT_EQ(config->client_key_pem, kKeyPem);
  EXPECT_EQ(config->tls_server_name, "kubernetes.default");
  EXPECT_EQ(config->namespace_, "team-a");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_NE(config->source.find("context dev"), std::string::npos);
  // describe() says what kind of credentials, never the material.
  std::string text = config->describe();
  EXPECT_NE(text.find("client-certificate"), std::string::npos);
  EXPECT_EQ(text.find("S0VZ"), std::string::npos);
  EXPECT_EQ(text.find("PRIVATE"), std::string::npos);
}

TEST(Kubeconfig, FilesAreRelativeToTheKubeconfigFolder) {
  TempDir dir;
  fs::path path = dir.write("nested/kube/config", two_context_kubeconfig());
  dir.write("nested/kube/pki/ca.crt", kCaPem);
  dir.write("nested/kube/secrets/token", "tok-123\n");
  auto config = load_kubeconfig(path, {.context = "prod"});
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server, "https://prod.example.com");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->bearer_token_file, (dir.path() / "nested/kube/secrets/token").string());
  EXPECT_EQ(config->namespace_, "default");
  EXPECT_EQ(config->describe().find("tok-123"), std::string::npos);
}

TEST(Kubeconfig, MissingContextNamesContextAndFile) {
  TempDir dir;
  fs::path path = dir.write("config", two_context_kubeconfig());
  auto config = load_kubeconfig(path, {.context = "staging"});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, "context \"staging\" not found in " + path.string());
}

TEST(Kubeconfig, MissingReferencedFileIsAClearError) {
  TempDir dir;
  fs::path path = dir.write("config", two_context_kubeconfig());
  auto config = load_kubeconfig(path, {.context = "prod"});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find((dir.path() / "pki/ca.crt").string()), std::string::npos)
      << config.error().message;
}

TEST(Kubeconfig, StructuralErrors) {
  struct Case {
    std::string yaml;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"clusters: []\n", "no current-context"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n",
       "cluster \"c\" (of context \"a\") not found"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\nclusters:\n- name: "
       "c\n"
       "  cluster: {}\n",
       "has no server"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n"
       "clusters:\n- name: c\n  cluster:\n    server: https://x\n",
       "user \"u\" (of context \"a\") not found"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n"
       "clusters:\n- name: c\n  cluster:\n    server: https://x\nusers:\n- name: u\n  user:\n"
       "    exec:\n      command: aws\n",
       "credential plugin"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n"
       "clusters:\n- name: c\n  cluster:\n    server: https://x\n    insecure-skip-tls-verify: "
       "true\n"
       "    certificate-authority-data: " +
           base64_encode(kCaPem) + "\n",
       "insecure-skip-tls-verify is not allowed"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n"
       "clusters:\n- name: c\n  cluster:\n    server: https://x\nusers:\n- name: u\n  user:\n"
       "    client-certificate-data: " +
           base64_encode(kCertPem) + "\n",
       "without its key"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n"
       "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
       "    certificate-authority-data: '%%%'\n",
       "not valid base64"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n"
       "clusters:\n- name: c\n  cluster:\n    server: https://x\nusers:\n- name: u\n  user:\n"
       "    token: t\n    username: me\n    password: pw\n",
       "only one is allowed"},
      {"current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: c\n"
       "clusters:\n- name: c\n  cluster:\n    server: ftp://x\n",
       "not an http(s) URL"},
      {"clusters: [\n", "invalid kubeconfig"},
  };
  for (const Case& c : cases) {
    auto config = parse_kubeconfig(c.yaml, "/nonexistent", "test-config");
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.error().reason, Reason::kParse);
    EXPECT_NE(config.error().message.find(c.expected), std::string::npos)
        << "expected \"" << c.expected << "\" in: " << config.error().message;
  }
}

TEST(Kubeconfig, TokenAndBasicAuthAndInsecure) {
  auto config = parse_kubeconfig(
      "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
      "clusters:\n- name: c\n  cluster: {server: 'https://[::1]:6443', insecure-skip-tls-verify: "
      "true}\n"
      "users:\n- name: u\n  user: {username: admin, password: s3cret}\n",
      "/tmp", "inline");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server, "https://[::1]:6443");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->username, "admin");
  EXPECT_EQ(config->password, "s3cret");
  EXPECT_EQ(config->describe().find("s3cret"), std::string::npos);
}

TEST(Kubeconfig, MergesAListLikeKubectl) {
  TempDir dir;
  fs::path first =
      dir.write("a/config",
                "current-context: from-a\ncontexts:\n- name: from-a\n  context: {cluster: shared}\n"
                "clusters:\n- name: shared\n  cluster: {server: 'https://a.example'}\n");
  fs::path second = dir.write(
      "b/config",
      "current-context: from-b\ncontexts:\n- name: from-b\n  context: {cluster: only-b, user: u}\n"
      "clusters:\n- name: shared\n  cluster: {server: 'https://b.example'}\n"
      "- name: only-b\n  cluster: {server: 'https://only-b.example'}\n"
      "users:\n- name: u\n  user: {tokenFile: tok}\n");
  dir.write("b/tok", "abc");
  std::vector<fs::path> paths = {dir.path() / "missing", first, second};
  auto config = load_kubeconfig(paths);
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server, "https://a.example");  // first current-context, first "shared"
  auto other = load_kubeconfig(paths, {.context = "from-b"});
  ASSERT_TRUE(other.ok()) << other.error().to_string();
  EXPECT_EQ(other->server, "https://only-b.example");
  // tokenFile is relative to the file that defined the user.
  EXPECT_EQ(other->bearer_token_file, (dir.path() / "b/tok").string());

  auto none = load_kubeconfig(std::vector<fs::path>{dir.path() / "x", dir.path() / "y"});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no kubeconfig file exists"), std::string::npos);
}

class InCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("sa/token", "header.payload.sig\n");
    dir_.write("sa/ca.crt", kCaPem);
    dir_.write("sa/namespace", "berth-system");
  }
  InClusterOptions options(std::map<std::string, std::string> env) {
    return {env_of(std::move(env)), dir_.path() / "sa"};
  }
  TempDir dir_;
};

TEST_F(InCluster, ReadsServiceAccountFiles) {
  auto config = in_cluster_config(
      options({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->namespace_, "berth-system");
  EXPECT_EQ(config->bearer_token_file, (dir_.path() / "sa/token").string());
  EXPECT_TRUE(config->bearer_token.empty());
}

TEST_F(InCluster, BracketsIpv6Hosts) {
  auto config = in_cluster_config(
      options({{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "6443"}}));
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->server, "https://[fd00:10:96::1]:6443");
}

TEST_F(InCluster, ErrorsWithoutEnvironmentOrToken) {
  auto no_env = in_cluster_config(options({}));
  ASSERT_FALSE(no_env.ok());
  EXPECT_NE(no_env.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);
  auto bad_port = in_cluster_config(
      options({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "https"}}));
  ASSERT_FALSE(bad_port.ok());
  fs::remove(dir_.path() / "sa/token");
  auto no_token = in_cluster_config(
      options({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_FALSE(no_token.ok());
  EXPECT_NE(no_token.error().message.find("token"), std::string::npos);
}

TEST_F(InCluster, MissingCaFallsBackToSystemStore) {
  fs::remove(dir_.path() / "sa/ca.crt");
  fs::remove(dir_.path() / "sa/namespace");
  auto config = in_cluster_config(
      options({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_TRUE(config->ca_pem.empty());
  EXPECT_EQ(config->namespace_, "default");
}

TEST(LoadConfig, ResolutionOrder) {
  TempDir dir;
  auto kubeconfig = [](const std::string& server) {
    return "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\n"
           "clusters:\n- name: k\n  cluster: {server: '" +
           server + "'}\n";
  };
  fs::path explicit_path = dir.write("explicit", kubeconfig("https://explicit"));
  fs::path env_path = dir.write("env", kubeconfig("https://env"));
  dir.write("home/.kube/config", kubeconfig("https://home"));
  dir.write("sa/token", "t");
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                            {"KUBERNETES_SERVICE_PORT", "443"},
                                            {"KUBECONFIG", env_path.string()},
                                            {"HOME", (dir.path() / "home").string()}};
  auto load = [&](std::string flag, const std::map<std::string, std::string>& e) {
    LoadOptions options;
    options.kubeconfig = std::move(flag);
    options.getenv = env_of(e);
    options.service_account_dir = dir.path() / "sa";
    auto config = load_config(options);
    EXPECT_TRUE(config.ok()) << config.error().to_string();
    return config.ok() ? config->server : std::string();
  };
  EXPECT_EQ(load(explicit_path.string(), env), "https://explicit");
  EXPECT_EQ(load("", env), "https://10.0.0.1:443");
  env.erase("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(load("", env), "https://env");
  env.erase("KUBECONFIG");
  EXPECT_EQ(load("", env), "https://home");

  LoadOptions nothing;
  nothing.getenv = env_of({});
  nothing.home = dir.path() / "nohome";
  auto none = load_config(nothing);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("--kubeconfig"), std::string::npos);
}

TEST(TokenSourceTest, FixedTokenCannotBeRefreshed) {
  auto source = TokenSource::fixed("abc");
  EXPECT_EQ(source->token().value(), "abc");
  EXPECT_FALSE(source->invalidate());
}

TEST(TokenSourceTest, FileIsReReadPeriodicallyAndAfterInvalidate) {
  TempDir dir;
  fs::path path = dir.write("token", "first\n");
  FakeClock clock;
  auto source = TokenSource::file(path.string(), std::chrono::seconds(60), clock);
  EXPECT_EQ(source->token().value(), "first");
  dir.write("token", "second");
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ(source->token().value(), "first");  // cached within the refresh period
  clock.advance(std::chrono::seconds(31));
  EXPECT_EQ(source->token().value(), "second");
  dir.write("token", "third");
  EXPECT_EQ(source->token().value(), "second");
  EXPECT_TRUE(source->invalidate());
  EXPECT_EQ(source->token().value(), "third");
  EXPECT_EQ(source->reads(), 3u);
}

TEST(TokenSourceTest, KeepsLastGoodTokenWhenTheFileDisappears) {
  TempDir dir;
  fs::path path = dir.write("token", "good");
  FakeClock clock;
  auto source = TokenSource::file(path.string(), std::chrono::seconds(1), clock);
  EXPECT_EQ(source->token().value(), "good");
  fs::remove(path);
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(source->token().value(), "good");

  auto never = TokenSource::file((dir.path() / "absent").string(), std::chrono::seconds(1), clock);
  auto token = never->token();
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.error().message.find("absent"), std::string::npos);
}

}  // namespace
}  // namespace kube
