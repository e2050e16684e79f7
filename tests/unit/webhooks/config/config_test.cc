#include "webhooks/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "webhooks/config/names.h"

namespace berth::webhooks {
namespace {

TEST(Config, EmptyFileGivesDefaults) {
  auto c = parse_config("", "empty.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->policy.mode, PolicyMode::kWarn);
  EXPECT_TRUE(c->policy.forbid_latest);
  EXPECT_EQ(c->policy.digest_pinning, DigestPinning::kOff);
  EXPECT_TRUE(c->registry.global.empty());
  EXPECT_FALSE(c->log_sidecar.native);
  EXPECT_TRUE(c->excluded("kube-system"));
  EXPECT_TRUE(c->excluded("berth-system"));
  EXPECT_FALSE(c->excluded("default"));
}

TEST(Config, FullFile) {
  auto c = parse_config(R"(
apiVersion: berth.dev/v1alpha1
kind: WebhooksConfiguration
excludedNamespaces: [kube-system, monitoring]
logSidecar:
  image: registry.corp/log-shipper:2.0
  containerName: shipper
  nativeSidecars: true
  configMap: logs.v1
  defaultPaths: [/var/log/app/*.log, /data/logs/audit.json]
  resources:
    requests: {cpu: 5m, memory: 16Mi}
    limits: {cpu: 1, memory: 64Mi}
  runAsUser: 1000
secretMounts: {mountRoot: /etc/keys, maxSecrets: 4}
registry:
  mirrors:
    docker.io: mirror.corp:5000/hub/
    index.docker.io: mirror.corp:5000/hub
    quay.io: mirror.corp:5000
  pullSecrets: [mirror-pull]
  namespaces:
    team-a: {mirrors: {ghcr.io: team-a.mirror.corp/ghcr}, pullSecrets: [a-pull]}
    legacy: {}
policy:
  mode: enforce
  allowedRegistries: [mirror.corp:5000, ghcr.io/berth-dev/, index.docker.io/library]
  digestPinning: required
  forbidLatest: false
  checks: {privileged: false, hostPath: true, hostNamespaces: false, resources: true, runAsNonRoot: false}
  requiredRequests: [memory]
  requiredLimits: []
)",
                        "full.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->excluded("monitoring"));
  EXPECT_EQ(c->log_sidecar.image, "registry.corp/log-shipper:2.0");
  EXPECT_EQ(c->log_sidecar.container_name, "shipper");
  EXPECT_TRUE(c->log_sidecar.native);
  EXPECT_EQ(c->log_sidecar.native_mode, NativeSidecars::kAlways);
  EXPECT_EQ(c->log_sidecar.config_map, "logs.v1");
  EXPECT_EQ(c->log_sidecar.default_paths.size(), 2u);
  EXPECT_EQ(c->log_sidecar.requests.cpu, "5m");
  EXPECT_EQ(c->log_sidecar.limits.cpu, "1");  // a YAML number is a quantity too
  EXPECT_EQ(c->log_sidecar.run_as_user, 1000);
  EXPECT_EQ(c->secrets.mount_root, "/etc/keys");
  EXPECT_EQ(c->secrets.max_secrets, 4u);
  ASSERT_EQ(c->registry.global.mirrors.size(), 2u);
  EXPECT_EQ(c->registry.global.mirrors.at("docker.io").host, "mirror.corp:5000");
  EXPECT_EQ(c->registry.global.mirrors.at("docker.io").prefix, "hub");
  EXPECT_EQ(c->registry.global.mirrors.at("quay.io").prefix, "");
  EXPECT_EQ(c->registry.global.pull_secrets, std::vector<std::string>{"mirror-pull"});
  EXPECT_EQ(c->registry.for_namespace("team-a").mirrors.at("ghcr.io").host, "team-a.mirror.corp");
  EXPECT_TRUE(c->registry.for_namespace("legacy").empty());
  EXPECT_EQ(&c->registry.for_namespace("other"), &c->registry.global);
  EXPECT_EQ(c->policy.mode, PolicyMode::kEnforce);
  EXPECT_EQ(
      c->policy.allowed_registries,
      (std::vector<std::string>{"mirror.corp:5000", "ghcr.io/berth-dev", "docker.io/library"}));
  EXPECT_EQ(c->policy.digest_pinning, DigestPinning::kRequired);
  EXPECT_FALSE(c->policy.forbid_latest);
  EXPECT_FALSE(c->policy.checks.privileged);
  EXPECT_FALSE(c->policy.checks.host_namespaces);
  EXPECT_TRUE(c->policy.checks.host_path);
  EXPECT_EQ(c->policy.required_requests, std::vector<std::string>{"memory"});
  EXPECT_TRUE(c->policy.required_limits.empty());
}

TEST(Config, NativeSidecarsAuto) {
  auto c = parse_config("logSidecar: {nativeSidecars: auto}", "x");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->log_sidecar.native_mode, NativeSidecars::kAuto);
  EXPECT_FALSE(c->log_sidecar.native);  // resolved by the binary
}

struct BadCase {
  std::string yaml;
  std::string message;  // exact expected error
};

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, NamesTheField) {
  auto c = parse_config(GetParam().yaml, "webhooks.yaml");
  ASSERT_FALSE(c.ok()) << GetParam().yaml;
  EXPECT_EQ(c.error().reason, kube::Reason::kInvalid);
  EXPECT_EQ(c.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadConfig,
    ::testing::Values(
        BadCase{"policy: {mode: strict}",
                "webhooks.yaml: policy.mode: must be \"enforce\" or \"warn\", got \"strict\""},
        BadCase{"polcy: {}",
                "webhooks.yaml: polcy: unknown field (known: apiVersion, kind, "
                "excludedNamespaces, logSidecar, secretMounts, registry, policy)"},
        BadCase{"policy: {checks: {privilegd: true}}",
                "webhooks.yaml: policy.checks.privilegd: unknown field (known: privileged, "
                "hostPath, hostNamespaces, resources, runAsNonRoot)"},
        BadCase{"- a\n- b", "webhooks.yaml: must be a mapping"},
        BadCase{"kind: Other", "webhooks.yaml: kind: must be WebhooksConfiguration, got \"Other\""},
        BadCase{"logSidecar: {image: 'bad image'}",
                "webhooks.yaml: logSidecar.image: invalid image reference \"bad image\": "
                "repository path component \"bad image\" must be lower-case letters and digits "
                "separated by '.', '_', '__' or '-'"},
        BadCase{"logSidecar: {runAsUser: 0}",
                "webhooks.yaml: logSidecar.runAsUser: must be a non-root user id "
                "(1..2147483647)"},
        BadCase{"logSidecar: {resources: {requests: {memory: 1Gi}}}",
                "webhooks.yaml: logSidecar.resources: requests.memory 1Gi exceeds limits.memory "
                "128Mi"},
        BadCase{"logSidecar: {resources: {limits: {cpu: lots}}}",
                "webhooks.yaml: logSidecar.resources.limits.cpu: must be a non-negative quantity "
                "(e.g. 100m, 64Mi)"},
        BadCase{"logSidecar: {defaultPaths: [/etc/*.log]}",
                "webhooks.yaml: logSidecar.defaultPaths: \"/etc/*.log\": directory /etc is a "
                "system directory; write logs to a directory of their own, e.g. /var/log/app"},
        BadCase{"logSidecar: {nativeSidecars: maybe}",
                "webhooks.yaml: logSidecar.nativeSidecars: must be true, false or \"auto\""},
        BadCase{"registry: {mirrors: {dockerhub: mirror.corp/x}}",
                "webhooks.yaml: registry.mirrors.dockerhub: is not a registry host (docker.io, "
                "quay.io, registry.example.com:5000, ...)"},
        BadCase{"registry: {mirrors: {docker.io: mirror/x}}",
                "webhooks.yaml: registry.mirrors.docker.io: mirror \"mirror/x\" must start with "
                "a registry host (with a '.' or a port, or localhost)"},
        BadCase{"registry: {mirrors: {docker.io: quay.io/hub, quay.io: m.corp}}",
                "webhooks.yaml: registry.mirrors.docker.io: mirror host quay.io is itself "
                "rewritten; images would be rewritten twice"},
        BadCase{"registry: {namespaces: {team-a: {mirrorz: {}}}}",
                "webhooks.yaml: registry.namespaces.team-a.mirrorz: unknown field (known: "
                "mirrors, pullSecrets)"},
        BadCase{"registry: {pullSecrets: [Bad_Name]}",
                "webhooks.yaml: registry.pullSecrets: \"Bad_Name\" must consist of lower-case "
                "letters, digits, '-' and '.', starting and ending with a letter or digit (RFC "
                "1123 subdomain)"},
        BadCase{"policy: {allowedRegistries: [corp]}",
                "webhooks.yaml: policy.allowedRegistries: \"corp\" must be a registry host, "
                "optionally followed by a path (ghcr.io/my-org)"},
        BadCase{"policy: {digestPinning: always}",
                "webhooks.yaml: policy.digestPinning: must be \"off\", \"warn\" or \"required\""},
        BadCase{"policy: {requiredLimits: [gpu]}",
                "webhooks.yaml: policy.requiredLimits: \"gpu\" is not cpu, memory or "
                "ephemeral-storage"},
        BadCase{"secretMounts: {mountRoot: relative/path}",
                "webhooks.yaml: secretMounts.mountRoot: \"relative/path\" must be an absolute "
                "path"},
        BadCase{"excludedNamespaces: [Kube]",
                "webhooks.yaml: excludedNamespaces: \"Kube\" must consist of lower-case "
                "letters, digits and '-' (RFC 1123 label)"}));

TEST(Config, YamlSyntaxErrorNamesTheFile) {
  auto c = parse_config("policy: [", "broken.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("broken.yaml: ", 0), 0u) << c.error().message;
}

TEST(Config, LoadsFile) {
  auto path = std::filesystem::temp_directory_path() / "berth-webhooks-config-test.yaml";
  {
    std::ofstream out(path);
    out << "policy: {mode: enforce}\n";
  }
  auto c = load_config_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->policy.mode, PolicyMode::kEnforce);
  auto missing = load_config_file("/nonexistent/berth.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "cannot read config file /nonexistent/berth.yaml");
}

TEST(Names, Checks) {
  EXPECT_EQ(dns_label_error("web-1"), "");
  EXPECT_NE(dns_label_error("web.1"), "");
  EXPECT_NE(dns_label_error(std::string(64, 'a')), "");
  EXPECT_NE(dns_label_error("-a"), "");
  EXPECT_EQ(dns_subdomain_error("tls.web-1"), "");
  EXPECT_NE(dns_subdomain_error("a..b"), "");
  EXPECT_NE(dns_subdomain_error(""), "");
  EXPECT_EQ(absolute_path_error("/var/run/x"), "");
  EXPECT_NE(absolute_path_error("/var/../etc"), "");
  EXPECT_NE(absolute_path_error("/var//x"), "");
  EXPECT_NE(absolute_path_error("/"), "");
  EXPECT_NE(absolute_path_error("/a:b"), "");
  EXPECT_EQ(log_path_error("/var/log/app/*.log"), "");
  EXPECT_EQ(log_path_error("/data/logs/app-[0-9].log"), "");
  EXPECT_NE(log_path_error("/var/log/*/x.log"), "");  // wildcard in the directory
  EXPECT_NE(log_path_error("/app.log"), "");          // directly under /
  EXPECT_NE(log_path_error("/var/log/app/"), "");     // no file part
  EXPECT_NE(log_path_error("relative/x.log"), "");
  EXPECT_NE(log_path_error("/var/log/x.log"), "");    // would hide /var/log
  EXPECT_NE(log_path_error("/proc/self/x.log"), "");  // system directory
  EXPECT_NE(log_path_error("/var/run/secrets/x/a"), "");
  EXPECT_EQ(log_path_directory("/var/log/app/*.log"), "/var/log/app");
}

}  // namespace
}  // namespace berth::webhooks
