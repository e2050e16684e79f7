// AnchorIndex: finds the selectors (of count views or term groups) that may match a pod's
// labels without testing every selector: each selector is filed under its most selective
// requirement (CompiledSelector::anchor()), and a pod looks up only its own labels.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "scheduler-extender/state/labels.h"

namespace berth::extender {

class AnchorIndex {
 public:
  // Files `item` under `selector`'s anchor. A selector that matches nothing is not filed.
  void add(std::uint32_t item, const CompiledSelector& selector);
  void remove(std::uint32_t item, const CompiledSelector& selector);

  // Calls f(item) once for every filed item whose anchor `labels` satisfy, and for every item
  // without an anchor. Items must still be checked against their full selector.
  template <typename F>
  void for_each_candidate(std::span<const Label> labels, F&& f) const {
    for (std::uint32_t item : unanchored_)
      f(item);
    if (by_pair_.empty() && by_key_.empty()) return;
    for (const Label& l : labels) {
      if (!by_pair_.empty()) {
        if (auto it = by_pair_.find(pair_key(l.key, l.value)); it != by_pair_.end()) {
          for (std::uint32_t item : it->second)
            f(item);
        }
      }
      if (!by_key_.empty()) {
        if (auto it = by_key_.find(l.key); it != by_key_.end()) {
          for (std::uint32_t item : it->second)
            f(item);
        }
      }
    }
  }

  std::size_t size() const { return items_; }

  static std::uint64_t pair_key(Id key, Id value) {
    return (static_cast<std::uint64_t>(key) << 32) | value;
  }

 private:
  static void erase(std::vector<std::uint32_t>& v, std::uint32_t item);

  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_pair_;
  std::unordered_map<Id, std::vector<std::uint32_t>> by_key_;
  std::vector<std::uint32_t> unanchored_;
  std::size_t items_ = 0;
};

}  // namespace berth::extender
