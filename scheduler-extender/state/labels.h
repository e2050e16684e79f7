// Label sets and label selectors in two forms: strings, for the pod in a request (it is not in
// the cache, and its strings may be unknown to the cache), and interned ids, for everything
// the cache holds.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/api/selector.h"
#include "scheduler-extender/state/strings.h"

namespace berth::extender {

struct Label {
  Id key = kNoId;
  Id value = kNoId;
};

// Sorted by key, keys unique. Labels whose key the table does not know are dropped by
// lookup_labels(): a cached selector's keys are all interned, so such a label can match none.
using Labels = std::vector<Label>;

// The value of `key` in sorted `labels`, or kNoId when absent.
Id label_value(std::span<const Label> labels, Id key);

// Strings, sorted by key.
using StringLabels = std::vector<std::pair<std::string, std::string>>;
const std::string* find_label(const StringLabels& labels, std::string_view key);

// Interns every pair (one reference each) / releases them.
Labels intern_labels(const StringLabels& labels, StringTable& strings);
void release_labels(std::span<const Label> labels, StringTable& strings);
// Ids of known keys; values unknown to the table become kNoId. Sorted by key id.
Labels lookup_labels(const StringLabels& labels, const StringTable& strings);

// metav1.LabelSelector semantics (a nil selector matches nothing, {} everything), on strings.
bool selector_matches(const kube::LabelSelector& selector, const StringLabels& labels);

// A label selector over interned ids. Either every id holds a reference (interned(), for
// selectors the cache keeps: existing pods' terms and count views) or none does (lookup(), for
// one request under the cache's shared lock); a lookup() selector compiled from strings the
// table does not know uses kNoId, which correctly equals no cached label.
class CompiledSelector {
 public:
  struct Requirement {
    Id key = kNoId;
    kube::LabelRequirement::Op op = kube::LabelRequirement::Op::kExists;
    std::vector<Id> values;  // sorted, unique
  };

  CompiledSelector() = default;  // matches everything
  static CompiledSelector nothing();
  static CompiledSelector interned(const kube::LabelSelector& selector, StringTable& strings);
  static CompiledSelector lookup(const kube::LabelSelector& selector, const StringTable& strings);
  // Drops the references of an interned() selector.
  void release(StringTable& strings) const;

  bool matches(std::span<const Label> labels) const;
  bool is_nothing() const { return nothing_; }
  const std::vector<Requirement>& requirements() const { return requirements_; }

  // The most selective requirement to index this selector by: an Equals/In requirement
  // (the key and its values), else an Exists one (key, no values). nullptr when the selector
  // has neither (NotIn/DoesNotExist only, or everything) and must be checked against every pod.
  const Requirement* anchor() const;

 private:
  template <typename Map>
  static CompiledSelector compile(const kube::LabelSelector& selector, Map&& map);

  std::vector<Requirement> requirements_;
  bool nothing_ = false;
};

}  // namespace berth::extender
