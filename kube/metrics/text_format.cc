#include "kube/metrics/text_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace kube::metrics {
namespace {

bool is_name_start(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool is_name_char(char c, bool allow_colon) {
  return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
}

bool is_valid_name(std::string_view name, bool allow_colon) {
  if (name.empty() || !is_name_start(name[0], allow_colon)) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [allow_colon](char c) { return is_name_char(c, allow_colon); });
}

}  // namespace

bool is_valid_metric_name(std::string_view name) {
  return is_valid_name(name, /*allow_colon=*/true);
}

bool is_valid_label_name(std::string_view name) {
  return is_valid_name(name, /*allow_colon=*/false) && !name.starts_with("__");
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Shortest round-trip digits first, in exponent form, to learn the decimal exponent; the
  // choice between the two forms then follows the rule Prometheus' clients use, so Berth's
  // output reads like every other exporter's.
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string_view text(buf, static_cast<std::size_t>(sci.ptr - buf));
  const char* e = text.data() + text.find('e') + 1;
  if (*e == '+') ++e;  // from_chars takes a leading '-' but not '+'
  int exponent = 0;
  std::from_chars(e, sci.ptr, exponent);
  if (exponent < -4 || exponent >= 6) {
    out += text;
    return;
  }
  auto fixed = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  out.append(buf, static_cast<std::size_t>(fixed.ptr - buf));
}

std::string format_value(double value) {
  std::string out;
  append_value(out, value);
  return out;
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_sample(std::string& out, std::string_view name,
                   std::span<const std::string> label_names,
                   std::span<const std::string> label_values, std::string_view extra_name,
                   std::string_view extra_value, double value) {
  out += name;
  if (!label_names.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    for (std::size_t i = 0; i < label_names.size(); ++i) {
      if (!first) out += ',';
      first = false;
      out += label_names[i];
      out += "=\"";
      append_escaped_label_value(out, label_values[i]);
      out += '"';
    }
    if (!extra_name.empty()) {
      if (!first) out += ',';
      out += extra_name;
      out += "=\"";
      append_escaped_label_value(out, extra_value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}

}  // namespace kube::metrics
