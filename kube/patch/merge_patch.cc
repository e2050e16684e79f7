#include "kube/patch/json_util.h"
#include "kube/patch/patch.h"

namespace kube::patch {
namespace {

void merge(json::Value& target, const json::Value& patch, json::Allocator& a) {
  if (!patch.IsObject()) {
    target = internal::copy(patch, a);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (const auto& m : patch.GetObject()) {
    std::string_view key = json::as_string(m.name);
    if (m.value.IsNull()) {
      internal::erase_member(target, key);
      continue;
    }
    if (json::Value* existing = internal::member(target, key)) {
      merge(*existing, m.value, a);
      continue;
    }
    // A new member still goes through the merge so that nulls inside it are dropped.
    json::Value added;
    merge(added, m.value, a);
    target.AddMember(json::make_string(key, a), std::move(added), a);
  }
}

}  // namespace

Status apply_merge_patch(json::Document& target, const json::Value& patch) {
  merge(target, patch, target.GetAllocator());
  return ok_status();
}

}  // namespace kube::patch
