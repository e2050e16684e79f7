// The pieces of the Prometheus text exposition format 0.0.4 that every family renders with:
// name validation, label-value and HELP escaping, and float formatting.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace kube::metrics {

// The Content-Type a /metrics handler answers with.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus itself).
bool is_valid_label_name(std::string_view name);

// Formats a sample value the way Prometheus' own clients do: "+Inf", "-Inf", "NaN", otherwise
// the shortest text that reads back to the same double, in exponent form when the decimal
// exponent is below -4 or at least 6 ("0.005", "123456", "1e+06", "1e-08").
void append_value(std::string& out, double value);
std::string format_value(double value);

// Label values escape backslash, double quote and newline.
void append_escaped_label_value(std::string& out, std::string_view value);
// HELP text escapes backslash and newline.
void append_escaped_help(std::string& out, std::string_view help);

// Appends one sample line: name{n1="v1",...,extra_name="extra_value"} value\n. The extra label
// (used for a histogram's "le") is left out when extra_name is empty.
void append_sample(std::string& out, std::string_view name,
                   std::span<const std::string> label_names,
                   std::span<const std::string> label_values, std::string_view extra_name,
                   std::string_view extra_value, double value);

}  // namespace kube::metrics
