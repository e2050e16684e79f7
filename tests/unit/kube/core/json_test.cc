#include "kube/core/json.h"

#include <gtest/gtest.h>

#include <string>

namespace kube::json {
namespace {

TEST(JsonParse, ParsesObjects) {
  auto doc = parse(R"({"a":1,"b":[true,null,"x"],"c":{"d":"e"}})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(get_int(*doc, "a"), 1);
  EXPECT_EQ(get_string(*find(*doc, "c"), "d"), "e");
  EXPECT_EQ(find_path(*doc, {"c", "d"})->GetString(), std::string("e"));
  EXPECT_EQ(find_path(*doc, {"c", "missing"}), nullptr);
}

TEST(JsonParse, RejectsMalformedInputWithOffset) {
  auto doc = parse(R"({"apiVersion":"v1","kind":"Con)");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().reason, Reason::kParse);
  EXPECT_NE(doc.error().message.find("offset"), std::string::npos);
}

TEST(JsonParse, RejectsTrailingGarbage) {
  EXPECT_FALSE(parse(R"({"a":1} x)").ok());
  EXPECT_TRUE(parse("{\"a\":1}\n  ").ok());
}

TEST(JsonParse, RejectsDeepNestingWithoutRecursing) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  auto doc = parse(deep);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.error().message.find("depth"), std::string::npos);
  EXPECT_TRUE(parse(std::string(200, '[') + std::string(200, ']')).ok());
}

TEST(JsonParse, EnforcesSizeLimit) {
  auto doc = parse(R"({"a":"0123456789"})", {.max_depth = 10, .max_bytes = 8});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, 413);
}

TEST(JsonNestingDepth, IgnoresBracketsInStrings) {
  EXPECT_EQ(nesting_depth(R"({"a":"[[[{{{","b":[1]})", 100), 2u);
  EXPECT_EQ(nesting_depth(R"({"a":"\"[[["})", 100), 1u);
  EXPECT_EQ(nesting_depth("[[[[", 2), 3u);  // stops early past the limit
}

TEST(JsonDump, EscapesHtmlLikeGo) {
  auto doc = parse(R"({"cell":"<none>","q":"a&b"})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(dump(*doc), R"({"cell":"\u003cnone\u003e","q":"a\u0026b"})");
}

TEST(JsonMutation, SetReplacesAndKeepsOrder) {
  Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  set_string(d, "kind", "Pod", a);
  set_string(d, "apiVersion", "v1", a);
  set_string(d, "kind", "Node", a);
  EXPECT_EQ(dump(d), R"({"kind":"Node","apiVersion":"v1"})");
  ensure_object(d, "metadata", a);
  set_string(ensure_object(d, "metadata", a), "name", "n1", a);
  EXPECT_EQ(dump(d), R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"n1"}})");
  EXPECT_TRUE(remove(d, "apiVersion"));
  EXPECT_FALSE(remove(d, "apiVersion"));
  EXPECT_EQ(dump(d), R"({"kind":"Node","metadata":{"name":"n1"}})");
}

TEST(JsonEqual, IgnoresMemberOrder) {
  auto x = parse(R"({"a":1,"b":{"c":[1,2]}})");
  auto y = parse(R"({"b":{"c":[1,2]},"a":1})");
  auto z = parse(R"({"b":{"c":[2,1]},"a":1})");
  EXPECT_TRUE(equal(*x, *y));
  EXPECT_FALSE(equal(*x, *z));
}

TEST(JsonGetters, FallBackOnWrongTypes) {
  auto doc = parse(R"({"s":1,"i":"x","b":"true"})");
  EXPECT_EQ(get_string(*doc, "s", "fb"), "fb");
  EXPECT_EQ(get_int(*doc, "i", 7), 7);
  EXPECT_TRUE(get_bool(*doc, "b", true));
  EXPECT_EQ(get_string(*doc, "missing"), "");
}

}  // namespace
}  // namespace kube::json

namespace kube::json {
namespace {

TEST(JsonFind, KeysNeedNotBeNulTerminated) {
  auto doc = parse(R"({"app":1,"apple":2})");
  ASSERT_TRUE(doc.ok());
  std::string_view text = "apple";
  const Value* v = find(*doc, text.substr(0, 3));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->GetInt(), 1);
  Value& root = *doc;
  EXPECT_TRUE(remove(root, text.substr(0, 3)));
  EXPECT_EQ(find(*doc, "app"), nullptr);
  EXPECT_NE(find(*doc, "apple"), nullptr);
}

}  // namespace
}  // namespace kube::json
