// The GoogleTest fixture of the manifest tests: renders a kustomize tree once per test and
// skips when kubectl is not installed.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "tests/e2e/deploy/rendered.h"

namespace berth::deploy_test {

inline constexpr std::string_view kNamespace = "berth-system";

class RenderedTree : public ::testing::Test {
 protected:
  // The tree to render, relative to deploy/ ("" = deploy/ itself).
  virtual std::filesystem::path tree() const { return {}; }

  void SetUp() override {
    auto kubectl = find_kubectl();
    if (!kubectl) GTEST_SKIP() << "kubectl not found: set BERTH_KUBECTL or put it on PATH";
    auto rendered = render(*kubectl, deploy_dir() / tree());
    ASSERT_TRUE(rendered.ok()) << rendered.error().message;
    rendered_ = std::move(rendered).value();
    ASSERT_FALSE(rendered_.objects.empty());
  }

  const std::vector<kube::json::Document>& objects() const { return rendered_.objects; }
  std::vector<const kube::json::Value*> of_kind(std::string_view kind) const {
    return deploy_test::of_kind(objects(), kind);
  }
  const kube::json::Value* find(std::string_view kind, std::string_view name,
                                std::string_view namespace_ = {}) const {
    return deploy_test::find(objects(), kind, name, namespace_);
  }

  Rendered rendered_;
};

// deploy/ itself: what `kubectl apply -k deploy/` installs.
class DeployTree : public RenderedTree {};

// A Deployment's pod template spec and its containers (init containers included).
const kube::json::Value& pod_spec(const kube::json::Value& deployment);
const kube::json::Value* pod_labels(const kube::json::Value& deployment);
std::vector<const kube::json::Value*> containers(const kube::json::Value& pod_spec);
// The container of a Deployment that runs `binary` (its command's first word ends with it).
const kube::json::Value* container_running(const kube::json::Value& deployment,
                                           std::string_view binary);

// The text of a ConfigMap key the container reads at `path` (through mounted_file), or an
// empty string with a test failure explaining what is missing.
std::string mounted_config(const std::vector<kube::json::Document>& objects,
                           const kube::json::Value& deployment, const kube::json::Value& container,
                           std::string_view path);

// The Secret a container reads `path` from (through mounted_file) and the key, or {} with a
// test failure.
struct SecretFile {
  std::string secret;
  std::string key;
};
SecretFile mounted_secret(const kube::json::Value& deployment, const kube::json::Value& container,
                          std::string_view path);

// The port of "host:port" (bind addresses, URLs without a scheme); -1 when there is none.
std::int64_t port_of(std::string_view host_port);

}  // namespace berth::deploy_test
