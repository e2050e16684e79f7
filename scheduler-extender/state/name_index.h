// NameIndex: name -> slot, open addressing with the full hash stored inline, so a lookup of a
// candidate node costs one probe into a flat array and one string compare (the scheduler sends
// up to thousands of names per call, twice per pod).
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
  struct Entry {
    std::uint64_t hash = 0;
    const char* data = nullptr;  // nullptr: empty
    std::uint32_t size = 0;
    std::uint32_t slot = kMissing;
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
