#include "kube/core/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kube::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_sink([this](std::string_view line) { lines.emplace_back(line); });
  }
  void TearDown() override {
    set_sink(nullptr);
    set_format(Format::kText);
    set_verbosity(0);
  }
  std::vector<std::string> lines;
};

TEST_F(LogTest, TextIsLogfmt) {
  info("watch restarted", {{"resource", "pods"}, {"attempt", 3}, {"reason", "a \"b\""}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("level=info"), std::string::npos);
  EXPECT_NE(lines[0].find("msg=\"watch restarted\""), std::string::npos);
  EXPECT_NE(lines[0].find("resource=pods attempt=3 reason=\"a \\\"b\\\"\""), std::string::npos);
}

TEST_F(LogTest, JsonFormat) {
  set_format(Format::kJson);
  warn("x", {{"k", "v\n"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("level":"warning")"), std::string::npos);
  EXPECT_NE(lines[0].find(R"("k":"v\n")"), std::string::npos);
}

TEST_F(LogTest, VerbosityGates) {
  v(2, "hidden");
  EXPECT_TRUE(lines.empty());
  set_verbosity(2);
  v(2, "shown");
  EXPECT_EQ(lines.size(), 1u);
}

}  // namespace
}  // namespace kube::log
