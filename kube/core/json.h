// JSON on RapidJSON: bounded parsing of untrusted input, compact serialization and small
// lookup/mutation helpers. Every network parser in Berth goes through parse().
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "kube/core/result.h"

namespace kube::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Allocator = rapidjson::Document::AllocatorType;

struct ParseOptions {
  // Deeper input is rejected before the parser sees it. Kubernetes objects nest < 40 levels;
  // serializing and destroying a value recurse, so the bound also protects those paths.
  std::size_t max_depth = 256;
  // 0 = unlimited. Servers apply their own request limit first; this guards library callers.
  std::size_t max_bytes = 0;
};

// Parses untrusted text without recursion (iterative parser). Errors are kParse with the
// offset and RapidJSON's message.
Result<Document> parse(std::string_view text, const ParseOptions& options = {});

// Largest nesting depth of arrays/objects in text, scanning at most until `limit` is exceeded
// (returns limit + 1 then). Ignores brackets inside strings. O(n), no allocation.
std::size_t nesting_depth(std::string_view text, std::size_t limit);

// Compact serialization. Non-ASCII is kept as UTF-8; '<', '>' and '&' are escaped as
// \u003c, \u003e, \u0026 like Go's encoding/json (what the apiserver emits).
std::string dump(const Value& value);
void dump_to(const Value& value, std::string& out);

// Lookups: nullptr / fallback when the key is absent or the node has another type.
const Value* find(const Value& object, std::string_view key);
Value* find(Value& object, std::string_view key);
const Value* find_path(const Value& root, std::initializer_list<std::string_view> path);
std::string_view get_string(const Value& object, std::string_view key,
                            std::string_view fallback = {});
std::int64_t get_int(const Value& object, std::string_view key, std::int64_t fallback = 0);
bool get_bool(const Value& object, std::string_view key, bool fallback = false);
inline std::string_view as_string(const Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view();
}

// Mutation helpers. Strings are always copied into `a`.
Value make_string(std::string_view s, Allocator& a);
// Sets object[key] = value (replacing an existing member). Returns the stored value.
Value& set(Value& object, std::string_view key, Value value, Allocator& a);
Value& set_string(Value& object, std::string_view key, std::string_view s, Allocator& a);
// object[key], created as {} when absent or not an object.
Value& ensure_object(Value& object, std::string_view key, Allocator& a);
// object[key], created as [] when absent or not an array.
Value& ensure_array(Value& object, std::string_view key, Allocator& a);
bool remove(Value& object, std::string_view key);

// Deep copy into a new document.
Document copy(const Value& value);

// Structural equality (object member order ignored, numbers compared by value).
bool equal(const Value& a, const Value& b);

}  // namespace kube::json
