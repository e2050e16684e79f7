#include "controllers/samples/configmap-hash/config_hash.h"

#include <gtest/gtest.h>

namespace berth::samples {
namespace {

kube::Object parse(std::string_view s) {
  return kube::Object::parse(s).value();
}

TEST(ConfigHashTest, FollowedConfigMapAndIndexKey) {
  auto d = parse(R"({"metadata":{"namespace":"ns","name":"web",
      "annotations":{"berth.dev/config-map":"web-config"}}})");
  EXPECT_EQ(followed_config_map(d), "web-config");
  EXPECT_EQ(config_map_key(d), std::vector<std::string>{"ns/web-config"});
  auto empty = parse(R"({"metadata":{"name":"x","annotations":{"berth.dev/config-map":""}}})");
  EXPECT_FALSE(followed_config_map(empty));
  EXPECT_TRUE(config_map_key(empty).empty());
  EXPECT_FALSE(followed_config_map(parse(R"({"metadata":{"name":"x"}})")));
}

TEST(ConfigHashTest, HashDependsOnContentOnly) {
  auto a = parse(R"({"metadata":{"name":"c","resourceVersion":"1"},"data":{"x":"1","y":"2"}})");
  auto reordered =
      parse(R"({"metadata":{"name":"c","resourceVersion":"9"},"data":{"y":"2","x":"1"}})");
  EXPECT_EQ(config_hash(a), config_hash(reordered));
  EXPECT_EQ(config_hash(a).size(), 16u);
  auto changed = parse(R"({"metadata":{"name":"c"},"data":{"x":"1","y":"3"}})");
  EXPECT_NE(config_hash(a), config_hash(changed));
  // Entry boundaries and sections count: these contents differ even though their bytes
  // concatenate alike.
  EXPECT_NE(config_hash(parse(R"({"data":{"ab":"c"}})")),
            config_hash(parse(R"({"data":{"a":"bc"}})")));
  EXPECT_NE(config_hash(parse(R"({"data":{"k":"v"}})")),
            config_hash(parse(R"({"binaryData":{"k":"v"}})")));
  EXPECT_EQ(config_hash(parse(R"({"metadata":{"name":"e"}})")),
            config_hash(parse(R"({"data":{}})")));
}

TEST(ConfigHashTest, PatchOnlyWhenTheTemplateIsBehind) {
  auto fresh = parse(R"({"spec":{"template":{"metadata":{"labels":{"app":"web"}}}}})");
  EXPECT_EQ(template_hash(fresh), "");
  EXPECT_EQ(
      hash_patch(fresh, "0123456789abcdef"),
      R"({"spec":{"template":{"metadata":{"annotations":{"berth.dev/config-hash":"0123456789abcdef"}}}}})");
  auto current = parse(R"({"spec":{"template":{"metadata":{"annotations":{
      "berth.dev/config-hash":"0123456789abcdef"}}}}})");
  EXPECT_EQ(template_hash(current), "0123456789abcdef");
  EXPECT_FALSE(hash_patch(current, "0123456789abcdef"));
  EXPECT_TRUE(hash_patch(current, "fedcba9876543210"));
}

}  // namespace
}  // namespace berth::samples
