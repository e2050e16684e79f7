// berth-scheduler: the official kube-scheduler with one profile, InterPodAffinity handed to
// berth-extender, and an extender entry that reaches the extender over verified TLS.
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "kube/core/yaml.h"
#include "tests/e2e/deploy/deploy_test.h"
#include "tests/support/fixtures.h"

namespace berth::deploy_test {
namespace {

namespace json = kube::json;

// A Go duration ("2s", "1m30s", "500ms") in milliseconds; -1 when malformed.
std::int64_t duration_ms(std::string_view text) {
  if (text.empty()) return -1;
  std::int64_t total = 0;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
      ++digits;
    if (digits == 0) return -1;
    std::int64_t n = std::stoll(std::string(text.substr(0, digits)));
    text.remove_prefix(digits);
    std::int64_t unit = 0;
    for (auto [suffix, ms] : {std::pair<std::string_view, std::int64_t>{"ms", 1},
                              {"s", 1000},
                              {"m", 60'000},
                              {"h", 3'600'000}}) {
      if (text.starts_with(suffix) && !(suffix == "m" && text.starts_with("ms"))) {
        unit = ms;
        text.remove_prefix(suffix.size());
        break;
      }
    }
    if (unit == 0) return -1;
    total += n * unit;
  }
  return total;
}

std::set<std::string> keys(const json::Value* object) {
  std::set<std::string> out;
  if (object == nullptr || !object->IsObject()) return out;
  for (const auto& m : object->GetObject())
    out.insert(std::string(json::as_string(m.name)));
  return out;
}

class Scheduler : public DeployTree {
 protected:
  void SetUp() override {
    DeployTree::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    deployment_ = find("Deployment", "berth-scheduler", kNamespace);
    ASSERT_NE(deployment_, nullptr);
    container_ = container_running(*deployment_, "kube-scheduler");
    ASSERT_NE(container_, nullptr);
    auto path = flag_value(*container_, "--config");
    ASSERT_TRUE(path.has_value());
    auto config = kube::yaml::to_json(mounted_config(objects(), *deployment_, *container_, *path));
    ASSERT_TRUE(config.ok()) << config.error().message;
    config_ = std::move(config).value();
    const json::Value* extenders = json::find(config_, "extenders");
    ASSERT_TRUE(extenders && extenders->IsArray() && extenders->Size() == 1u)
        << "one extender: berth-extender";
    extender_ = &(*extenders)[0];
  }

