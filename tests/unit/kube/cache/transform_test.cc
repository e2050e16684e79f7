#include "kube/cache/transform.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

TEST(StripBulkTest, RemovesManagedFieldsAndLastApplied) {
  auto o = Object::parse(R"({"kind":"Pod","metadata":{"name":"p","namespace":"a",
      "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}","keep":"me"},
      "managedFields":[{"manager":"kubectl","operation":"Update"}]},"spec":{"nodeName":"n"}})")
               .value();
  Object t = strip_bulk(o);
  EXPECT_EQ(json::find(*t.metadata(), "managedFields"), nullptr);
  EXPECT_FALSE(t.annotation("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_EQ(t.annotation("keep"), "me");
  EXPECT_EQ(json::get_string(*t.spec(), "nodeName"), "n");
  EXPECT_EQ(t.name(), "p");
  EXPECT_LT(t.memory_bytes(), o.memory_bytes());
  // The input is immutable and unchanged.
  EXPECT_NE(json::find(*o.metadata(), "managedFields"), nullptr);
}

TEST(StripBulkTest, DropsAnnotationsLeftEmpty) {
  auto o = Object::parse(R"({"metadata":{"name":"p",
      "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}})")
               .value();
  Object t = strip_bulk(o);
  EXPECT_EQ(t.annotations(), nullptr);
}

TEST(StripBulkTest, UntouchedObjectIsNotCopied) {
  auto o = Object::parse(R"({"metadata":{"name":"p","annotations":{"a":"b"}}})").value();
  EXPECT_TRUE(strip_bulk(o).same(o));
  auto no_meta = Object::parse(R"({"kind":"X"})").value();
  EXPECT_TRUE(strip_bulk(no_meta).same(no_meta));
}

}  // namespace
}  // namespace kube
