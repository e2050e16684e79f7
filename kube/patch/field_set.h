// Sets of field paths as server-side apply tracks ownership, and their FieldsV1 wire form
// (metadata.managedFields[].fieldsV1): "f:<field>", "k:{<key fields>}" for an element of a
// keyed list, "v:<value>" for an element of a set, "i:<index>", and "." for a path that is both
// owned and has owned children.
#pragma once

#include <compare>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"

namespace kube::patch {

// A scalar as it appears in a list key or set element, ordered as structured-merge-diff orders
// values: numbers (compared numerically), then strings, booleans, other JSON, null.
struct KeyValue {
  enum class Type : std::uint8_t { kNumber, kString, kBool, kComposite, kNull };
  Type type = Type::kNull;
  double number = 0;
  std::int64_t integer = 0;
  bool is_integer = false;
  bool boolean = false;
  std::string text;  // the string, or the JSON of a composite value
  std::string json;  // canonical JSON of the value

  static KeyValue from(const json::Value& value);
  // Go's %v of the value, strings quoted: how conflict paths print key values.
  std::string to_string() const;
};
std::strong_ordering operator<=>(const KeyValue& a, const KeyValue& b);
inline bool operator==(const KeyValue& a, const KeyValue& b) {
  return (a <=> b) == std::strong_ordering::equal;
}

struct PathElement {
  enum class Kind : std::uint8_t { kField, kKey, kValue, kIndex };  // in sort order
  Kind kind = Kind::kField;
  std::string field;                                  // kField
  std::vector<std::pair<std::string, KeyValue>> key;  // kKey, sorted by field name
  KeyValue value;                                     // kValue
  std::int64_t index = 0;                             // kIndex

  static PathElement of_field(std::string_view name);
  static PathElement of_index(std::int64_t i);
  static PathElement of_value(const json::Value& v);
  static PathElement of_key(std::vector<std::pair<std::string, KeyValue>> fields);

  // "f:spec", "k:{\"name\":\"app\"}", "v:\"a\"", "i:0"
  std::string serialize() const;
  // ".spec", "[name=\"app\"]", "[=\"a\"]", "[0]"
  std::string to_string() const;
};
std::strong_ordering operator<=>(const PathElement& a, const PathElement& b);
inline bool operator==(const PathElement& a, const PathElement& b) {
  return (a <=> b) == std::strong_ordering::equal;
}

using FieldPath = std::vector<PathElement>;
// ".spec.template.spec.containers[name=\"app\"].image"
std::string path_string(const FieldPath& path);

// A set of paths (structured-merge-diff's fieldpath.Set). Value type; not thread-safe.
class FieldSet {
 public:
  // Parses a fieldsV1 object. Errors are kInvalid with the offending element.
  static Result<FieldSet> from_fields_v1(const json::Value& fields);
  // The fieldsV1 object, entries in structured-merge-diff's order.
  json::Value to_fields_v1(json::Allocator& allocator) const;

  void insert(FieldPath path) { paths_.insert(std::move(path)); }
  bool contains(const FieldPath& path) const { return paths_.count(path) != 0; }
  // Whether some path of the set starts with `prefix` (or is it).
  bool has_prefix(const FieldPath& prefix) const;
  bool empty() const { return paths_.empty(); }
  std::size_t size() const { return paths_.size(); }
  const std::set<FieldPath>& paths() const { return paths_; }

  FieldSet union_with(const FieldSet& other) const;
  FieldSet intersection(const FieldSet& other) const;
  // Exact paths of `other` removed.
  FieldSet difference(const FieldSet& other) const;
  // Paths of `other` removed together with everything below them.
  FieldSet recursive_difference(const FieldSet& other) const;

  friend bool operator==(const FieldSet&, const FieldSet&) = default;

 private:
  std::set<FieldPath> paths_;
};

}  // namespace kube::patch
