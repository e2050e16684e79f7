#include "sim/apiserver/request_info.h"

#include <gtest/gtest.h>

namespace berth::sim {
namespace {

using Target = RequestInfo::Target;

TEST(RequestInfo, DiscoveryPaths) {
  EXPECT_EQ(parse_request_path("/api").target, Target::kApiVersions);
  EXPECT_EQ(parse_request_path("/apis").target, Target::kApiGroupList);
  EXPECT_EQ(parse_request_path("/apis/apps").target, Target::kApiGroup);
  EXPECT_EQ(parse_request_path("/apis/apps/v1").target, Target::kResourceList);
  EXPECT_EQ(parse_request_path("/api/v1").target, Target::kResourceList);
  EXPECT_EQ(parse_request_path("/healthz").target, Target::kOther);
}

TEST(RequestInfo, NamespacedObjectAndSubresource) {
  auto i = parse_request_path("/api/v1/namespaces/ns/pods/p1/binding");
  EXPECT_EQ(i.target, Target::kResource);
  EXPECT_EQ(i.group, "");
  EXPECT_EQ(i.version, "v1");
  EXPECT_EQ(i.namespace_, "ns");
  EXPECT_EQ(i.resource, "pods");
  EXPECT_EQ(i.name, "p1");
  EXPECT_EQ(i.subresource, "binding");
  EXPECT_FALSE(i.collection());
}

TEST(RequestInfo, NamespacesThemselves) {
  auto list = parse_request_path("/api/v1/namespaces");
  EXPECT_EQ(list.resource, "namespaces");
  EXPECT_TRUE(list.collection());
  auto one = parse_request_path("/api/v1/namespaces/fx");
  EXPECT_EQ(one.resource, "namespaces");
  EXPECT_EQ(one.name, "fx");
  EXPECT_EQ(one.namespace_, "");
  auto status = parse_request_path("/api/v1/namespaces/fx/status");
  EXPECT_EQ(status.resource, "namespaces");
  EXPECT_EQ(status.name, "fx");
  EXPECT_EQ(status.subresource, "status");
  auto content = parse_request_path("/api/v1/namespaces/fx/configmaps");
  EXPECT_EQ(content.namespace_, "fx");
  EXPECT_EQ(content.resource, "configmaps");
  EXPECT_TRUE(content.collection());
}

TEST(RequestInfo, GroupsClusterScopeAndAllNamespaces) {
  auto crd = parse_request_path("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/w.fx");
  EXPECT_EQ(crd.group, "apiextensions.k8s.io");
  EXPECT_EQ(crd.resource, "customresourcedefinitions");
  EXPECT_EQ(crd.name, "w.fx");
  auto all = parse_request_path("/api/v1/pods");
  EXPECT_EQ(all.namespace_, "");
  EXPECT_EQ(all.resource, "pods");
  auto watch = parse_request_path("/api/v1/watch/namespaces/ns/pods");
  EXPECT_TRUE(watch.watch_path);
  EXPECT_EQ(watch.namespace_, "ns");
  EXPECT_EQ(watch.resource, "pods");
}

TEST(RequestInfo, TooManySegmentsIsMalformed) {
  EXPECT_TRUE(parse_request_path("/api/v1/namespaces/ns/configmaps/x/y/z").malformed);
  EXPECT_FALSE(parse_request_path("/api/v1/namespaces/ns/configmaps/x/y").malformed);
}

}  // namespace
}  // namespace berth::sim
