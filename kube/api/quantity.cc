#include "kube/api/quantity.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <vector>

namespace kube {
namespace {

// Longer input is not a quantity anyone writes; the bound keeps the arithmetic below cheap.
constexpr std::size_t kMaxQuantityLength = 128;
// Beyond these decimal exponents a non-zero value is out of range or below one milli-unit
// whatever its digits (the digits are bounded by kMaxQuantityLength).
constexpr std::int64_t kMaxExponent = 400;

// Non-negative arbitrary-precision integer, little-endian base 2^32: only the operations exact
// rounding of "<digits> * base^exp" to milli-units needs.
class BigUint {
 public:
  void multiply_add(std::uint32_t factor, std::uint32_t addend) {
    std::uint64_t carry = addend;
    for (auto& limb : limbs_) {
      std::uint64_t v = static_cast<std::uint64_t>(limb) * factor + carry;
      limb = static_cast<std::uint32_t>(v);
      carry = v >> 32;
    }
    if (carry != 0) limbs_.push_back(static_cast<std::uint32_t>(carry));
  }
  // Returns whether the remainder was non-zero.
  bool divide(std::uint32_t divisor) {
    std::uint64_t rem = 0;
    for (auto it = limbs_.rbegin(); it != limbs_.rend(); ++it) {
      std::uint64_t cur = (rem << 32) | *it;
      *it = static_cast<std::uint32_t>(cur / divisor);
      rem = cur % divisor;
    }
    trim();
    return rem != 0;
  }
  bool zero() const { return limbs_.empty(); }
  std::size_t bits() const { return limbs_.size() * 32; }
  std::optional<std::int64_t> to_int64() const {
    if (limbs_.size() > 2) return std::nullopt;
    std::uint64_t v = 0;
    if (!limbs_.empty()) v = limbs_[0];
    if (limbs_.size() == 2) v |= static_cast<std::uint64_t>(limbs_[1]) << 32;
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }

 private:
  void trim() {
    while (!limbs_.empty() && limbs_.back() == 0)
      limbs_.pop_back();
  }
  std::vector<std::uint32_t> limbs_;
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

struct Pieces {
  bool positive = true;
  std::string_view num;    // integer digits, leading zeros stripped
  std::string_view denom;  // fraction digits
  std::string_view suffix;
};

// The apiserver's scanner: [+-] digits [. digits] then a suffix made of the letters
// "eEinumkKMGTP", an optional sign and digits (checked for meaning later). "1." and ".5" are
// numbers; a lone sign or "." reads as zero, as on the apiserver.
std::optional<Pieces> split_quantity(std::string_view s) {
  Pieces p;
  std::size_t pos = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    p.positive = s[0] != '-';
    ++pos;
  }
  while (pos < s.size() && s[pos] == '0')
    ++pos;
  std::size_t num_start = pos;
  while (pos < s.size() && is_digit(s[pos]))
    ++pos;
  p.num = s.substr(num_start, pos - num_start);
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t denom_start = pos;
    while (pos < s.size() && is_digit(s[pos]))
      ++pos;
    p.denom = s.substr(denom_start, pos - denom_start);
  }
  std::size_t suffix_start = pos;
  while (pos < s.size() && std::string_view("eEinumkKMGTP").find(s[pos]) != s.npos)
    ++pos;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < s.size() && is_digit(s[pos]))
    ++pos;
  if (pos != s.size()) return std::nullopt;
  p.suffix = s.substr(suffix_start);
  return p;
}

struct Scale {
  int base = 10;
  std::int64_t exponent = 0;
};

std::optional<Scale> interpret_suffix(std::string_view suffix) {
  static constexpr std::pair<std::string_view, Scale> kSuffixes[] = {
      {"", {10, 0}},   {"n", {10, -9}}, {"u", {10, -6}}, {"m", {10, -3}},
      {"k", {10, 3}},  {"M", {10, 6}},  {"G", {10, 9}},  {"T", {10, 12}},
      {"P", {10, 15}}, {"E", {10, 18}}, {"Ki", {2, 10}}, {"Mi", {2, 20}},
      {"Gi", {2, 30}}, {"Ti", {2, 40}}, {"Pi", {2, 50}}, {"Ei", {2, 60}},
  };
  for (const auto& [text, scale] : kSuffixes) {
    if (text == suffix) return scale;
  }
  if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view digits = suffix.substr(1);
    bool negative = false;
    if (digits[0] == '+' || digits[0] == '-') {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    std::int64_t e = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), e);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    return Scale{10, negative ? -e : e};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Quantity> Quantity::parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxQuantityLength) return std::nullopt;
  auto pieces = split_quantity(text);
  if (!pieces) return std::nullopt;
  auto scale = interpret_suffix(pieces->suffix);
  if (!scale) return std::nullopt;

  // value = digits * 10^-len(denom) * base^exponent; in milli-units one more factor 10^3.
  BigUint n;
  for (char c : pieces->num)
    n.multiply_add(10, static_cast<std::uint32_t>(c - '0'));
  for (char c : pieces->denom)
    n.multiply_add(10, static_cast<std::uint32_t>(c - '0'));
  if (n.zero()) return Quantity(0);
  std::int64_t decimal_exponent = 3 - static_cast<std::int64_t>(pieces->denom.size());
  if (scale->base == 10) {
    if (scale->exponent > kMaxExponent) return std::nullopt;
    if (scale->exponent < -kMaxExponent) {
      // Far below a milli-unit: the apiserver rounds any non-zero request up, never to zero.
      return Quantity(pieces->positive ? 1 : -1);
    }
    decimal_exponent += scale->exponent;
  } else {
    for (std::int64_t i = 0; i < scale->exponent; ++i)
      n.multiply_add(2, 0);
  }
  bool inexact = false;
  for (; decimal_exponent > 0; --decimal_exponent) {
    n.multiply_add(10, 0);
    if (n.bits() > 128) return std::nullopt;
  }
  for (; decimal_exponent < 0; ++decimal_exponent)
    inexact |= n.divide(10);
  auto magnitude = n.to_int64();
  if (!magnitude) return std::nullopt;
  std::int64_t milli = *magnitude;
  if (inexact) {
    if (milli == INT64_MAX) return std::nullopt;
    ++milli;
  }
  return Quantity(pieces->positive ? milli : -milli);
}

std::int64_t Quantity::value() const {
  std::int64_t units = milli_ / 1000;
  if (milli_ % 1000 > 0) ++units;
  if (milli_ % 1000 < 0) --units;
  return units;
}

std::string Quantity::to_string() const {
  if (milli_ == 0) return "0";
  if (milli_ % 1000 != 0) return std::to_string(milli_) + "m";
  std::int64_t units = milli_ / 1000;
  static constexpr std::string_view kSuffixes[] = {"", "k", "M", "G", "T", "P", "E"};
  std::size_t power = 0;
  while (power + 1 < std::size(kSuffixes) && units % 1000 == 0) {
    units /= 1000;
    ++power;
  }
  return std::to_string(units) + std::string(kSuffixes[power]);
}

}  // namespace kube
