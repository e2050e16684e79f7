// resource.Quantity: "100m", "1.5", "2Gi", "1e3", "500M". Stored exactly as milli-units in a
// 64-bit integer (enough for any realistic CPU, memory or extended resource).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kube {

class Quantity {
 public:
  Quantity() = default;
  static std::optional<Quantity> parse(std::string_view text);
  static Quantity from_milli(std::int64_t milli) { return Quantity(milli); }
  static Quantity from_units(std::int64_t units) { return Quantity(units * 1000); }

  std::int64_t milli() const { return milli_; }
  // Whole units, rounded up (as Value() does: 100m CPU -> 1).
  std::int64_t value() const;
  // Canonical form ("100m", "1Gi" is not restored: bytes print as plain integers or SI).
  std::string to_string() const;

  friend auto operator<=>(const Quantity&, const Quantity&) = default;
  Quantity operator+(Quantity o) const { return Quantity(milli_ + o.milli_); }
  Quantity operator-(Quantity o) const { return Quantity(milli_ - o.milli_); }
  Quantity& operator+=(Quantity o) {
    milli_ += o.milli_;
    return *this;
  }
  Quantity& operator-=(Quantity o) {
    milli_ -= o.milli_;
    return *this;
  }

 private:
  explicit Quantity(std::int64_t milli) : milli_(milli) {}
  std::int64_t milli_ = 0;
};

}  // namespace kube
