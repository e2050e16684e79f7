#include "controllers/rollout/duration.h"

#include <cmath>
#include <cstdint>

namespace berth::rollout {
namespace {

constexpr double kMaxMillis = 1e6 * 3600.0 * 1000.0;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : text)
    all_digits = all_digits && is_digit(c);
  if (all_digits) {
    if (text.size() > 10) return std::nullopt;
    std::int64_t seconds = 0;
    for (char c : text)
      seconds = seconds * 10 + (c - '0');
    if (static_cast<double>(seconds) * 1000.0 > kMaxMillis) return std::nullopt;
    return std::chrono::milliseconds(seconds * 1000);
  }
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    // <digits>[.<digits>]
    std::size_t start = i;
    double value = 0;
    while (i < text.size() && is_digit(text[i]))
      value = value * 10 + (text[i++] - '0');
    bool whole_digits = i > start;
    if (i < text.size() && text[i] == '.') {
      ++i;
      double scale = 0.1;
      std::size_t frac_start = i;
      while (i < text.size() && is_digit(text[i])) {
        value += (text[i++] - '0') * scale;
        scale /= 10;
      }
      if (!whole_digits && i == frac_start) return std::nullopt;
    } else if (!whole_digits) {
      return std::nullopt;
    }
    double unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit = 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit = 60'000;
      ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit = 3'600'000;
      ++i;
    } else {
      return std::nullopt;
    }
    total += value * unit;
    if (total > kMaxMillis) return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total)));
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t ms = d.count();
  if (ms < 0) return "-" + format_duration(-d);
  if (ms == 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::int64_t hours = ms / 3'600'000;
  std::int64_t minutes = (ms / 60'000) % 60;
  std::int64_t seconds = (ms / 1000) % 60;
  std::int64_t millis = ms % 1000;
  std::string out;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += std::to_string(seconds);
  if (millis > 0) {
    std::string frac = std::to_string(millis + 1000).substr(1);
    while (!frac.empty() && frac.back() == '0')
      frac.pop_back();
    out += "." + frac;
  }
  out += "s";
  return out;
}

}  // namespace berth::rollout
