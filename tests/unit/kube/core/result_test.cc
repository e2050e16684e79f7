#include "kube/core/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace kube {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0) return Error::make(Reason::kInvalid, "odd", 422);
  return x / 2;
}

Result<int> quarter(int x) {
  KUBE_ASSIGN_OR_RETURN(int h, half(x));
  return half(h);
}

Status check_even(int x) {
  KUBE_RETURN_IF_ERROR(half(x));
  return {};
}

TEST(Result, HoldsValueOrError) {
  auto ok = half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().is_invalid());
  EXPECT_EQ(bad.error().code, 422);
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, MacrosPropagate) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_FALSE(quarter(6).ok());
  EXPECT_TRUE(check_even(2).ok());
  EXPECT_EQ(check_even(3).error().message, "odd");
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Error, ReasonsRoundTrip) {
  for (Reason r : {Reason::kNotFound, Reason::kAlreadyExists, Reason::kConflict, Reason::kExpired,
                   Reason::kTooManyRequests, Reason::kInvalid}) {
    EXPECT_EQ(reason_from_name(reason_name(r)), r);
  }
  EXPECT_EQ(reason_from_name("SomethingNew"), Reason::kUnknown);
  EXPECT_EQ(reason_for_code(409), Reason::kConflict);
  EXPECT_EQ(reason_for_code(418), Reason::kUnknown);
}

TEST(Error, Classification) {
  EXPECT_TRUE(Error::make(Reason::kExpired, "too old", 410).is_gone());
  EXPECT_TRUE(Error::make(Reason::kUnknown, "", 410).is_gone());
  EXPECT_TRUE(Error::make(Reason::kTooManyRequests, "", 429).is_retryable());
  EXPECT_TRUE(Error::transport("reset").is_retryable());
  EXPECT_FALSE(Error::make(Reason::kNotFound, "", 404).is_retryable());
  EXPECT_EQ(Error::make(Reason::kNotFound, "pods \"x\" not found", 404).to_string(),
            "NotFound: pods \"x\" not found");
}

}  // namespace
}  // namespace kube
