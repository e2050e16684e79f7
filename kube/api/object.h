// Object: an immutable Kubernetes object (any kind) as JSON, shared cheaply between caches,
// handlers and threads. Change one by taking a mutable copy(), editing it, and building a new
// Object from it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kube/core/json.h"
#include "kube/core/result.h"

namespace kube {

class Object {
 public:
  Object() = default;  // a null object; operator bool is false

  // Parses untrusted JSON; the result is stored compactly (one right-sized memory block).
  static Result<Object> parse(std::string_view text, const json::ParseOptions& options = {});
  // Deep-copies `value` compactly.
  static Object from(const json::Value& value);
  // Takes ownership of a document without copying (its allocator may hold slack).
  static Object adopt(json::Document&& document);

  explicit operator bool() const { return storage_ != nullptr; }
  const json::Value& json() const;

  std::string_view api_version() const;
  std::string_view kind() const;
  std::string_view name() const;
  std::string_view generate_name() const;
  std::string_view namespace_() const;
  std::string_view uid() const;
  std::string_view resource_version() const;
  std::int64_t generation() const;
  std::string_view creation_timestamp() const;
  bool being_deleted() const;  // metadata.deletionTimestamp is set

  const json::Value* metadata() const;
  const json::Value* spec() const;
  const json::Value* status() const;
  const json::Value* labels() const;       // nullptr when absent
  const json::Value* annotations() const;  // nullptr when absent
  std::optional<std::string_view> label(std::string_view key) const;
  std::optional<std::string_view> annotation(std::string_view key) const;
  bool has_finalizer(std::string_view finalizer) const;
  // The ownerReference with controller: true, if any: its uid.
  std::string_view controller_uid() const;

  // "namespace/name", or "name" for cluster-scoped objects: the informer and work queue key.
  std::string key() const;

  // A mutable deep copy.
  json::Document copy() const;
  std::string dump() const;
  // Heap bytes held by this object's JSON (for memory accounting in caches and benchmarks).
  std::size_t memory_bytes() const;

  // Same underlying storage (not structural equality).
  bool same(const Object& other) const { return storage_ == other.storage_; }

 private:
  struct Storage;
  explicit Object(std::shared_ptr<const Storage> storage) : storage_(std::move(storage)) {}
  std::shared_ptr<const Storage> storage_;
};

// "namespace/name" or "name"; the inverse is split_key.
std::string make_key(std::string_view namespace_, std::string_view name);
struct KeyParts {
  std::string_view namespace_;
  std::string_view name;
};
KeyParts split_key(std::string_view key);

}  // namespace kube
