// What deploy/ ships, read by the components' own code: berth-extender's and berth-webhooks'
// configuration files parse, the extender serves the verbs berth-scheduler calls, and the
// samples pass (or, for denied-pod.yaml, fail) the policy the demo namespace enforces.
#include <fstream>
#include <set>
#include <sstream>

#include "kube/core/yaml.h"
#include "scheduler-extender/config/config.h"
#include "tests/e2e/deploy/deploy_test.h"
#include "webhooks/config/config.h"
#include "webhooks/pods/pod_validator.h"

namespace berth::deploy_test {
namespace {

namespace json = kube::json;

// The configuration berth-webhooks is started with, parsed by berth-webhooks' parser.
std::optional<webhooks::WebhooksConfig> shipped_config(const std::vector<json::Document>& objects) {
  const json::Value* deployment = find(objects, "Deployment", "berth-webhooks", kNamespace);
  if (deployment == nullptr) return std::nullopt;
  const json::Value* c = container_running(*deployment, "berth-webhooks");
  auto path = c ? flag_value(*c, "--config") : std::nullopt;
  if (!path) return std::nullopt;
  auto config = webhooks::parse_config(mounted_config(objects, *deployment, *c, *path), *path);
  EXPECT_TRUE(config.ok()) << config.error().message;
  if (!config.ok()) return std::nullopt;
  return std::move(config).value();
}

TEST_F(DeployTree, BerthWebhooksAcceptsItsConfiguration) {
  auto config = shipped_config(objects());
  ASSERT_TRUE(config.has_value());
  EXPECT_TRUE(config->excluded("kube-system"));
  EXPECT_TRUE(config->excluded("berth-system"));
  EXPECT_FALSE(config->excluded("shop"));
}

TEST_F(DeployTree, BerthExtenderServesTheVerbsBerthSchedulerCalls) {
  const json::Value* extender = find("Deployment", "berth-extender", kNamespace);
  const json::Value* scheduler = find("Deployment", "berth-scheduler", kNamespace);
  ASSERT_TRUE(extender && scheduler);
  const json::Value* c = container_running(*extender, "berth-extender");
  ASSERT_NE(c, nullptr);
  auto path = flag_value(*c, "--config");
  ASSERT_TRUE(path.has_value());
  auto config = extender::parse_config(mounted_config(objects(), *extender, *c, *path), *path);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->bind_enabled) << "berth-scheduler has no bindVerb";
  // berth-scheduler's profile disables the in-tree plugin: the extender is the only one left.
  EXPECT_TRUE(config->inter_pod_affinity.enabled);
  EXPECT_GT(config->inter_pod_affinity.weight, 0);

  const json::Value* k = container_running(*scheduler, "kube-scheduler");
  ASSERT_NE(k, nullptr);
  auto scheduler_path = flag_value(*k, "--config");
  ASSERT_TRUE(scheduler_path.has_value());
  auto scheduler_config =
      kube::yaml::to_json(mounted_config(objects(), *scheduler, *k, *scheduler_path));
  ASSERT_TRUE(scheduler_config.ok());
  const json::Value* entry = json::find_path(scheduler_config.value(), {"extenders"});
  ASSERT_TRUE(entry && entry->IsArray() && entry->Size() == 1u);
  // kube-scheduler POSTs <urlPrefix>/<verb>; urlPrefix is the server's root.
  EXPECT_EQ("/" + std::string(json::get_string((*entry)[0], "filterVerb")), config->filter_path);
  EXPECT_EQ("/" + std::string(json::get_string((*entry)[0], "prioritizeVerb")),
            config->prioritize_path);
  EXPECT_EQ("/" + std::string(json::get_string((*entry)[0], "preemptVerb")), config->preempt_path);
}

class SamplesUnderPolicy : public RenderedTree {
 protected:
  std::filesystem::path tree() const override { return "samples"; }
};

TEST_F(SamplesUnderPolicy, SamplesPassAndTheDeniedPodFails) {
  auto kubectl = find_kubectl();
  ASSERT_TRUE(kubectl.has_value());
  auto deploy = render(*kubectl, deploy_dir());
  ASSERT_TRUE(deploy.ok()) << deploy.error().message;
  auto config = shipped_config(deploy.value().objects);
  ASSERT_TRUE(config.has_value());

  std::vector<const json::Value*> pods = of_kind("Pod");
  for (std::string_view kind : {"Deployment", "Rollout"}) {
    for (const json::Value* d : of_kind(kind)) {
      if (const json::Value* t = json::find_path(*d, {"spec", "template"})) pods.push_back(t);
    }
  }
  ASSERT_GE(pods.size(), 7u);
  for (const json::Value* pod : pods) {
    for (const webhooks::Finding& f : webhooks::check_pod(*pod, config->policy))
      ADD_FAILURE() << f.check << ": " << f.message;
  }

  std::ifstream in(deploy_dir() / "samples" / "denied-pod.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto denied = kube::yaml::to_json(text.str());
  ASSERT_TRUE(denied.ok()) << denied.error().message;
  std::set<std::string> checks;
  for (const webhooks::Finding& f : webhooks::check_pod(denied.value(), config->policy)) {
    if (!f.warn_only) checks.insert(f.check);
  }
  EXPECT_TRUE(checks.contains("latest")) << "denied-pod.yaml must break the image policy";
  EXPECT_TRUE(checks.contains("privileged"));
}

}  // namespace
}  // namespace berth::deploy_test
