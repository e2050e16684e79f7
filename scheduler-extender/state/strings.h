// StringTable: interning of the strings the extender compares millions of times per second
// (label keys and values, namespaces, node names, topology values, images), so that hot loops
// compare 32-bit ids instead of strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace berth::extender {

using Id = std::uint32_t;
// "No such string". Never handed out by intern(), so a lookup of a string nobody interned can
// stand in for it in comparisons: it equals no stored id.
inline constexpr Id kNoId = std::numeric_limits<Id>::max();

// Reference-counted: a string is freed (and its id reused) when its last holder releases it,
// so churn of unique label values (Job controller-uids, pod-template-hashes) does not grow the
// table for the life of the process.
//
// Not thread-safe. ClusterState guards its table with its reader/writer lock: find() and str()
// under the shared lock, intern()/retain()/release() under the exclusive lock.
// Hash for unordered containers keyed by std::string that are looked up by string_view
// without building a std::string (with std::equal_to<>).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class StringTable {
 public:
  StringTable() = default;
  StringTable(const StringTable&) = delete;
  StringTable& operator=(const StringTable&) = delete;

  // The id of `s`, adding one reference (creating the entry at one reference if needed).
  Id intern(std::string_view s);
  // One more / one fewer reference to a live id. Releasing kNoId is a no-op.
  void retain(Id id);
  void release(Id id);
  // The id of `s` without taking a reference, or kNoId.
  Id find(std::string_view s) const;
  // The text of a live id (valid until its last release); "" for kNoId.
  std::string_view str(Id id) const;

  std::size_t size() const { return index_.size(); }
  std::uint32_t refs(Id id) const { return id < entries_.size() ? entries_[id].refs : 0; }
  // Approximate heap bytes held (entries, text, index), for memory accounting.
  std::size_t memory_bytes() const;

 private:
  struct Entry {
    std::string text;
    std::uint32_t refs = 0;
  };
  // A deque keeps entries in place as it grows, so the index's string_views stay valid.
  std::deque<Entry> entries_;
  std::vector<Id> free_;
  std::unordered_map<std::string_view, Id> index_;
};

}  // namespace berth::extender
