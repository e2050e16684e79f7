#include "scheduler-extender/state/strings.h"

#include <cassert>

namespace berth::extender {

Id StringTable::intern(std::string_view s) {
  if (auto it = index_.find(s); it != index_.end()) {
    ++entries_[it->second].refs;
    return it->second;
  }
  Id id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    entries_[id].text.assign(s);
  } else {
    id = static_cast<Id>(entries_.size());
    assert(id != kNoId);
    entries_.push_back(Entry{std::string(s), 0});
  }
  Entry& e = entries_[id];
  e.refs = 1;
  index_.emplace(std::string_view(e.text), id);
  return id;
}

void StringTable::retain(Id id) {
  if (id == kNoId) return;
  assert(id < entries_.size() && entries_[id].refs > 0);
  ++entries_[id].refs;
}

void StringTable::release(Id id) {
  if (id == kNoId) return;
  assert(id < entries_.size() && entries_[id].refs > 0);
  Entry& e = entries_[id];
  if (--e.refs > 0) return;
  index_.erase(std::string_view(e.text));
  e.text.clear();
  e.text.shrink_to_fit();
  free_.push_back(id);
}

Id StringTable::find(std::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? kNoId : it->second;
}

std::string_view StringTable::str(Id id) const {
  if (id == kNoId || id >= entries_.size()) return {};
  return entries_[id].text;
}

std::size_t StringTable::memory_bytes() const {
  std::size_t bytes = entries_.size() * sizeof(Entry) + free_.capacity() * sizeof(Id) +
                      index_.bucket_count() * sizeof(void*) +
                      index_.size() * (sizeof(std::string_view) + sizeof(Id) + 2 * sizeof(void*));
  for (const Entry& e : entries_) {
    if (e.text.capacity() > 15) bytes += e.text.capacity() + 1;
  }
  return bytes;
}

}  // namespace berth::extender
