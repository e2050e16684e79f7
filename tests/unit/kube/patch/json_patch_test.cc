#include <gtest/gtest.h>

#include "kube/patch/patch.h"
#include "tests/unit/kube/patch/fixture_objects.h"

namespace kube::patch {
namespace {

using testing::fixture;
using testing::parse_json;
using testing::request_body;
using testing::same_object;

std::string patched(std::string_view target, std::string_view ops) {
  json::Document doc = parse_json(target);
  json::Document p = parse_json(ops);
  Status st = apply_json_patch(doc, p);
  if (!st.ok()) return "error: " + st.error().message;
  return json::dump(doc);
}

// RFC 6902, Appendix A.
TEST(JsonPatch, RfcExamples) {
  EXPECT_EQ(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])"),
            R"({"foo":"bar","baz":"qux"})");
  EXPECT_EQ(patched(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])"),
            R"({"foo":["bar","qux","baz"]})");
  EXPECT_EQ(patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])"),
            R"({"foo":"bar"})");
  EXPECT_EQ(patched(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])"),
            R"({"foo":["bar","baz"]})");
  EXPECT_EQ(
      patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])"),
      R"({"baz":"boo","foo":"bar"})");
  EXPECT_EQ(patched(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                    R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"),
            R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
  EXPECT_EQ(patched(R"({"foo":["all","grass","cows","eat"]})",
                    R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"),
            R"({"foo":["all","cows","eat","grass"]})");
  EXPECT_EQ(patched(R"({"baz":"qux","foo":["a",2,"c"]})",
                    R"([{"op":"test","path":"/baz","value":"qux"},
                        {"op":"test","path":"/foo/1","value":2}])"),
            R"({"baz":"qux","foo":["a",2,"c"]})");
  EXPECT_EQ(patched(R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])"),
            "error: json patch operation 0 (test /baz): test failed: the value is \"qux\"");
  EXPECT_EQ(
      patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"),
      R"({"foo":"bar","child":{"grandchild":{}}})");
  EXPECT_EQ(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])"),
            R"({"foo":"bar","baz":"qux"})");
  EXPECT_EQ(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])"),
            "error: json patch operation 0 (add /baz/bat): path /baz does not exist");
  EXPECT_EQ(patched(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])"),
            R"({"/":9,"~1":10})");
  EXPECT_EQ(patched(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])"),
            "error: json patch operation 0 (test /~01): test failed: the value is 10");
  EXPECT_EQ(
      patched(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"),
      R"({"foo":["bar",["abc","def"]]})");
}

TEST(JsonPatch, CopyAndWholeDocument) {
  EXPECT_EQ(patched(R"({"a":{"b":[1]}})", R"([{"op":"copy","from":"/a","path":"/c"}])"),
            R"({"a":{"b":[1]},"c":{"b":[1]}})");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"replace","path":"","value":[1,2]}])"), "[1,2]");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"add","path":"","value":{"b":2}}])"), R"({"b":2})");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"test","path":"","value":{"a":1.0}}])"), R"({"a":1})");
  EXPECT_EQ(patched(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/2","value":3}])"),
            R"({"a":[1,2,3]})");
  EXPECT_EQ(patched(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/0","value":0}])"),
            R"({"a":[0,1,2]})");
}

TEST(JsonPatch, EscapedKeys) {
  EXPECT_EQ(
      patched(R"({"metadata":{"annotations":{}}})",
              R"([{"op":"add","path":"/metadata/annotations/berth.dev~1injected","value":"true"},
                        {"op":"add","path":"/metadata/annotations/a~0b","value":"x"}])"),
      R"({"metadata":{"annotations":{"berth.dev/injected":"true","a~b":"x"}}})");
  EXPECT_EQ(escape_pointer_token("berth.dev/injected"), "berth.dev~1injected");
  EXPECT_EQ(escape_pointer_token("~/"), "~0~1");
  EXPECT_EQ(unescape_pointer_token("~0~1"), "~/");
  EXPECT_EQ(unescape_pointer_token("~01"), "~1");
}

TEST(JsonPatch, Errors) {
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"remove","path":"/b"}])"),
            "error: json patch operation 0 (remove /b): path /b does not exist");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"replace","path":"/b","value":1}])"),
            "error: json patch operation 0 (replace /b): path /b does not exist");
  EXPECT_EQ(patched(R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":1}])"),
            "error: json patch operation 0 (add /a/2): index 2 is out of bounds for array /a");
  EXPECT_EQ(patched(R"({"a":[1]})", R"([{"op":"add","path":"/a/01","value":1}])"),
            "error: json patch operation 0 (add /a/01): index 01 is out of bounds for array /a");
  EXPECT_EQ(patched(R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])"),
            "error: json patch operation 0 (remove /a/-): path /a/- does not exist");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"add","path":"/a/b","value":1}])"),
            "error: json patch operation 0 (add /a/b): path /a is neither an object nor an array");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"frobnicate","path":"/a"}])"),
            "error: json patch operation 0 (frobnicate /a): unknown operation \"frobnicate\"");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"add","path":"/b"}])"),
            "error: json patch operation 0 (add /b): missing \"value\"");
  EXPECT_EQ(
      patched(R"({"a":1})", R"([{"op":"add","path":"b","value":1}])"),
      "error: json patch operation 0 (add b): a JSON pointer must be empty or start with '/'");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"add","path":"/~2","value":1}])"),
            "error: json patch operation 0 (add /~2): '~' must be followed by '0' or '1' in a JSON "
            "pointer");
  EXPECT_EQ(patched(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])"),
            "error: json patch operation 0 (move /a/b/c): a value cannot be moved into one of its "
            "children");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"path":"/a"}])"),
            "error: json patch operation 0: "
            "missing \"op\"");
  EXPECT_EQ(patched(R"({"a":1})", R"(["x"])"),
            "error: json patch operation 0: an operation must be an object");
  json::Document doc = parse_json("{}");
  Status not_array = apply_json_patch(doc, parse_json(R"({"op":"add"})"));
  ASSERT_FALSE(not_array.ok());
  EXPECT_EQ(not_array.error().code, 400);
}

