#include "webhooks/admission/json_patch.h"

#include <gtest/gtest.h>

#include "kube/core/json.h"
#include "kube/patch/patch.h"
#include "tests/unit/webhooks/review_builder.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;

struct Case {
  std::string from;
  std::string to;
  std::string patch;  // expected, exact
};

class MinimalPatch : public ::testing::TestWithParam<Case> {};

TEST_P(MinimalPatch, IsMinimalAndApplies) {
  auto from = json::parse(GetParam().from);
  auto to = json::parse(GetParam().to);
  ASSERT_TRUE(from.ok() && to.ok());
  json::Document patch = minimal_json_patch(*from, *to);
  std::string text = json::dump(patch);
  EXPECT_EQ(text, GetParam().patch);
  json::Document applied = testing::apply_patch(*from, text);
  EXPECT_TRUE(json::equal(applied, *to)) << json::dump(applied);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MinimalPatch,
    ::testing::Values(
        Case{R"({"a":1})", R"({"a":1})", "[]"},
        Case{R"({"metadata":{}})", R"({"metadata":{"annotations":{"berth.dev/injected":"x"}}})",
             R"([{"op":"add","path":"/metadata/annotations","value":{"berth.dev/injected":"x"}}])"},
        Case{R"({"metadata":{"annotations":{"a":"1"}}})",
             R"({"metadata":{"annotations":{"a":"1","berth.dev/injected":"x"}}})",
             R"([{"op":"add","path":"/metadata/annotations/berth.dev~1injected","value":"x"}])"},
        Case{R"({"m":{"a~b":1}})", R"({"m":{"a~b":2}})",
             R"([{"op":"replace","path":"/m/a~0b","value":2}])"},
        Case{R"({"m":{"gone":1}})", R"({"m":{}})", R"([{"op":"remove","path":"/m/gone"}])"},
        // A container gains a mount while a sidecar is appended: two adds, no list replace.
        Case{R"({"c":[{"name":"app","volumeMounts":[{"name":"a"}]}]})",
             R"({"c":[{"name":"app","volumeMounts":[{"name":"a"},{"name":"b"}]},{"name":"s"}]})",
             R"([{"op":"add","path":"/c/0/volumeMounts/-","value":{"name":"b"}},)"
             R"({"op":"add","path":"/c/-","value":{"name":"s"}}])"},
        Case{R"({"c":[1,2,3]})", R"({"c":[1,5]})",
             R"([{"op":"replace","path":"/c/1","value":5},{"op":"remove","path":"/c/2"}])"},
        Case{R"({"c":[1,2,3,4]})", R"({"c":[1]})",
             R"([{"op":"remove","path":"/c/3"},{"op":"remove","path":"/c/2"},)"
             R"({"op":"remove","path":"/c/1"}])"},
        Case{R"({"image":"nginx"})", R"({"image":"mirror.corp/library/nginx"})",
             R"([{"op":"replace","path":"/image","value":"mirror.corp/library/nginx"}])"},
        Case{R"({"v":[1]})", R"({"v":{"a":1}})",
             R"([{"op":"replace","path":"/v","value":{"a":1}}])"}));

TEST(MinimalPatch, TouchesOnlyWhatChanged) {
  // A container gets a new image and a mount while a sidecar is appended: the library diff
  // replaces the whole containers list; this one changes the two fields and appends.
  auto from = json::parse(
      R"({"spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}],"volumes":[]}})");
  auto to = json::parse(
      R"({"spec":{"containers":[{"name":"a","image":"x2","volumeMounts":[{"name":"v"}]},{"name":"b","image":"y"},{"name":"s"}],"volumes":[{"name":"v"}]}})");
  ASSERT_TRUE(from.ok() && to.ok());
  std::string ours = json::dump(minimal_json_patch(*from, *to));
  std::string library = json::dump(kube::patch::create_json_patch(*from, *to));
  EXPECT_NE(library.find(R"("path":"/spec/containers")"), std::string::npos) << library;
  EXPECT_EQ(ours, R"([{"op":"replace","path":"/spec/containers/0/image","value":"x2"},)"
                  R"({"op":"add","path":"/spec/containers/0/volumeMounts","value":[{"name":"v"}]},)"
                  R"({"op":"add","path":"/spec/containers/-","value":{"name":"s"}},)"
                  R"({"op":"add","path":"/spec/volumes/-","value":{"name":"v"}}])");
  EXPECT_TRUE(json::equal(testing::apply_patch(*from, ours), *to));
}

TEST(DuplicateMembers, AreFoundAtAnyDepth) {
  for (const char* ok : {R"({"a":1,"b":{"a":2}})", R"([{"a":1},{"a":1}])", "{}", "7"}) {
    EXPECT_FALSE(has_duplicate_members(*json::parse(ok))) << ok;
  }
  std::string big = "{";
  for (int i = 0; i < 40; ++i)
    big += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":1");
  EXPECT_FALSE(has_duplicate_members(*json::parse(big + "}")));
  EXPECT_TRUE(has_duplicate_members(*json::parse(big + R"(,"k7":2})")));
  EXPECT_TRUE(has_duplicate_members(*json::parse(R"({"a":1,"a":1})")));
  EXPECT_TRUE(has_duplicate_members(*json::parse(R"({"s":{"c":[{"name":"x","name":"y"}]}})")));
}

}  // namespace
}  // namespace berth::webhooks
