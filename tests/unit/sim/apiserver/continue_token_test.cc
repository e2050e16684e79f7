#include "sim/apiserver/continue_token.h"

#include <gtest/gtest.h>

namespace berth::sim {
namespace {

TEST(ContinueToken, SameBytesAsTheApiserver) {
  // From lists/configmaps-limit2-page1: {"v":"meta.k8s.io/v1","rv":750,"start":"cm-2\u0000"}.
  EXPECT_EQ(encode_continue(750, std::string("cm-2\0", 5)),
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NzUwLCJzdGFydCI6ImNtLTJcdTAwMDAifQ");
  auto t =
      decode_continue("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NzUwLCJzdGFydCI6ImNtLTJcdTAwMDAifQ");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->rv, 750);
  EXPECT_EQ(t->start, std::string("cm-2\0", 5));
}

TEST(ContinueToken, GarbageIsABadRequestWithGoWording) {
  auto t = decode_continue("garbage");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, 400);
  EXPECT_EQ(t.error().message,
            "invalid continue token: continue key is not valid: invalid character '\\u0081' "
            "looking for beginning of value");
}

TEST(ContinueToken, GoQuoteChar) {
  EXPECT_EQ(go_quote_char('x'), "'x'");
  EXPECT_EQ(go_quote_char(0), "'\\x00'");
  EXPECT_EQ(go_quote_char(0x81), "'\\u0081'");
  EXPECT_EQ(go_quote_char('\''), "'\\''");
}

}  // namespace
}  // namespace berth::sim
