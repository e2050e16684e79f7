#include "scheduler-extender/state/name_index.h"

#include <cstring>

namespace berth::extender {

namespace {

bool same(std::string_view a, const char* data, std::uint32_t size) {
  return a.size() == size && std::memcmp(a.data(), data, size) == 0;
}

}  // namespace

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
      e = {h, name.data(), static_cast<std::uint32_t>(name.size()), slot};
      ++size_;
      return;
    }
    if (e.hash == h && same(name, e.data, e.size)) {
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
    if (e.hash == h && same(name, e.data, e.size)) return e.slot;
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
    if (e.hash == h && same(name, e.data, e.size)) break;
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
