#include "scheduler-extender/state/records.h"

#include <algorithm>

namespace berth::extender {

namespace {

template <typename V, typename K>
auto find_sorted(V& v, K key) {
  return std::lower_bound(v.begin(), v.end(), key, [](const auto& e, K k) { return e.first < k; });
}

}  // namespace

std::int64_t ResourceVector::scalar_value(Id name) const {
  auto it = find_sorted(scalar, name);
  return it != scalar.end() && it->first == name ? it->second : 0;
}

void ResourceVector::add(const ResourceVector& other, std::int64_t sign) {
  milli_cpu += sign * other.milli_cpu;
  memory += sign * other.memory;
  ephemeral_storage += sign * other.ephemeral_storage;
  pods += sign * other.pods;
  for (const auto& [name, value] : other.scalar) {
    auto it = find_sorted(scalar, name);
    if (it != scalar.end() && it->first == name) {
      it->second += sign * value;
      if (it->second == 0) scalar.erase(it);
    } else {
      scalar.insert(it, {name, sign * value});
    }
  }
}

std::uint32_t NodeRecord::class_count(Id cls) const {
  auto it = find_sorted(classes, cls);
  return it != classes.end() && it->first == cls ? it->second : 0;
}

bool NodeRecord::has_image(Id image) const {
  auto it = find_sorted(images, image);
  return it != images.end() && it->first == image;
}

bool NamespaceFilter::matches(Id ns, std::span<const Label> ns_labels) const {
  if (all) return true;
  if (ns != kNoId && std::binary_search(names.begin(), names.end(), ns)) return true;
  return has_selector && selector.matches(ns_labels);
}

ViewKey ViewKey::make(std::vector<ViewClauseKey> clauses, std::vector<std::string> keys) {
  ViewKey k;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const ViewClauseKey& c : clauses) {
    k.signature += "(";
    if (c.all_namespaces) {
      k.signature += "*";
    } else {
      for (const std::string& n : c.namespaces) {
        k.signature += n;
        k.signature += ',';
      }
    }
    k.signature += "|";
    k.signature += c.selector.empty()
                       ? "<all>"
                       : (c.selector.requirements().empty() ? "<none>" : c.selector.to_string());
    k.signature += ")";
  }
  k.signature += "@";
  for (const std::string& key : keys) {
    k.signature += key;
    k.signature += ';';
  }
  k.clauses = std::move(clauses);
  k.keys = std::move(keys);
  return k;
}

bool CountView::empty() const {
  return std::all_of(counts.begin(), counts.end(), [](const CountMap& m) { return m.empty(); });
}

bool CountView::matches(Id ns, std::span<const Label> labels) const {
  for (const ViewClause& c : clauses) {
    if (!c.all_namespaces && !std::binary_search(c.namespaces.begin(), c.namespaces.end(), ns)) {
      return false;
    }
    if (!c.selector.matches(labels)) return false;
  }
  return true;
}

}  // namespace berth::extender