TEST(JsonPatch, FailureLeavesTheTargetUnchanged) {
  json::Document doc = parse_json(R"({"a":1,"list":[1,2,3]})");
  std::string before = json::dump(doc);
  Status st = apply_json_patch(doc, parse_json(R"([
      {"op":"add","path":"/b","value":2},
      {"op":"remove","path":"/list/0"},
      {"op":"test","path":"/a","value":2}])"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, Reason::kInvalid);
  EXPECT_EQ(st.error().code, 422);
  EXPECT_NE(st.error().message.find("operation 2"), std::string::npos);
  EXPECT_EQ(json::dump(doc), before);
}

TEST(JsonPatch, CopiesCannotBlowUpTheDocument) {
  // Each copy doubles the document; the total a patch may copy is bounded.
  std::string ops = R"([{"op":"add","path":"/x","value":")" + std::string(1000, 'x') + R"("})";
  for (int i = 0; i < 40; ++i)
    ops += R"(,{"op":"copy","from":"","path":"/c)" + std::to_string(i) + R"("})";
  ops += "]";
  json::Document doc = parse_json("{}");
  Status st = apply_json_patch(doc, parse_json(ops));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("copies more than"), std::string::npos) << st.error().message;
  EXPECT_EQ(json::dump(doc), "{}");
}

TEST(JsonPatch, CopiesCannotNestWithoutBound) {
  // Copying the document into itself nests it one level deeper each time.
  std::string ops = R"([{"op":"add","path":"/a","value":1})";
  std::string path;
  for (int i = 0; i < 600; ++i) {
    ops += R"(,{"op":"copy","from":"","path":")" + path + R"(/n"})";
    path += "/n";
    ops += R"(,{"op":"remove","path":")" + path + R"(/a"})";
  }
  ops += "]";
  json::Document doc = parse_json("{}");
  auto parsed = json::parse(ops);
  ASSERT_TRUE(parsed.ok());
  Status st = apply_json_patch(doc, *parsed);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("deeper than 512"), std::string::npos) << st.error().message;
}

TEST(JsonPatch, ValuesOutliveThePatchDocument) {
  json::Document doc = parse_json(R"({"a":1})");
  {
    json::Document ops =
        parse_json(R"([{"op":"add","path":"/b","value":{"c":["long string value"]}}])");
    ASSERT_TRUE(apply_json_patch(doc, ops).ok());
  }
  EXPECT_EQ(json::dump(doc), R"({"a":1,"b":{"c":["long string value"]}})");
}

TEST(JsonPatchFixtures, ConfigMapOperations) {
  BERTH_REQUIRE_FIXTURES();
  json::Document doc = fixture("patch/merge-patch-configmap-01-result.json");
  ASSERT_TRUE(apply_json_patch(doc, request_body("patch/json-patch-configmap-result")).ok());
  EXPECT_TRUE(same_object(doc, fixture("patch/json-patch-configmap-result.json")));
  ASSERT_TRUE(apply_json_patch(doc, request_body("patch/json-patch-configmap-escaped-key")).ok());
  EXPECT_TRUE(same_object(doc, fixture("patch/json-patch-configmap-escaped-key.json")));
}

TEST(JsonPatchFixtures, RejectedPatchesAre422AndChangeNothing) {
  BERTH_REQUIRE_FIXTURES();
  // The object those requests patched, as it was created.
  json::Document dup = request_body("errors/409-already-exists");
  for (std::string_view name :
       {"422-json-patch-remove-missing-path", "422-json-patch-replace-missing-parent",
        "422-json-patch-test-failed", "422-json-patch-unknown-op"}) {
    json::Document status = fixture("errors/" + std::string(name) + ".json");
    json::Document doc = json::copy(dup);
    Status st = apply_json_patch(doc, request_body("errors/" + std::string(name)));
    ASSERT_FALSE(st.ok()) << name;
    EXPECT_EQ(st.error().code, json::get_int(status, "code")) << name;
    EXPECT_EQ(reason_name(st.error().reason), json::get_string(status, "reason")) << name;
    EXPECT_TRUE(json::equal(doc, dup)) << name;
  }
}

}  // namespace
}  // namespace kube::patch
