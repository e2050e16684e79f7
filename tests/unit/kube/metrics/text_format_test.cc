#include "kube/metrics/text_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace kube::metrics {
namespace {

TEST(TextFormat, FormatsValuesLikePrometheusClients) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(-1), "-1");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(2.5), "2.5");
  EXPECT_EQ(format_value(0.0001), "0.0001");
  EXPECT_EQ(format_value(0.001), "0.001");
  EXPECT_EQ(format_value(0.01), "0.01");
  EXPECT_EQ(format_value(10), "10");
  EXPECT_EQ(format_value(100), "100");
  EXPECT_EQ(format_value(999999), "999999");
  EXPECT_EQ(format_value(-0.5), "-0.5");
  EXPECT_EQ(format_value(1e100), "1e+100");
  EXPECT_EQ(format_value(1.5e-300), "1.5e-300");
  EXPECT_EQ(format_value(0.00001), "1e-05");
  EXPECT_EQ(format_value(1e-08), "1e-08");
  EXPECT_EQ(format_value(123456), "123456");
  EXPECT_EQ(format_value(1e6), "1e+06");
  EXPECT_EQ(format_value(1234567), "1.234567e+06");
  EXPECT_EQ(format_value(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(TextFormat, ValidatesNames) {
  EXPECT_TRUE(is_valid_metric_name("workqueue_depth"));
  EXPECT_TRUE(is_valid_metric_name("job:rate5m"));
  EXPECT_TRUE(is_valid_metric_name("_x9"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_FALSE(is_valid_metric_name("9lives"));
  EXPECT_FALSE(is_valid_metric_name("with-dash"));
  EXPECT_FALSE(is_valid_metric_name("with space"));
  EXPECT_FALSE(is_valid_metric_name("unicode_é"));

  EXPECT_TRUE(is_valid_label_name("route"));
  EXPECT_TRUE(is_valid_label_name("_private"));
  EXPECT_FALSE(is_valid_label_name("__name__"));
  EXPECT_FALSE(is_valid_label_name("a:b"));
  EXPECT_FALSE(is_valid_label_name("0a"));
  EXPECT_FALSE(is_valid_label_name(""));
}

TEST(TextFormat, EscapesLabelValuesAndHelp) {
  std::string out;
  append_escaped_label_value(out, "a\\b\"c\nd\te");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd\te");
  out.clear();
  append_escaped_help(out, "a\\b\"c\nd");
  EXPECT_EQ(out, "a\\\\b\"c\\nd");
}

TEST(TextFormat, AppendsSamples) {
  std::vector<std::string> names = {"route", "code"};
  std::vector<std::string> values = {"/filter", "200"};
  std::string out;
  append_sample(out, "x_total", names, values, {}, {}, 3);
  append_sample(out, "x_bucket", names, values, "le", "0.5", 1);
  append_sample(out, "y", {}, {}, {}, {}, 0.25);
  append_sample(out, "y_bucket", {}, {}, "le", "+Inf", 7);
  EXPECT_EQ(out,
            "x_total{route=\"/filter\",code=\"200\"} 3\n"
            "x_bucket{route=\"/filter\",code=\"200\",le=\"0.5\"} 1\n"
            "y 0.25\n"
            "y_bucket{le=\"+Inf\"} 7\n");
}

}  // namespace
}  // namespace kube::metrics