  const json::Value* deployment_ = nullptr;
  const json::Value* container_ = nullptr;
  json::Document config_;
  const json::Value* extender_ = nullptr;
};

TEST_F(Scheduler, RunsTheOfficialKubeScheduler) {
  std::string_view image = json::get_string(*container_, "image");
  EXPECT_TRUE(image.starts_with("registry.k8s.io/kube-scheduler:v1.26.")) << image;
  EXPECT_EQ(json::get_string(config_, "apiVersion"), "kubescheduler.config.k8s.io/v1");
  EXPECT_EQ(json::get_string(config_, "kind"), "KubeSchedulerConfiguration");
}

TEST_F(Scheduler, HasOnlyTheBerthProfileWithoutInterPodAffinity) {
  const json::Value* profiles = json::find(config_, "profiles");
  ASSERT_TRUE(profiles && profiles->IsArray());
  ASSERT_EQ(profiles->Size(), 1u) << "extenders apply to every profile of a scheduler";
  const json::Value& profile = (*profiles)[0];
  EXPECT_EQ(json::get_string(profile, "schedulerName"), "berth-scheduler");
  bool disabled = false;
  for (const json::Value& p :
       json::find_path(profile, {"plugins", "multiPoint", "disabled"})->GetArray())
    disabled |= json::get_string(p, "name") == "InterPodAffinity";
  EXPECT_TRUE(disabled);
  // Nowhere re-enabled at a single extension point either.
  if (const json::Value* plugins = json::find(profile, "plugins")) {
    for (const auto& point : plugins->GetObject()) {
      if (const json::Value* enabled = json::find(point.value, "enabled")) {
        for (const json::Value& p : enabled->GetArray())
          EXPECT_NE(json::get_string(p, "name"), "InterPodAffinity") << json::as_string(point.name);
      }
    }
  }
  // Pods carrying the opt-in resource of extend-default-scheduler.yaml schedule here too.
  bool ignored = false;
  if (const json::Value* configs = json::find(profile, "pluginConfig")) {
    for (const json::Value& c : configs->GetArray()) {
      if (json::get_string(c, "name") != "NodeResourcesFit") continue;
      for (const std::string& r : strings(json::find_path(c, {"args", "ignoredResources"})))
        ignored |= r == "berth.dev/scheduling";
    }
  }
  EXPECT_TRUE(ignored);
}

TEST_F(Scheduler, ExtenderEntryCallsBerthExtender) {
  const json::Value& e = *extender_;
  EXPECT_EQ(json::get_string(e, "filterVerb"), "filter");
  EXPECT_EQ(json::get_string(e, "prioritizeVerb"), "prioritize");
  EXPECT_EQ(json::get_string(e, "preemptVerb"), "preempt");
  EXPECT_EQ(json::find(e, "bindVerb"), nullptr)
      << "kube-scheduler binds (volume binding stays in-tree)";
  std::int64_t weight = json::get_int(e, "weight", 0);
  EXPECT_GE(weight, 1);
  EXPECT_LE(weight, 10);
  EXPECT_TRUE(json::get_bool(e, "nodeCacheCapable"));
  const json::Value* ignorable = json::find(e, "ignorable");
  ASSERT_TRUE(ignorable && ignorable->IsBool());
  EXPECT_FALSE(ignorable->GetBool()) << "an unreachable extender must not mean ignored affinity";
  std::int64_t timeout = duration_ms(json::get_string(e, "httpTimeout"));
  EXPECT_GT(timeout, 0);
  EXPECT_LE(timeout, 5000);
  // With InterPodAffinity disabled every pod of the profile must reach the extender: a
  // managedResources list would let pods without the resource skip it.
  EXPECT_EQ(json::find(e, "managedResources"), nullptr);
}

TEST_F(Scheduler, ExtenderUrlResolvesToTheExtenderServiceOverVerifiedTls) {
  std::string_view url = json::get_string(*extender_, "urlPrefix");
  ASSERT_TRUE(url.starts_with("https://")) << url;
  std::string_view host_port = url.substr(8);
  ASSERT_EQ(host_port.find('/'), std::string_view::npos) << "routes are at the root";
  std::string_view host = host_port.substr(0, host_port.rfind(':'));
  EXPECT_EQ(host, "berth-extender.berth-system.svc");
  const json::Value* service = find("Service", "berth-extender", kNamespace);
  const json::Value* extender = find("Deployment", "berth-extender", kNamespace);
  ASSERT_TRUE(service && extender);
  const json::Value* serving = container_running(*extender, "berth-extender");
  ASSERT_NE(serving, nullptr);
  bool reaches_https = false;
  for (const json::Value& p : json::find_path(*service, {"spec", "ports"})->GetArray()) {
    if (json::get_int(p, "port") != port_of(host_port)) continue;
    auto target = resolve_port(*serving, *json::find(p, "targetPort"));
    reaches_https = target && flag_value(*serving, "--bind-address") &&
                    port_of(*flag_value(*serving, "--bind-address")) == *target;
  }
  EXPECT_TRUE(reaches_https) << url << " does not reach berth-extender's --bind-address";

  EXPECT_TRUE(json::get_bool(*extender_, "enableHTTPS"));
  const json::Value* tls = json::find(*extender_, "tlsConfig");
  ASSERT_NE(tls, nullptr);
  EXPECT_FALSE(json::get_bool(*tls, "insecure"));
  for (std::string_view secret_field : {"keyData", "certData", "keyFile", "certFile"})
    EXPECT_EQ(json::find(*tls, secret_field), nullptr) << secret_field;
  SecretFile ca = mounted_secret(*deployment_, *container_, json::get_string(*tls, "caFile"));
  EXPECT_EQ(ca.key, "ca.crt");
  auto cert = flag_value(*serving, "--tls-cert-file");
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(ca.secret, mounted_secret(*extender, *serving, *cert).secret)
      << "the scheduler must trust the CA of the certificate the extender serves";
  // The scheduler gets the CA only, never the extender's key.
  auto file = mounted_file(pod_spec(*deployment_), *container_, json::get_string(*tls, "caFile"));
  ASSERT_TRUE(file.has_value());
  const json::Value* items = json::find_path(*file->volume, {"secret", "items"});
  ASSERT_TRUE(items && items->IsArray());
  for (const json::Value& item : items->GetArray())
    EXPECT_EQ(json::get_string(item, "key"), "ca.crt");
}

TEST_F(Scheduler, LeaderElectsOnALeaseItMayRenew) {
  const json::Value* le = json::find(config_, "leaderElection");
  ASSERT_NE(le, nullptr);
  EXPECT_TRUE(json::get_bool(*le, "leaderElect"));
  EXPECT_EQ(json::get_string(*le, "resourceLock"), "leases");
  std::string_view lease = json::get_string(*le, "resourceName");
  std::string_view ns = json::get_string(*le, "resourceNamespace");
  EXPECT_EQ(ns, kNamespace);
  EXPECT_NE(lease, "kube-scheduler") << "must not contend with the default scheduler";
  bool renew = false;
  for (const json::Value* binding : of_kind("RoleBinding")) {
    if (namespace_of(*binding) != ns) continue;
    bool for_scheduler = false;
    for (const json::Value& s : json::find(*binding, "subjects")->GetArray())
      for_scheduler |= json::get_string(s, "name") == "berth-scheduler";
    if (!for_scheduler) continue;
    const json::Value* role =
        find("Role", json::get_string(*json::find(*binding, "roleRef"), "name"), ns);
    ASSERT_NE(role, nullptr);
    for (const json::Value& rule : json::find(*role, "rules")->GetArray()) {
      auto verbs = strings(json::find(rule, "verbs"));
      auto names = strings(json::find(rule, "resourceNames"));
      bool leases = strings(json::find(rule, "resources")) == std::vector<std::string>{"leases"};
      renew |= leases && names == std::vector<std::string>{std::string(lease)} &&
               verbs == std::vector<std::string>{"get", "update"};
    }
  }
  EXPECT_TRUE(renew) << "berth-scheduler cannot renew Lease " << lease;
}

// Field names checked against the configurations a real v1.26 kube-scheduler accepted, plus
// the v1 fields those captures do not use.
TEST_F(Scheduler, UsesOnlyFieldsKubeSchedulerAccepts) {
  BERTH_REQUIRE_FIXTURES();
  std::set<std::string> top = {"profiles"},
                        election = {"resourceLock", "resourceName", "resourceNamespace"},
                        extender = {"preemptVerb", "enableHTTPS", "tlsConfig", "managedResources"};
  for (std::string_view file : {"extender/scheduler-config-lab-verify.yaml",
                                "extender/scheduler-config-preempt-bind.yaml"}) {
    auto text = berth::testing::read_fixture(file);
    ASSERT_TRUE(text.has_value()) << file;
    auto fixture = kube::yaml::to_json(*text);
    ASSERT_TRUE(fixture.ok()) << fixture.error().message;
    top.merge(keys(&fixture.value()));
    election.merge(keys(json::find(fixture.value(), "leaderElection")));
    for (const json::Value& e : json::find(fixture.value(), "extenders")->GetArray())
      extender.merge(keys(&e));
  }
  for (const std::string& k : keys(&config_))
    EXPECT_TRUE(top.contains(k)) << k;
  for (const std::string& k : keys(json::find(config_, "leaderElection")))
    EXPECT_TRUE(election.contains(k)) << "leaderElection." << k;
  for (const std::string& k : keys(extender_))
    EXPECT_TRUE(extender.contains(k)) << "extenders[0]." << k;
  const std::set<std::string> tls_fields = {"insecure", "serverName", "certFile", "keyFile",
                                            "caFile",   "certData",   "keyData",  "caData"};
  for (const std::string& k : keys(json::find(*extender_, "tlsConfig")))
    EXPECT_TRUE(tls_fields.contains(k)) << "tlsConfig." << k;
}

// The optional configuration for extending a cluster's own kube-scheduler instead.
TEST_F(Scheduler, DefaultSchedulerVariantGatesByTheIgnoredResource) {
  std::ifstream in(deploy_dir() / "scheduler" / "extend-default-scheduler.yaml");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto variant = kube::yaml::to_json(text.str());
  ASSERT_TRUE(variant.ok()) << variant.error().message;
  EXPECT_EQ(json::get_string(variant.value(), "apiVersion"), "kubescheduler.config.k8s.io/v1");
  EXPECT_EQ(json::get_string(variant.value(), "kind"), "KubeSchedulerConfiguration");
  const json::Value* extenders = json::find(variant.value(), "extenders");
  ASSERT_TRUE(extenders && extenders->IsArray() && extenders->Size() == 1u);
  const json::Value& e = (*extenders)[0];
  const json::Value* managed = json::find(e, "managedResources");
  ASSERT_TRUE(managed && managed->IsArray() && managed->Size() == 1u);
  EXPECT_EQ(json::get_string((*managed)[0], "name"), "berth.dev/scheduling");
  EXPECT_TRUE(json::get_bool((*managed)[0], "ignoredByScheduler"));
  EXPECT_EQ(json::get_string(*json::find(e, "tlsConfig"), "serverName"),
            "berth-extender.berth-system.svc");
  // Everything else as berth-scheduler's entry, so both ways behave alike.
  for (std::string_view field : {"filterVerb", "prioritizeVerb", "preemptVerb", "weight",
                                 "nodeCacheCapable", "ignorable", "httpTimeout", "enableHTTPS"}) {
    const json::Value* ours = json::find(*extender_, field);
    const json::Value* theirs = json::find(e, field);
    ASSERT_TRUE(ours && theirs) << field;
    EXPECT_TRUE(json::equal(*ours, *theirs)) << field;
  }
}

}  // namespace
}  // namespace berth::deploy_test
