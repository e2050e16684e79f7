#include <gtest/gtest.h>

#include "kube/patch/patch.h"
#include "tests/unit/kube/patch/fixture_objects.h"

namespace kube::patch {
namespace {

using testing::fixture;
using testing::parse_json;
using testing::request_body;
using testing::same_object;

std::string merged(std::string_view target, std::string_view patch) {
  json::Document doc = parse_json(target);
  json::Document p = parse_json(patch);
  EXPECT_TRUE(apply_merge_patch(doc, p).ok());
  return json::dump(doc);
}

// RFC 7386, Appendix A.
TEST(MergePatch, RfcExamples) {
  EXPECT_EQ(merged(R"({"a":"b"})", R"({"a":"c"})"), R"({"a":"c"})");
  EXPECT_EQ(merged(R"({"a":"b"})", R"({"b":"c"})"), R"({"a":"b","b":"c"})");
  EXPECT_EQ(merged(R"({"a":"b"})", R"({"a":null})"), R"({})");
  EXPECT_EQ(merged(R"({"a":"b","b":"c"})", R"({"a":null})"), R"({"b":"c"})");
  EXPECT_EQ(merged(R"({"a":["b"]})", R"({"a":"c"})"), R"({"a":"c"})");
  EXPECT_EQ(merged(R"({"a":"c"})", R"({"a":["b"]})"), R"({"a":["b"]})");
  EXPECT_EQ(merged(R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})"), R"({"a":{"b":"d"}})");
  EXPECT_EQ(merged(R"({"a":[{"b":"c"}]})", R"({"a":[1]})"), R"({"a":[1]})");
  EXPECT_EQ(merged(R"(["a","b"])", R"(["c","d"])"), R"(["c","d"])");
  EXPECT_EQ(merged(R"({"a":"b"})", R"(["c"])"), R"(["c"])");
  EXPECT_EQ(merged(R"({"a":"foo"})", "null"), "null");
  EXPECT_EQ(merged(R"({"a":"foo"})", R"("bar")"), R"("bar")");
  EXPECT_EQ(merged(R"({"e":null})", R"({"a":1})"), R"({"e":null,"a":1})");
  EXPECT_EQ(merged(R"([1,2])", R"({"a":"b","c":null})"), R"({"a":"b"})");
  EXPECT_EQ(merged(R"({})", R"({"a":{"bb":{"ccc":null}}})"), R"({"a":{"bb":{}}})");
}

TEST(MergePatch, ListsAreReplacedWhole) {
  EXPECT_EQ(merged(R"({"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}})",
                   R"({"spec":{"containers":[{"name":"a","image":"y"}]}})"),
            R"({"spec":{"containers":[{"name":"a","image":"y"}]}})");
}

TEST(MergePatch, KeepsMemberOrderAndCopiesFromThePatch) {
  json::Document doc = parse_json(R"({"z":1,"a":{"m":1,"n":2}})");
  {
    json::Document p = parse_json(R"({"a":{"m":5,"o":{"deep":"v"}},"b":"new"})");
    ASSERT_TRUE(apply_merge_patch(doc, p).ok());
  }  // the patch is gone; the target must not point into it
  EXPECT_EQ(json::dump(doc), R"({"z":1,"a":{"m":5,"n":2,"o":{"deep":"v"}},"b":"new"})");
}

TEST(MergePatchFixtures, ConfigMap) {
  BERTH_REQUIRE_FIXTURES();
  json::Document doc = fixture("patch/merge-patch-configmap-00-before.json");
  ASSERT_TRUE(apply_merge_patch(doc, request_body("patch/merge-patch-configmap-01-result")).ok());
  EXPECT_TRUE(same_object(doc, fixture("patch/merge-patch-configmap-01-result.json")));
}

TEST(MergePatchFixtures, DryRunResultEqualsTheWouldBeObject) {
  BERTH_REQUIRE_FIXTURES();
  json::Document doc = fixture("patch/merge-patch-dryrun-all-after-get.json");
  ASSERT_TRUE(apply_merge_patch(doc, request_body("patch/merge-patch-dryrun-all")).ok());
  EXPECT_TRUE(same_object(doc, fixture("patch/merge-patch-dryrun-all.json")));
}

TEST(MergePatchFixtures, PatchOnAnAppliedObject) {
  BERTH_REQUIRE_FIXTURES();
  json::Document doc = fixture("patch/apply-05-json-body.json");
  ASSERT_TRUE(
      apply_merge_patch(doc, request_body("patch/merge-patch-with-fieldmanager-update-operation"))
          .ok());
  EXPECT_TRUE(
      same_object(doc, fixture("patch/merge-patch-with-fieldmanager-update-operation.json")));
}

TEST(MergePatchFixtures, DeploymentContainersAreReplaced) {
  BERTH_REQUIRE_FIXTURES();
  json::Document doc = fixture("patch/smp-deployment-05-setElementOrder-readd.json");
  ASSERT_TRUE(
      apply_merge_patch(doc, request_body("patch/merge-patch-deployment-replaces-list")).ok());
  json::Document expected = fixture("patch/merge-patch-deployment-replaces-list.json");
  // The apiserver defaults the new container afterwards; everything else must match.
  const json::Value* containers = json::find_path(doc, {"spec", "template", "spec", "containers"});
  ASSERT_NE(containers, nullptr);
  EXPECT_EQ(json::dump(*containers), R"([{"name":"app","image":"nginx:1.27"}])");
  json::Value& expected_containers = expected["spec"]["template"]["spec"]["containers"];
  for (auto& c : expected_containers.GetArray()) {
    for (const char* defaulted :
         {"resources", "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy"}) {
      json::remove(c, defaulted);
    }
  }
  EXPECT_TRUE(same_object(doc, expected));
}

}  // namespace
}  // namespace kube::patch
