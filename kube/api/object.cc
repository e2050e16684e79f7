#include "kube/api/object.h"

#include <array>

namespace kube {

// Either a right-sized pool that the document allocates from (parse, from) or a document that
// owns its allocator (adopt). The pool is declared first so it outlives the document.
struct Object::Storage {
  explicit Storage(std::size_t capacity)
      : pool(std::make_unique<json::Allocator>(capacity)), document(pool.get()) {}
  explicit Storage(json::Document&& d) : document(std::move(d)) {}
  std::unique_ptr<json::Allocator> pool;
  json::Document document;
};

namespace {

const json::Value& null_value() {
  static const json::Value kNull;
  return kNull;
}

// Parsing first lands in a per-thread scratch pool; the object then gets an exact-size copy.
// This keeps a cached object near the size of its data instead of a 64 KiB pool chunk.
constexpr std::size_t kScratchBytes = 64 * 1024;

json::Allocator& scratch_allocator() {
  alignas(8) thread_local std::array<char, kScratchBytes> buffer;
  thread_local json::Allocator allocator(buffer.data(), buffer.size());
  return allocator;
}

}  // namespace

Result<Object> Object::parse(std::string_view text, const json::ParseOptions& options) {
  if (options.max_bytes != 0 && text.size() > options.max_bytes) {
    return json::parse(text, options).error();
  }
  if (json::nesting_depth(text, options.max_depth) > options.max_depth) {
    return json::parse(text, options).error();
  }
  json::Allocator& scratch = scratch_allocator();
  Object result;
  {
    json::Document doc(&scratch);
    doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (doc.HasParseError()) {
      scratch.Clear();
      return json::parse(text, options).error();  // same message as json::parse
    }
    result = from(doc);
  }
  scratch.Clear();
  return result;
}

namespace {

constexpr std::size_t align8(std::size_t n) {
  return (n + 7) & ~std::size_t{7};
}

// Bytes a deep copy of `v` takes from a RapidJSON 1.1 MemoryPoolAllocator: copies allocate
// member and element arrays exactly, and strings longer than the inline short-string buffer
// (13 chars with 48-bit pointers) as len + 1. Walking is much cheaper than a trial copy.
std::size_t copy_size(const json::Value& v) {
  constexpr std::size_t kShortStringMax = 13;
  switch (v.GetType()) {
    case rapidjson::kStringType:
      return v.GetStringLength() > kShortStringMax ? align8(v.GetStringLength() + 1) : 0;
    case rapidjson::kArrayType: {
      std::size_t n = align8(v.Size() * sizeof(json::Value));
      for (const auto& e : v.GetArray())
        n += copy_size(e);
      return n;
    }
    case rapidjson::kObjectType: {
      std::size_t n = align8(v.MemberCount() * sizeof(json::Value::Member));
      for (const auto& m : v.GetObject())
        n += copy_size(m.name) + copy_size(m.value);
      return n;
    }
    default:
      return 0;
  }
}

}  // namespace

Object Object::from(const json::Value& value) {
  // One chunk big enough for the whole copy, so the object holds no pool slack.
  auto storage = std::make_shared<Storage>(copy_size(value) + 64);
  storage->document.CopyFrom(value, *storage->pool);
  return Object(std::move(storage));
}

Object Object::adopt(json::Document&& document) {
  return Object(std::make_shared<const Storage>(std::move(document)));
}

const json::Value& Object::json() const {
  return storage_ ? storage_->document : null_value();
}

const json::Value* Object::metadata() const {
  return json::find(json(), "metadata");
}
const json::Value* Object::spec() const {
  return json::find(json(), "spec");
}
const json::Value* Object::status() const {
  return json::find(json(), "status");
}

std::string_view Object::api_version() const {
  return json::get_string(json(), "apiVersion");
}
std::string_view Object::kind() const {
  return json::get_string(json(), "kind");
}

namespace {
std::string_view meta_string(const json::Value* metadata, std::string_view key) {
  return metadata != nullptr ? json::get_string(*metadata, key) : std::string_view();
}
}  // namespace

std::string_view Object::name() const {
  return meta_string(metadata(), "name");
}
std::string_view Object::generate_name() const {
  return meta_string(metadata(), "generateName");
}
std::string_view Object::namespace_() const {
  return meta_string(metadata(), "namespace");
}
std::string_view Object::uid() const {
  return meta_string(metadata(), "uid");
}
std::string_view Object::resource_version() const {
  return meta_string(metadata(), "resourceVersion");
}
std::string_view Object::creation_timestamp() const {
  return meta_string(metadata(), "creationTimestamp");
}
std::int64_t Object::generation() const {
  const json::Value* m = metadata();
  return m != nullptr ? json::get_int(*m, "generation") : 0;
}
bool Object::being_deleted() const {
  const json::Value* m = metadata();
  if (m == nullptr) return false;
  const json::Value* ts = json::find(*m, "deletionTimestamp");
  return ts != nullptr && ts->IsString();
}

const json::Value* Object::labels() const {
  const json::Value* m = metadata();
  const json::Value* l = m != nullptr ? json::find(*m, "labels") : nullptr;
  return (l != nullptr && l->IsObject()) ? l : nullptr;
}

const json::Value* Object::annotations() const {
  const json::Value* m = metadata();
  const json::Value* a = m != nullptr ? json::find(*m, "annotations") : nullptr;
  return (a != nullptr && a->IsObject()) ? a : nullptr;
}

std::optional<std::string_view> Object::label(std::string_view key) const {
  const json::Value* l = labels();
  const json::Value* v = l != nullptr ? json::find(*l, key) : nullptr;
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return json::as_string(*v);
}

std::optional<std::string_view> Object::annotation(std::string_view key) const {
  const json::Value* a = annotations();
  const json::Value* v = a != nullptr ? json::find(*a, key) : nullptr;
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return json::as_string(*v);
}

bool Object::has_finalizer(std::string_view finalizer) const {
  const json::Value* m = metadata();
  const json::Value* f = m != nullptr ? json::find(*m, "finalizers") : nullptr;
  if (f == nullptr || !f->IsArray()) return false;
  for (const auto& v : f->GetArray()) {
    if (json::as_string(v) == finalizer) return true;
  }
  return false;
}

std::string_view Object::controller_uid() const {
  const json::Value* m = metadata();
  const json::Value* refs = m != nullptr ? json::find(*m, "ownerReferences") : nullptr;
  if (refs == nullptr || !refs->IsArray()) return {};
  for (const auto& ref : refs->GetArray()) {
    if (json::get_bool(ref, "controller")) return json::get_string(ref, "uid");
  }
  return {};
}

std::string Object::key() const {
  return make_key(namespace_(), name());
}

json::Document Object::copy() const {
  return json::copy(json());
}

std::string Object::dump() const {
  return json::dump(json());
}

std::size_t Object::memory_bytes() const {
  if (!storage_) return 0;
  const json::Allocator* pool = storage_->pool.get();
  if (pool == nullptr) pool = &const_cast<json::Document&>(storage_->document).GetAllocator();
  return sizeof(Storage) + pool->Capacity();
}

std::string make_key(std::string_view namespace_, std::string_view name) {
  std::string key;
  if (!namespace_.empty()) {
    key.reserve(namespace_.size() + 1 + name.size());
    key.append(namespace_).push_back('/');
  }
  key.append(name);
  return key;
}

KeyParts split_key(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return {{}, key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

}  // namespace kube
