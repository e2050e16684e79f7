// CountMap: counts per topology value (an interned label value), kept without zero entries so
// that "no pod anywhere" is `empty()`.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "scheduler-extender/state/strings.h"

namespace berth::extender {

class CountMap {
 public:
  void add(Id value, std::int64_t delta) {
    if (delta == 0) return;
    auto [it, inserted] = counts_.try_emplace(value, 0);
    it->second += delta;
    if (it->second == 0) counts_.erase(it);
  }
  std::int64_t get(Id value) const {
    if (value == kNoId) return 0;
    auto it = counts_.find(value);
    return it == counts_.end() ? 0 : it->second;
  }
  bool empty() const { return counts_.empty(); }
  std::size_t size() const { return counts_.size(); }
  auto begin() const { return counts_.begin(); }
  auto end() const { return counts_.end(); }

 private:
  std::unordered_map<Id, std::int64_t> counts_;
};

}  // namespace berth::extender
