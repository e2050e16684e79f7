#include "kube/cache/transform.h"

#include <array>
#include <cstddef>

#include "kube/core/json.h"

namespace kube {
namespace {

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// The filtered copy is built in a per-thread pool (no malloc per node) and then copied once
// into the object's own right-sized block by Object::from.
constexpr std::size_t kScratchBytes = 64 * 1024;

json::Allocator& scratch() {
  struct alignas(std::max_align_t) Buffer {
    std::array<char, kScratchBytes> bytes;
  };
  thread_local Buffer buffer;
  thread_local json::Allocator allocator(buffer.bytes.data(), buffer.bytes.size());
  return allocator;
}

bool is(const json::Value& name, std::string_view s) {
  return json::as_string(name) == s;
}

}  // namespace

Object strip_bulk(Object object) {
  const json::Value* metadata = object.metadata();
  if (metadata == nullptr || !metadata->IsObject()) return object;
  bool managed = json::find(*metadata, "managedFields") != nullptr;
  const json::Value* annotations = object.annotations();
  bool last_applied = annotations != nullptr && json::find(*annotations, kLastApplied) != nullptr;
  if (!managed && !last_applied) return object;

  json::Allocator& a = scratch();
  Object result;
  {
    // Only what is kept is copied: managedFields is often a third of the object.
    json::Value root(rapidjson::kObjectType);
    for (const auto& m : object.json().GetObject()) {
      if (!is(m.name, "metadata")) {
        root.AddMember(json::Value(m.name, a), json::Value(m.value, a), a);
        continue;
      }
      json::Value meta(rapidjson::kObjectType);
      for (const auto& f : m.value.GetObject()) {
        if (is(f.name, "managedFields")) continue;
        if (is(f.name, "annotations") && last_applied) {
          json::Value kept(rapidjson::kObjectType);
          for (const auto& an : f.value.GetObject()) {
            if (!is(an.name, kLastApplied)) {
              kept.AddMember(json::Value(an.name, a), json::Value(an.value, a), a);
            }
          }
          if (!kept.ObjectEmpty()) meta.AddMember(json::Value(f.name, a), std::move(kept), a);
          continue;
        }
        meta.AddMember(json::Value(f.name, a), json::Value(f.value, a), a);
      }
      root.AddMember(json::Value(m.name, a), std::move(meta), a);
    }
    result = Object::from(root);
  }
  a.Clear();
  return result;
}

}  // namespace kube
