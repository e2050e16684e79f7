#include "scheduler-extender/state/labels.h"

#include <algorithm>

namespace berth::extender {

using Op = kube::LabelRequirement::Op;

Id label_value(std::span<const Label> labels, Id key) {
  auto it = std::lower_bound(labels.begin(), labels.end(), key,
                             [](const Label& l, Id k) { return l.key < k; });
  return it != labels.end() && it->key == key ? it->value : kNoId;
}

const std::string* find_label(const StringLabels& labels, std::string_view key) {
  auto it = std::lower_bound(labels.begin(), labels.end(), key,
                             [](const auto& l, std::string_view k) { return l.first < k; });
  return it != labels.end() && it->first == key ? &it->second : nullptr;
}

namespace {

void sort_labels(Labels& labels) {
  std::sort(labels.begin(), labels.end(),
            [](const Label& a, const Label& b) { return a.key < b.key; });
}

bool requirement_matches_string(const kube::LabelRequirement& r, const StringLabels& labels) {
  const std::string* value = find_label(labels, r.key);
  auto in_values = [&] {
    return value != nullptr && std::binary_search(r.values.begin(), r.values.end(), *value);
  };
  switch (r.op) {
    case Op::kEquals:
    case Op::kIn:
      return in_values();
    case Op::kNotEquals:
    case Op::kNotIn:
      return !in_values();
    case Op::kExists:
      return value != nullptr;
    case Op::kDoesNotExist:
      return value == nullptr;
    case Op::kGreaterThan:
    case Op::kLessThan:
      // Only the string selector syntax has these; API label selectors cannot express them.
      return false;
  }
  return false;
}

}  // namespace

Labels intern_labels(const StringLabels& labels, StringTable& strings) {
  Labels out;
  out.reserve(labels.size());
  for (const auto& [k, v] : labels)
    out.push_back({strings.intern(k), strings.intern(v)});
  sort_labels(out);
  return out;
}

void release_labels(std::span<const Label> labels, StringTable& strings) {
  for (const Label& l : labels) {
    strings.release(l.key);
    strings.release(l.value);
  }
}

Labels lookup_labels(const StringLabels& labels, const StringTable& strings) {
  Labels out;
  out.reserve(labels.size());
  for (const auto& [k, v] : labels) {
    Id key = strings.find(k);
    if (key != kNoId) out.push_back({key, strings.find(v)});
  }
  sort_labels(out);
  return out;
}

bool selector_matches(const kube::LabelSelector& selector, const StringLabels& labels) {
  if (!selector.empty() && selector.requirements().empty()) return false;  // nothing()
  return std::all_of(
      selector.requirements().begin(), selector.requirements().end(),
      [&](const kube::LabelRequirement& r) { return requirement_matches_string(r, labels); });
}

CompiledSelector CompiledSelector::nothing() {
  CompiledSelector s;
  s.nothing_ = true;
  return s;
}

template <typename Map>
CompiledSelector CompiledSelector::compile(const kube::LabelSelector& selector, Map&& map) {
  if (!selector.empty() && selector.requirements().empty()) return nothing();
  CompiledSelector s;
  s.requirements_.reserve(selector.requirements().size());
  for (const kube::LabelRequirement& r : selector.requirements()) {
    Requirement c;
    c.key = map(r.key);
    c.op = r.op;
    // Distinct strings map to distinct interned ids, so deduplicating the strings first keeps
    // exactly one reference per stored id; only kNoId (several unknown strings) can repeat.
    std::vector<std::string> distinct = r.values;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    c.values.reserve(distinct.size());
    for (const std::string& v : distinct)
      c.values.push_back(map(v));
    std::sort(c.values.begin(), c.values.end());
    c.values.erase(std::unique(c.values.begin(), c.values.end()), c.values.end());
    s.requirements_.push_back(std::move(c));
  }
  return s;
}

CompiledSelector CompiledSelector::interned(const kube::LabelSelector& selector,
                                            StringTable& strings) {
  return compile(selector, [&](const std::string& s) { return strings.intern(s); });
}

CompiledSelector CompiledSelector::lookup(const kube::LabelSelector& selector,
                                          const StringTable& strings) {
  return compile(selector, [&](const std::string& s) { return strings.find(s); });
}

void CompiledSelector::release(StringTable& strings) const {
  for (const Requirement& r : requirements_) {
    strings.release(r.key);
    for (Id v : r.values)
      strings.release(v);
  }
}

bool CompiledSelector::matches(std::span<const Label> labels) const {
  if (nothing_) return false;
  for (const Requirement& r : requirements_) {
    Id value = label_value(labels, r.key);
    bool present = value != kNoId;
    bool in = present && std::binary_search(r.values.begin(), r.values.end(), value);
    bool ok = false;
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        ok = in;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        ok = !in;
        break;
      case Op::kExists:
        ok = present;
        break;
      case Op::kDoesNotExist:
        ok = !present;
        break;
      case Op::kGreaterThan:
      case Op::kLessThan:
        ok = false;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

const CompiledSelector::Requirement* CompiledSelector::anchor() const {
  if (nothing_) return nullptr;
  const Requirement* exists = nullptr;
  for (const Requirement& r : requirements_) {
    if ((r.op == Op::kEquals || r.op == Op::kIn) && !r.values.empty()) return &r;
    if (r.op == Op::kExists && exists == nullptr) exists = &r;
  }
  return exists;
}

}  // namespace berth::extender
