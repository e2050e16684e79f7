#include "webhooks/server/cluster_version.h"

#include <gtest/gtest.h>

namespace berth::webhooks {
namespace {

std::optional<std::pair<int, int>> version(const char* text) {
  auto doc = kube::json::parse(text);
  EXPECT_TRUE(doc.ok());
  return cluster_version(*doc);
}

TEST(ClusterVersion, ReadsMajorMinor) {
  EXPECT_EQ(version(R"({"major":"1","minor":"26","gitVersion":"v1.26.1"})"), std::make_pair(1, 26));
  EXPECT_EQ(version(R"({"major":"1","minor":"29+","gitVersion":"v1.29.3-eks-1"})"),
            std::make_pair(1, 29));
  EXPECT_EQ(version(R"({"gitVersion":"v1.30.0"})"), std::make_pair(1, 30));
  EXPECT_EQ(version(R"({"major":"","minor":"","gitVersion":"v1.28.2+k3s1"})"),
            std::make_pair(1, 28));
  EXPECT_EQ(version(R"({})"), std::nullopt);
  EXPECT_EQ(version(R"({"gitVersion":"latest"})"), std::nullopt);
}

TEST(ClusterVersion, NativeSidecarsFrom129) {
  EXPECT_FALSE(native_sidecars_supported({1, 26}));
  EXPECT_FALSE(native_sidecars_supported({1, 28}));
  EXPECT_TRUE(native_sidecars_supported({1, 29}));
  EXPECT_TRUE(native_sidecars_supported({2, 0}));
}

}  // namespace
}  // namespace berth::webhooks
