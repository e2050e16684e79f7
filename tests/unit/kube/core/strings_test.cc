#include "kube/core/strings.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

TEST(Strings, SplitAndTrim) {
  auto parts = split("a,b,,c", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(trim("  x y \n"), "x y");
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_FALSE(iequals("a", "ab"));
}

TEST(Strings, Base64RoundTrips) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\x00\x10"}) {
    EXPECT_EQ(*base64_decode(base64_encode(s)), s);
    EXPECT_EQ(*base64url_decode(base64url_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(base64_decode("@@@@").has_value());
  EXPECT_FALSE(base64_decode("a").has_value());
}

TEST(Strings, ContinueTokenIsBase64Url) {
  // The apiserver's continue token format (see fixtures lists/configmaps-limit2-page1).
  std::string token = base64url_encode(R"({"v":"meta.k8s.io/v1","rv":750,"start":"cm-2)" +
                                       std::string(1, '\0') + "\"}");
  EXPECT_EQ(token.find('='), std::string::npos);
  EXPECT_EQ(base64url_decode(token)->substr(0, 5), R"({"v":)");
}

TEST(Strings, UrlEncoding) {
  EXPECT_EQ(url_encode("env in (a,b)"), "env%20in%20%28a%2Cb%29");
  EXPECT_EQ(*url_decode("env%20in+%28a%2Cb%29"), "env in (a,b)");
  EXPECT_FALSE(url_decode("%zz").has_value());
  EXPECT_FALSE(url_decode("%2").has_value());
}

TEST(Strings, ParseInt) {
  EXPECT_EQ(*parse_int("42"), 42);
  EXPECT_EQ(*parse_int("-7"), -7);
  EXPECT_FALSE(parse_int("4x").has_value());
  EXPECT_FALSE(parse_int("").has_value());
  EXPECT_FALSE(parse_int("abc").has_value());
}

TEST(Strings, RandomSuffixUsesKubernetesAlphabet) {
  std::string s = random_suffix(5);
  ASSERT_EQ(s.size(), 5u);
  for (char c : s)
    EXPECT_NE(std::string_view("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos);
}

}  // namespace
}  // namespace kube
