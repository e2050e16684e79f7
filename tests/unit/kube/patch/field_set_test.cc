#include "kube/patch/field_set.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/kube/patch/fixture_objects.h"

namespace kube::patch {
namespace {

using testing::parse_json;

FieldPath path(std::initializer_list<PathElement> elements) {
  return FieldPath(elements);
}
PathElement f(std::string_view name) {
  return PathElement::of_field(name);
}
PathElement k(std::string_view name, std::string_view value) {
  json::Document v;
  v.SetString(value.data(), static_cast<rapidjson::SizeType>(value.size()), v.GetAllocator());
  return PathElement::of_key({{std::string(name), KeyValue::from(v)}});
}

TEST(FieldSet, SerializesInStructuredMergeDiffOrder) {
  FieldSet s;
  s.insert(path({f("spec"), f("replicas")}));
  s.insert(path({f("metadata"), f("labels"), f("app")}));
  json::Document port = parse_json(R"({"containerPort":80,"protocol":"TCP"})");
  std::vector<std::pair<std::string, KeyValue>> key;
  for (const auto& m : port.GetObject()) {
    key.emplace_back(std::string(json::as_string(m.name)), KeyValue::from(m.value));
  }
  FieldPath c = path({f("spec"), f("containers"), k("name", "app")});
  s.insert(c);
  s.insert(path({f("spec"), f("containers"), k("name", "app"), f("image")}));
  FieldPath p = c;
  p.push_back(f("ports"));
  p.push_back(PathElement::of_key(key));
  s.insert(p);
  s.insert(path({f("metadata"), f("finalizers"), PathElement::of_value(parse_json(R"("b")"))}));
  s.insert(path({f("metadata"), f("finalizers"), PathElement::of_value(parse_json(R"("a")"))}));
  json::Document out;
  static_cast<json::Value&>(out) = s.to_fields_v1(out.GetAllocator());
  EXPECT_EQ(json::dump(out),
            R"({"f:metadata":{"f:finalizers":{"v:\"a\"":{},"v:\"b\"":{}},"f:labels":{"f:app":{}}},)"
            R"("f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:ports":{)"
            R"("k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{}}}},"f:replicas":{}}})");
}

TEST(FieldSet, PathStrings) {
  EXPECT_EQ(path_string(path({f("spec"), f("template"), f("spec"), f("containers"),
                              k("name", "app"), f("image")})),
            R"(.spec.template.spec.containers[name="app"].image)");
  EXPECT_EQ(path_string(path({f("data"), f("key1")})), ".data.key1");
  EXPECT_EQ(
      path_string(path({f("f"), PathElement::of_value(parse_json("3")), PathElement::of_index(2)})),
      ".f[=3][2]");
}

TEST(FieldSet, SetOperations) {
  FieldSet a;
  a.insert(path({f("a")}));
  a.insert(path({f("b"), f("c")}));
  FieldSet b;
  b.insert(path({f("b")}));
  b.insert(path({f("a")}));
  EXPECT_EQ(a.intersection(b).size(), 1u);
  EXPECT_EQ(a.difference(b).size(), 1u);
  EXPECT_TRUE(a.recursive_difference(b).empty());
  EXPECT_EQ(a.union_with(b).size(), 3u);
  EXPECT_TRUE(a.has_prefix(path({f("b")})));
  EXPECT_FALSE(a.has_prefix(path({f("c")})));
}

TEST(FieldSet, RejectsMalformedFields) {
  for (std::string_view bad :
       {R"({"x":{}})", R"({"f:a":1})", R"({"k:[1]":{}})", R"({"i:x":{}})", R"({".":{}})", "[]"}) {
    EXPECT_FALSE(FieldSet::from_fields_v1(parse_json(bad)).ok()) << bad;
  }
}

// Every fieldsV1 the apiserver wrote parses and serializes back byte for byte.
TEST(FieldSetFixtures, RoundTripsEveryCapturedFieldsV1) {
  BERTH_REQUIRE_FIXTURES();
  auto dir = berth::testing::fixtures_dir();
  int checked = 0;
  for (const char* folder : {"objects", "patch", "lists", "watch", "admission"}) {
    for (const auto& entry : std::filesystem::directory_iterator(*dir / folder)) {
      if (entry.path().extension() != ".json") continue;
      auto text = berth::testing::read_file(entry.path());
      auto doc = json::parse(text, {.max_depth = 512});
      if (!doc.ok()) continue;
      // Every object holding "fieldsType":"FieldsV1" anywhere in the document.
      std::vector<const json::Value*> stack{&*doc};
      while (!stack.empty()) {
        const json::Value* v = stack.back();
        stack.pop_back();
        if (v->IsObject()) {
          if (json::get_string(*v, "fieldsType") == "FieldsV1") {
            const json::Value* fields = json::find(*v, "fieldsV1");
            ASSERT_NE(fields, nullptr);
            auto set = FieldSet::from_fields_v1(*fields);
            ASSERT_TRUE(set.ok()) << entry.path() << ": " << set.error().message;
            json::Document out;
            static_cast<json::Value&>(out) = set->to_fields_v1(out.GetAllocator());
            EXPECT_EQ(json::dump(out), json::dump(*fields)) << entry.path();
            ++checked;
            continue;
          }
          for (const auto& m : v->GetObject())
            stack.push_back(&m.value);
        } else if (v->IsArray()) {
          for (const auto& e : v->GetArray())
            stack.push_back(&e);
        }
      }
    }
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
}  // namespace kube::patch
