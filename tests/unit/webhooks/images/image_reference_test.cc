#include "webhooks/images/image_reference.h"

#include <gtest/gtest.h>

namespace berth::webhooks {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

struct Case {
  std::string text;
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;
};

class ParseTest : public ::testing::TestWithParam<Case> {};

TEST_P(ParseTest, Parses) {
  const Case& c = GetParam();
  auto ref = parse_image_reference(c.text);
  ASSERT_TRUE(ref.ok()) << c.text << ": " << ref.error().message;
  EXPECT_EQ(ref->registry, c.registry) << c.text;
  EXPECT_EQ(ref->repository, c.repository) << c.text;
  EXPECT_EQ(ref->tag, c.tag) << c.text;
  EXPECT_EQ(ref->digest, c.digest) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    References, ParseTest,
    ::testing::Values(
        Case{"nginx", "docker.io", "library/nginx", "", ""},
        Case{"nginx:1.25", "docker.io", "library/nginx", "1.25", ""},
        Case{"library/nginx:1.25", "docker.io", "library/nginx", "1.25", ""},
        Case{"bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", ""},
        Case{"docker.io/nginx", "docker.io", "library/nginx", "", ""},
        Case{"index.docker.io/nginx:latest", "docker.io", "library/nginx", "latest", ""},
        Case{"quay.io/prometheus/node-exporter:v1.7.0", "quay.io", "prometheus/node-exporter",
             "v1.7.0", ""},
        Case{"localhost/app", "localhost", "app", "", ""},
        Case{"localhost:5000/team/app:dev", "localhost:5000", "team/app", "dev", ""},
        Case{"registry.example.com:443/a/b/c:1", "registry.example.com:443", "a/b/c", "1", ""},
        Case{"10.0.0.1:5000/app", "10.0.0.1:5000", "app", "", ""},
        Case{"[::1]:5000/app:1", "[::1]:5000", "app", "1", ""},
        // Upper case in the first component means a host, not a Docker Hub user.
        Case{"Registry/app", "Registry", "app", "", ""},
        Case{"nginx@" + kDigest, "docker.io", "library/nginx", "", kDigest},
        Case{"nginx:1.25@" + kDigest, "docker.io", "library/nginx", "1.25", kDigest},
        Case{"ghcr.io/o/a:1@" + kDigest, "ghcr.io", "o/a", "1", kDigest},
        Case{"a/b__c/d-e--f.g_h:T_1.x-y", "docker.io", "a/b__c/d-e--f.g_h", "T_1.x-y", ""}));

class RejectTest : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(RejectTest, Rejects) {
  const auto& [text, why] = GetParam();
  auto ref = parse_image_reference(text);
  ASSERT_FALSE(ref.ok()) << text;
  EXPECT_EQ(ref.error().reason, kube::Reason::kInvalid);
  EXPECT_NE(ref.error().message.find(why), std::string::npos)
      << text << " -> " << ref.error().message;
  EXPECT_NE(ref.error().message.find(text), std::string::npos) << "message quotes the input";
}

INSTANTIATE_TEST_SUITE_P(
    Bad, RejectTest,
    ::testing::Values(
        std::pair<std::string, std::string>{"", "empty"},
        std::pair<std::string, std::string>{" nginx", "whitespace"},
        std::pair<std::string, std::string>{"Nginx", "lower-case"},
        std::pair<std::string, std::string>{"docker.io/Library/nginx", "lower-case"},
        std::pair<std::string, std::string>{"nginx:", "tag"},
        std::pair<std::string, std::string>{"nginx:-x", "tag"},
        std::pair<std::string, std::string>{"nginx:" + std::string(129, 'a'), "tag"},
        std::pair<std::string, std::string>{"nginx@sha256:abc", "64 hex"},
        std::pair<std::string, std::string>{"nginx@sha256:" + std::string(64, 'A'), "lower-case"},
        std::pair<std::string, std::string>{"nginx@sha256:" + std::string(64, 'g'), "hex"},
        std::pair<std::string, std::string>{"nginx@md5", "<algorithm>:<hex>"},
        std::pair<std::string, std::string>{"nginx@1x:" + std::string(32, 'a'), "algorithm"},
        std::pair<std::string, std::string>{"a//b", "path component"},
        std::pair<std::string, std::string>{"a/-b", "path component"},
        std::pair<std::string, std::string>{"a/b.", "path component"},
        std::pair<std::string, std::string>{"a/b...c", "path component"},
        std::pair<std::string, std::string>{"registry.io:port/a", "host[:port]"},
        std::pair<std::string, std::string>{"-bad.io/a", "host[:port]"},
        std::pair<std::string, std::string>{"registry.io/", "no repository"},
        std::pair<std::string, std::string>{":tag", "no repository"},
        std::pair<std::string, std::string>{std::string(256, 'a'), "longer than 255"}));

TEST(ImageReference, FormatsFullyQualified) {
  auto ref = parse_image_reference("nginx:1.25@" + kDigest);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->name(), "docker.io/library/nginx");
  EXPECT_EQ(ref->to_string(), "docker.io/library/nginx:1.25@" + kDigest);
  EXPECT_FALSE(ref->untagged());
  EXPECT_TRUE(parse_image_reference("nginx")->untagged());
  // Formatting and reparsing is stable.
  auto again = parse_image_reference(ref->to_string());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->to_string(), ref->to_string());
}

TEST(ImageReference, RegistryHosts) {
  EXPECT_TRUE(looks_like_registry_host("registry.example.com"));
  EXPECT_TRUE(looks_like_registry_host("localhost"));
  EXPECT_TRUE(looks_like_registry_host("localhost:5000"));
  EXPECT_TRUE(looks_like_registry_host("[::1]:5000"));
  EXPECT_FALSE(looks_like_registry_host("mirror"));
  EXPECT_FALSE(looks_like_registry_host("mirror.corp:x"));
  EXPECT_FALSE(looks_like_registry_host(""));
}

TEST(ImageReference, PrefixMatchesAtPathBoundary) {
  auto ref = parse_image_reference("ghcr.io/berth/app:1");
  ASSERT_TRUE(ref.ok());
  EXPECT_TRUE(image_matches_prefix(*ref, "ghcr.io"));
  EXPECT_TRUE(image_matches_prefix(*ref, "ghcr.io/berth"));
  EXPECT_TRUE(image_matches_prefix(*ref, "ghcr.io/berth/"));
  EXPECT_TRUE(image_matches_prefix(*ref, "ghcr.io/berth/app"));
  EXPECT_FALSE(image_matches_prefix(*ref, "ghcr.io/ber"));
  EXPECT_FALSE(image_matches_prefix(*ref, "ghcr.i"));
  EXPECT_FALSE(image_matches_prefix(*ref, ""));
  EXPECT_TRUE(image_matches_prefix(*parse_image_reference("nginx"), "docker.io/library"));
}

}  // namespace
}  // namespace berth::webhooks
