#include "scheduler-extender/state/name_index.h"

#include <algorithm>
#include <cstring>

namespace berth::extender {

bool NameIndex::Entry::matches(std::uint64_t h, std::string_view s) const {
  if (hash != h || s.size() != size) return false;
  return s.size() <= kInline ? std::memcmp(s.data(), name, s.size()) == 0
                             : std::memcmp(s.data(), data, s.size()) == 0;
}

void NameIndex::grow() {
  std::vector<Entry> old = std::move(entries_);
  entries_.assign(old.empty() ? 64 : old.size() * 2, Entry{});
  size_ = 0;
  for (const Entry& e : old) {
    if (e.data != nullptr) insert(std::string_view(e.data, e.size), e.slot);
  }
}

void NameIndex::insert(std::string_view name, std::uint32_t slot) {
  // At most half full: short probe sequences.
  if ((size_ + 1) * 2 > entries_.size()) grow();
  std::uint64_t h = hash_of(name);
  std::size_t mask = entries_.size() - 1;
  for (std::size_t i = home(h);; i = (i + 1) & mask) {
    Entry& e = entries_[i];
    if (e.data == nullptr) {
      e.hash = h;
      e.data = name.data();
      e.size = static_cast<std::uint32_t>(name.size());
      e.slot = slot;
      std::memcpy(e.name, name.data(), std::min(name.size(), kInline));
      ++size_;
      return;
    }
    if (e.matches(h, name)) {
      e.slot = slot;
      e.data = name.data();
      return;
    }
  }
}

std::uint32_t NameIndex::find(std::string_view name) const {
  if (entries_.empty()) return kMissing;
  std::uint64_t h = hash_of(name);
  std::size_t mask = entries_.size() - 1;
  for (std::size_t i = home(h);; i = (i + 1) & mask) {
    const Entry& e = entries_[i];
    if (e.data == nullptr) return kMissing;
    if (e.matches(h, name)) return e.slot;
  }
}

void NameIndex::erase(std::string_view name) {
  if (entries_.empty()) return;
  std::uint64_t h = hash_of(name);
  std::size_t mask = entries_.size() - 1;
  std::size_t i = home(h);
  while (true) {
    const Entry& e = entries_[i];
    if (e.data == nullptr) return;
    if (e.matches(h, name)) break;
    i = (i + 1) & mask;
  }
  // Backward-shift deletion keeps every probe sequence unbroken without tombstones.
  std::size_t hole = i;
  for (std::size_t j = (i + 1) & mask; entries_[j].data != nullptr; j = (j + 1) & mask) {
    std::size_t want = home(entries_[j].hash);
    bool movable = hole <= j ? (want <= hole || want > j) : (want <= hole && want > j);
    if (movable) {
      entries_[hole] = entries_[j];
      hole = j;
    }
  }
  entries_[hole] = Entry{};
  --size_;
}

}  // namespace berth::extender
