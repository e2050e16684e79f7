// NameIndex: name -> slot, open addressing with the full hash and (up to 40 bytes) the name
// itself stored inline, so looking up a candidate node usually touches one cache line (the
// scheduler sends up to thousands of names per call, twice per pod).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace berth::extender {

class NameIndex {
 public:
  static constexpr std::uint32_t kMissing = UINT32_MAX;

  // `name` must stay valid (and unchanged) until erased.
  void insert(std::string_view name, std::uint32_t slot);
  void erase(std::string_view name);
  std::uint32_t find(std::string_view name) const;
  std::size_t size() const { return size_; }

 private:
  static constexpr std::size_t kInline = 40;
  struct alignas(64) Entry {
    std::uint64_t hash = 0;
    const char* data = nullptr;  // nullptr: empty; the name (compared when longer than kInline)
    std::uint32_t size = 0;
    std::uint32_t slot = kMissing;
    char name[kInline] = {};  // the first kInline bytes of the name

    bool matches(std::uint64_t h, std::string_view s) const;
  };
  static std::uint64_t hash_of(std::string_view s) { return std::hash<std::string_view>{}(s); }
  std::size_t home(std::uint64_t h) const {
    return static_cast<std::size_t>(h) & (entries_.size() - 1);
  }
  void grow();

  std::vector<Entry> entries_;
  std::size_t size_ = 0;
};

}  // namespace berth::extender
