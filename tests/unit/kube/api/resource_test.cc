#include "kube/api/resource.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

TEST(ResourceType, Paths) {
  EXPECT_EQ(resources::kPods.path("ns", "p", "status"), "/api/v1/namespaces/ns/pods/p/status");
  EXPECT_EQ(resources::kPods.path(), "/api/v1/pods");
  EXPECT_EQ(resources::kNodes.path("ignored", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(resources::kDeployments.path("prod"), "/apis/apps/v1/namespaces/prod/deployments");
  EXPECT_EQ(resources::kDeployments.api_version(), "apps/v1");
  EXPECT_EQ(resources::kConfigMaps.api_version(), "v1");
  ResourceType widgets{"fx.example.com", "v1", "widgets", "Widget", true};
  EXPECT_EQ(widgets.path("a", "w"), "/apis/fx.example.com/v1/namespaces/a/widgets/w");
}

}  // namespace
}  // namespace kube
