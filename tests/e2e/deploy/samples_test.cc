// deploy/samples: one small, policy-abiding example per feature, all in the berth-demo
// namespace, and the one sample meant to be denied kept out of the kustomization.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "kube/core/strings.h"
#include "tests/e2e/deploy/deploy_test.h"

namespace berth::deploy_test {
namespace {

namespace json = kube::json;

constexpr std::string_view kDemo = "berth-demo";

class Samples : public RenderedTree {
 protected:
  std::filesystem::path tree() const override { return "samples"; }

  // Every pod the samples create, as {object, pod or pod template}: Pods, and the templates
  // of Deployments and Rollouts.
  std::vector<std::pair<const json::Value*, const json::Value*>> pods() const {
    std::vector<std::pair<const json::Value*, const json::Value*>> out;
    for (const json::Value* p : of_kind("Pod"))
      out.emplace_back(p, p);
    for (std::string_view kind : {"Deployment", "Rollout"}) {
      for (const json::Value* d : of_kind(kind)) {
        // A Rollout with a workloadRef has no template of its own.
        if (const json::Value* t = json::find_path(*d, {"spec", "template"}))
          out.emplace_back(d, t);
      }
    }
    return out;
  }
};

const json::Value* annotation(const json::Value& pod, std::string_view key) {
  const json::Value* annotations = json::find_path(pod, {"metadata", "annotations"});
  return annotations ? json::find(*annotations, key) : nullptr;
}

TEST_F(Samples, RenderIntoTheDemoNamespace) {
  EXPECT_EQ(rendered_.warnings, "");
  const json::Value* ns = find("Namespace", kDemo);
  ASSERT_NE(ns, nullptr);
  const json::Value* labels = json::find_path(*ns, {"metadata", "labels"});
  ASSERT_NE(labels, nullptr);
  EXPECT_EQ(json::get_string(*labels, "berth.dev/injection"), "enabled");
  EXPECT_EQ(json::get_string(*labels, "berth.dev/policy-mode"), "enforce");
  for (const json::Document& o : objects()) {
    if (json::get_string(o, "kind") == "Namespace") continue;
    EXPECT_EQ(namespace_of(o), kDemo) << describe(o);
  }
}

TEST_F(Samples, ShowEverySchedulingFeatureThroughBerthScheduler) {
  bool anti = false, affinity = false, locality = false, workload_class = false;
  std::set<std::string, std::less<>> claims;
  for (const json::Value* pvc : of_kind("PersistentVolumeClaim"))
    claims.insert(std::string(name_of(*pvc)));
  for (auto [object, pod] : pods()) {
    const json::Value* spec = json::find(*pod, "spec");
    ASSERT_NE(spec, nullptr) << describe(*object);
    bool placed_by_berth = json::get_string(*spec, "schedulerName") == "berth-scheduler";
    anti |= placed_by_berth &&
            json::find_path(*spec, {"affinity", "podAntiAffinity",
                                    "requiredDuringSchedulingIgnoredDuringExecution"}) != nullptr;
    affinity |=
        placed_by_berth &&
        json::find_path(*spec, {"affinity", "podAffinity",
                                "preferredDuringSchedulingIgnoredDuringExecution"}) != nullptr;
    if (const json::Value* mode = annotation(*pod, "berth.dev/data-locality")) {
      EXPECT_TRUE(placed_by_berth) << describe(*object);
      bool has_claim = false;
      for (const json::Value& v : json::find(*spec, "volumes")->GetArray()) {
        const json::Value* claim = json::find_path(v, {"persistentVolumeClaim", "claimName"});
        has_claim |= claim && claims.contains(json::as_string(*claim));
      }
      locality |= has_claim && json::as_string(*mode) == "preferred";
    }
    const json::Value* labels = json::find_path(*pod, {"metadata", "labels"});
    if (const json::Value* c = labels ? json::find(*labels, "berth.dev/workload-class") : nullptr) {
      static const std::set<std::string, std::less<>> classes = {"latency-critical", "cpu-bound",
                                                                 "io-bound", "batch"};
      EXPECT_TRUE(classes.contains(json::as_string(*c))) << describe(*object);
      workload_class |= placed_by_berth;
    }
  }
  EXPECT_TRUE(anti) << "required anti-affinity";
  EXPECT_TRUE(affinity) << "preferred affinity";
  EXPECT_TRUE(locality) << "data locality with a claim from the samples";
  EXPECT_TRUE(workload_class);
}

TEST_F(Samples, ShowInjectionOfTheLogSidecarAndSecrets) {
  bool shown = false;
  for (const json::Value* pod : of_kind("Pod")) {
    const json::Value* sidecar = annotation(*pod, "berth.dev/log-sidecar");
    const json::Value* secrets = annotation(*pod, "berth.dev/mount-secrets");
    if (!sidecar || !secrets) continue;
    EXPECT_EQ(json::as_string(*sidecar), "true");
    for (std::string_view secret : kube::split(json::as_string(*secrets), ','))
      EXPECT_NE(find("Secret", secret, kDemo), nullptr) << secret << " is not in the samples";
    shown = true;
  }
  EXPECT_TRUE(shown);
}

TEST_F(Samples, FollowTheEnforcedPolicy) {
  for (auto [object, pod] : pods()) {
    SCOPED_TRACE(describe(*object));
    const json::Value& spec = *json::find(*pod, "spec");
    EXPECT_TRUE(json::get_bool(*json::find(spec, "securityContext"), "runAsNonRoot"));
    for (const json::Value* c : containers(spec)) {
      std::string_view image = json::get_string(*c, "image");
      auto colon = image.rfind(':');
      ASSERT_NE(colon, std::string_view::npos) << image;
      EXPECT_NE(image.substr(colon + 1), "latest");
      for (std::string_view r : {"cpu", "memory"})
        EXPECT_NE(json::find_path(*c, {"resources", "requests", r}), nullptr) << r;
      EXPECT_NE(json::find_path(*c, {"resources", "limits", "memory"}), nullptr);
      EXPECT_FALSE(json::get_bool(*json::find(*c, "securityContext"), "privileged"));
    }
  }
}

TEST_F(Samples, TheDeniedPodIsAppliedOnlyByHand) {
  EXPECT_EQ(find("Pod", "denied-latest-privileged"), nullptr);
  std::ifstream in(deploy_dir() / "samples" / "denied-pod.yaml");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("namespace: berth-demo"), std::string::npos);
}

// A file is explained when README.md names it, or names a family it belongs to
// ("rollout-*.yaml").
bool mentioned(const std::string& readme, const std::string& file) {
  if (readme.find("`" + file + "`") != std::string::npos) return true;
  for (std::size_t star = readme.find('*'); star != std::string::npos;
       star = readme.find('*', star + 1)) {
    std::size_t open = readme.rfind('`', star);
    std::size_t close = readme.find('`', star);
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string prefix = readme.substr(open + 1, star - open - 1);
    std::string suffix = readme.substr(star + 1, close - star - 1);
    if (prefix.find('`') == std::string::npos && !prefix.empty() && file.starts_with(prefix) &&
        file.ends_with(suffix) && file.size() > prefix.size() + suffix.size()) {
      return true;
    }
  }
  return false;
}

TEST_F(Samples, ReadmeExplainsEveryFile) {
  std::ifstream in(deploy_dir() / "samples" / "README.md");
  ASSERT_TRUE(in.good());
  std::stringstream readme;
  readme << in.rdbuf();
  for (const auto& entry : std::filesystem::directory_iterator(deploy_dir() / "samples")) {
    std::string file = entry.path().filename().string();
    if (entry.path().extension() != ".yaml" || file == "kustomization.yaml") continue;
    EXPECT_TRUE(mentioned(readme.str(), file)) << file;
  }
  EXPECT_FALSE(mentioned("`rollout-*.yaml`", "canary.yaml"));
  EXPECT_TRUE(mentioned("`rollout-*.yaml`", "rollout-canary.yaml"));
}

}  // namespace
}  // namespace berth::deploy_test
