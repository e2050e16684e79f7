#include "sim/apiserver/schema.h"

#include <gtest/gtest.h>

namespace berth::sim {
namespace {

namespace json = kube::json;

constexpr const char* kWidgetSchema = R"({"type":"object","properties":{
  "spec":{"type":"object","required":["replicas"],"properties":{
    "image":{"type":"string"},
    "mode":{"type":"string","default":"safe","enum":["fast","safe"]},
    "replicas":{"type":"integer","maximum":10,"minimum":1},
    "labels":{"type":"object","additionalProperties":{"type":"string"}},
    "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
  "status":{"type":"object","properties":{"phase":{"type":"string"}}}}})";

class SchemaTest : public ::testing::Test {
 protected:
  json::Document schema_doc = std::move(json::parse(kWidgetSchema)).value();
  StructuralSchema schema{&schema_doc};
};

TEST_F(SchemaTest, DefaultsFillAbsentFields) {
  auto obj = json::parse(R"({"spec":{"replicas":2}})");
  schema.apply_defaults(*obj, obj->GetAllocator());
  EXPECT_EQ(json::get_string(*json::find(*obj, "spec"), "mode"), "safe");
}

TEST_F(SchemaTest, PruningDropsUndeclaredFieldsOnly) {
  auto obj = json::parse(
      R"({"apiVersion":"x/v1","kind":"W","metadata":{"name":"a"},"spec":{"replicas":1,"unknownField":1,)"
      R"("labels":{"any":"thing"},"free":{"anything":{"goes":1}}},"extra":true})");
  auto unknown = schema.prune(*obj);
  EXPECT_EQ(unknown, (std::vector<std::string>{"spec.unknownField", "extra"}));
  EXPECT_NE(json::find(*obj, "metadata"), nullptr);
  EXPECT_NE(json::find_path(*obj, {"spec", "labels", "any"}), nullptr);
  EXPECT_NE(json::find_path(*obj, {"spec", "free", "anything", "goes"}), nullptr);
}

TEST_F(SchemaTest, ValidationMessagesMatchTheApiserver) {
  auto min = json::parse(R"({"spec":{"replicas":0}})");
  auto errs = schema.validate(*min);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].to_string(),
            "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or "
            "equal to 1");
  auto required = json::parse(R"({"spec":{"image":"x"}})");
  errs = schema.validate(*required);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].to_string(), "spec.replicas: Required value");
  EXPECT_EQ(errs[0].reason(), "FieldValueRequired");
  auto mixed = json::parse(R"({"spec":{"replicas":"two","mode":"turbo"}})");
  errs = schema.validate(*mixed);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_EQ(errs[0].to_string(),
            "spec.mode: Unsupported value: \"turbo\": supported values: \"fast\", \"safe\"");
  EXPECT_EQ(errs[1].to_string(),
            "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type "
            "integer: \"string\"");
  EXPECT_EQ(errs[1].reason(), "FieldValueTypeInvalid");
}

}  // namespace
}  // namespace berth::sim
