#include "kube/health/checks.h"

#include <gtest/gtest.h>

#include "tests/support/fixtures.h"

namespace kube {
namespace {

Result<std::string> pass() {
  return std::string();
}

TEST(ChecksTest, AllPassingIsOkOrTheVerboseListLikeTheApiserver) {
  Checks checks("readyz");
  checks.add("ping", pass);
  checks.add("log", pass);
  auto quiet = checks.render(false, {});
  EXPECT_EQ(quiet.status, 200);
  EXPECT_EQ(quiet.body, "ok");
  auto verbose = checks.render(true, {});
  EXPECT_EQ(verbose.status, 200);
  EXPECT_EQ(verbose.body, "[+]ping ok\n[+]log ok\nreadyz check passed\n");
}

TEST(ChecksTest, VerboseFormatMatchesTheRealApiserver) {
  BERTH_REQUIRE_FIXTURES();
  auto expected = berth::testing::read_fixture("discovery/readyz-verbose.txt");
  ASSERT_TRUE(expected);
  // Rebuild the same list of check names and compare byte for byte.
  Checks checks("readyz");
  std::string_view rest = *expected;
  while (rest.substr(0, 3) == "[+]") {
    auto end = rest.find(" ok\n");
    ASSERT_NE(end, std::string_view::npos);
    checks.add(std::string(rest.substr(3, end - 3)), pass);
    rest = rest.substr(end + 4);
  }
  EXPECT_EQ(checks.render(true, {}).body, *expected);
  auto plain = berth::testing::read_fixture("discovery/readyz.txt");
  ASSERT_TRUE(plain);
  EXPECT_EQ(checks.render(false, {}).body, *plain);
}

TEST(ChecksTest, FailureListsEveryCheckWith500AndExcludesAreHonoured) {
  Checks checks("healthz");
  checks.add("ping", pass);
  checks.add(
      "informer-sync", [] { return false; }, "not synced: pods");
  checks.add("detail", []() -> Result<std::string> { return std::string("leading as a_1"); });
  checks.add("throws", []() -> Result<std::string> { throw std::runtime_error("bug"); });
  auto r = checks.render(false, {});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body,
            "[+]ping ok\n[-]informer-sync failed: not synced: pods\n[+]detail ok: leading as "
            "a_1\n[-]throws failed: check threw: bug\nhealthz check failed\n");
  auto excluded = checks.render(false, {"informer-sync", "throws"});
  EXPECT_EQ(excluded.status, 200);
  auto excluded_verbose = checks.render(true, {"informer-sync", "throws"});
  EXPECT_NE(excluded_verbose.body.find("[+]informer-sync excluded: ok\n"), std::string::npos);
}

TEST(ChecksTest, SingleCheckAndReplacement) {
  Checks checks("readyz");
  bool ok = false;
  checks.add(
      "x", [&] { return ok; }, "x is down");
  EXPECT_FALSE(checks.render_one("nope"));
  auto one = checks.render_one("x");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 500);
  EXPECT_EQ(one->body, "internal server error: x is down\n");
  ok = true;
  EXPECT_EQ(checks.render_one("x")->body, "ok");
  checks.add(
      "x", [] { return false; }, "replaced");
  EXPECT_EQ(checks.render_one("x")->status, 500);
  EXPECT_EQ(checks.render(true, {}).body, "[-]x failed: replaced\nreadyz check failed\n");
}

}  // namespace
}  // namespace kube
