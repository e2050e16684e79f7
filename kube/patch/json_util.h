// Internal to kube/patch: length-aware member access and copies for the patch algorithms.
// (json::find compares keys only up to a NUL byte; patch keys are arbitrary JSON strings.)
#pragma once

#include <string>
#include <string_view>

#include "kube/core/json.h"

namespace kube::patch::internal {

const json::Value* member(const json::Value& object, std::string_view key);
json::Value* member(json::Value& object, std::string_view key);
// Removes `key` keeping the order of the other members; false when absent.
bool erase_member(json::Value& object, std::string_view key);
// Replaces the value in place, or appends the member.
void set_member(json::Value& object, std::string_view key, json::Value&& value,
                json::Allocator& allocator);

// Deep copy into `allocator` (strings always copied).
json::Value copy(const json::Value& value, json::Allocator& allocator);
// Deep copy that drops object members whose value is null, at any depth.
json::Value copy_without_nulls(const json::Value& value, json::Allocator& allocator);

// Equality of two scalars as Go's == on decoded JSON (numbers by value); false for objects and
// arrays.
bool scalar_equal(const json::Value& a, const json::Value& b);

// The Go type of a decoded JSON value ("map[string]interface {}", "[]interface {}", "string",
// "int64", "float64", "bool", "<nil>"), for messages that mirror the apiserver's.
std::string go_type_name(const json::Value* value);

// Nesting depth of a value (a scalar is 0, [] is 1), computed without recursion.
std::size_t depth_of(const json::Value& value);
// Approximate serialized size in bytes, computed without recursion.
std::size_t approximate_size(const json::Value& value);

// Go's %q of a string for the characters field names and keys hold (control bytes as \x..,
// bytes from 0x80 kept as they are).
std::string go_quote(std::string_view s);
// A string as a JSON string literal, escaped as json::dump escapes.
std::string json_quote(std::string_view s);

// Compact JSON of a value, shortened to `limit` bytes for error messages.
std::string describe(const json::Value& value, std::size_t limit = 200);

}  // namespace kube::patch::internal
