#include "scheduler-extender/state/anchor_index.h"

#include <algorithm>

namespace berth::extender {

void AnchorIndex::add(std::uint32_t item, const CompiledSelector& selector) {
  if (selector.is_nothing()) return;
  ++items_;
  const CompiledSelector::Requirement* anchor = selector.anchor();
  if (anchor == nullptr) {
    unanchored_.push_back(item);
  } else if (anchor->values.empty()) {
    by_key_[anchor->key].push_back(item);
  } else {
    for (Id v : anchor->values)
      by_pair_[pair_key(anchor->key, v)].push_back(item);
  }
}

void AnchorIndex::remove(std::uint32_t item, const CompiledSelector& selector) {
  if (selector.is_nothing()) return;
  --items_;
  const CompiledSelector::Requirement* anchor = selector.anchor();
  if (anchor == nullptr) {
    erase(unanchored_, item);
  } else if (anchor->values.empty()) {
    auto it = by_key_.find(anchor->key);
    if (it == by_key_.end()) return;
    erase(it->second, item);
    if (it->second.empty()) by_key_.erase(it);
  } else {
    for (Id v : anchor->values) {
      auto it = by_pair_.find(pair_key(anchor->key, v));
      if (it == by_pair_.end()) continue;
      erase(it->second, item);
      if (it->second.empty()) by_pair_.erase(it);
    }
  }
}

void AnchorIndex::erase(std::vector<std::uint32_t>& v, std::uint32_t item) {
  auto it = std::find(v.begin(), v.end(), item);
  if (it == v.end()) return;
  *it = v.back();
  v.pop_back();
}

}  // namespace berth::extender
