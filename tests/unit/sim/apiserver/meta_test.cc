#include "sim/apiserver/meta.h"

#include <gtest/gtest.h>

namespace berth::sim {
namespace {

namespace json = kube::json;

TEST(Meta, NameRules) {
  EXPECT_TRUE(name_problems("web-1.example", NameRule::kSubdomain).empty());
  EXPECT_FALSE(name_problems("Bad_Name", NameRule::kSubdomain).empty());
  EXPECT_FALSE(name_problems("a.b", NameRule::kLabel).empty());
  EXPECT_FALSE(name_problems("1abc", NameRule::kDns1035Label).empty());
  EXPECT_TRUE(name_problems("system:masters", NameRule::kPathSegment).empty());
  EXPECT_FALSE(name_problems("a/b", NameRule::kPathSegment).empty());
}

TEST(Meta, GenerateNameErrorsNameBothFields) {
  auto meta = json::parse(R"({"generateName":"Bad_","name":"Bad_dzsnr","namespace":"ns"})");
  auto errs = validate_object_meta(*meta, NameRule::kSubdomain, true);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].field, "metadata.generateName");
  EXPECT_EQ(errs[1].field, "metadata.name");
  auto fine = json::parse(R"({"generateName":"web-","name":"web-abcde","namespace":"ns"})");
  EXPECT_TRUE(validate_object_meta(*fine, NameRule::kSubdomain, true).empty());
}

TEST(Meta, GeneratedNamesKeepThePrefixWithinLimits) {
  std::string n = generate_name("web-");
  EXPECT_EQ(n.size(), 9u);
  EXPECT_TRUE(n.starts_with("web-"));
  EXPECT_EQ(generate_name(std::string(100, 'a')).size(), 63u);
}

TEST(Meta, TypeErrorsReadLikeGo) {
  auto bad = json::parse(R"({"metadata":{"labels":{"a":1}}})");
  EXPECT_EQ(metadata_type_error(*bad),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of "
            "type string");
  auto good = json::parse(R"({"metadata":{"labels":{"a":"b"}}})");
  EXPECT_FALSE(metadata_type_error(*good));
}

TEST(Meta, CanonicalOrderPutsTypeAndMetadataFirstAndStatusLast) {
  auto obj = json::parse(
      R"({"status":{},"spec":{},"metadata":{"uid":"u","name":"n"},"apiVersion":"v1","kind":"Pod"})");
  canonicalize_builtin(*obj, obj->GetAllocator());
  EXPECT_EQ(
      json::dump(*obj),
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"n","uid":"u"},"spec":{},"status":{}})");
  auto cr = json::parse(R"({"spec":{"b":1,"a":2},"kind":"W","apiVersion":"x/v1"})");
  sort_keys(*cr, cr->GetAllocator());
  EXPECT_EQ(json::dump(*cr), R"({"apiVersion":"x/v1","kind":"W","spec":{"a":2,"b":1}})");
}

}  // namespace
}  // namespace berth::sim
