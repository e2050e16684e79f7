// Strategic merge patch as kube-apiserver 1.26 applies it to built-in kinds, driven by the
// field table in schema.h. Error kinds follow the apiserver: malformed directives are 400,
// lists of lists 422, and inconsistencies it does not classify (missing merge keys, mixed
// element types, unknown $patch values) surface as 500 with no reason.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "kube/patch/json_util.h"
#include "kube/patch/patch.h"
#include "kube/patch/schema.h"

namespace kube::patch {
namespace {

using internal::member;

constexpr std::string_view kDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetElementOrder = "$setElementOrder";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList";

Error bad_request(std::string message) {
  return Error::make(Reason::kBadRequest, std::move(message), 400);
}
Error unprocessable(std::string message) {
  return Error::make(Reason::kInvalid, std::move(message), 422);
}
Error server_error(std::string message) {
  return Error::make(Reason::kUnknown, std::move(message), 500);
}

Error bad_arg_type(std::string_view expected, const json::Value* actual) {
  return server_error("expected a " + std::string(expected) + ", but received a " +
                      internal::go_type_name(actual));
}
Error no_merge_key(const json::Value& item, std::string_view key) {
  return server_error("map: " + internal::describe(item) +
                      " does not contain declared merge key: " + std::string(key));
}
Error unknown_patch_type(const json::Value& directive, const json::Value& where) {
  std::string value = directive.IsString() ? std::string(json::as_string(directive))
                                           : internal::describe(directive);
  return server_error("unknown patch type: " + value + " in map: " + internal::describe(where));
}

// "$prefix/<key>" -> key; the apiserver rejects a directive key without the "/<key>" part.
std::optional<std::string_view> directive_target(std::string_view key, std::string_view prefix) {
  std::size_t slash = key.find('/');
  if (slash == std::string_view::npos || key.substr(0, slash) != prefix) return std::nullopt;
  return key.substr(slash + 1);
}

bool is_directive(const json::Value& item, std::string_view value) {
  const json::Value* d = item.IsObject() ? member(item, kDirective) : nullptr;
  return d != nullptr && d->IsString() && json::as_string(*d) == value;
}

// What identifies an element for ordering: its merge key value (maps) or itself (scalars).
// Missing keys and nulls compare equal to each other, as nil interfaces do in the apiserver.
const json::Value* identity(const json::Value& item, std::string_view merge_key, bool maps) {
  const json::Value* v = &item;
  if (maps) v = item.IsObject() ? member(item, merge_key) : nullptr;
  return (v == nullptr || v->IsNull()) ? nullptr : v;
}

bool same_identity(const json::Value* a, const json::Value* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return internal::scalar_equal(*a, *b);
}

std::ptrdiff_t index_of(const std::vector<const json::Value*>& order, const json::Value& item,
                        std::string_view merge_key, bool maps) {
  const json::Value* id = identity(item, merge_key, maps);
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (same_identity(id, identity(*order[i], merge_key, maps))) {
      return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

std::vector<const json::Value*> elements(const json::Value* list) {
  std::vector<const json::Value*> out;
  if (list != nullptr && list->IsArray()) {
    for (const auto& v : list->GetArray())
      out.push_back(&v);
  }
  return out;
}

// The common Go type of the elements of the lists: maps or scalars of one type.
Result<bool> elements_are_maps(std::initializer_list<const json::Value*> lists) {
  std::optional<std::string> type;
  for (const json::Value* list : lists) {
    for (const json::Value* v : elements(list)) {
      std::string t = internal::go_type_name(v);
      if (!type) {
        if (v->IsArray()) return unprocessable("lists of lists are not supported");
        if (v->IsNull()) return server_error("list elements must not be null");
        type = t;
      } else if (*type != t) {
        std::string all;
        for (const json::Value* l : lists) {
          if (l == nullptr) continue;
          if (!all.empty()) all += ' ';
          all += internal::describe(*l);
        }
        return server_error("list element types are not identical: [" + all + "]");
      }
    }
  }
  if (!type) return server_error("no elements in any of the given slices");
  return *type == "map[string]interface {}";
}

Status check_merge_keys(const std::vector<json::Value>& items, std::string_view merge_key) {
  for (const json::Value& item : items) {
    if (!item.IsObject()) return bad_arg_type("map[string]interface {}", &item);
    if (member(item, merge_key) == nullptr) return no_merge_key(item, merge_key);
  }
  return ok_status();
}

Status check_merge_keys(const std::vector<const json::Value*>& items, std::string_view merge_key) {
  for (const json::Value* item : items) {
    if (!item->IsObject()) return bad_arg_type("map[string]interface {}", item);
    if (member(*item, merge_key) == nullptr) return no_merge_key(*item, merge_key);
  }
  return ok_status();
}

// Sorts `items` by their position in `order` (stable), then appends the elements that only
// carry "$patch: delete".
Status sort_by_order(std::vector<json::Value>& items, const std::vector<const json::Value*>& order,
                     std::string_view merge_key, bool maps) {
  std::vector<json::Value> deletions;
  if (maps) {
    KUBE_RETURN_IF_ERROR(check_merge_keys(items, merge_key));
    KUBE_RETURN_IF_ERROR(check_merge_keys(order, merge_key));
    std::vector<json::Value> kept;
    for (json::Value& item : items) {
      (is_directive(item, "delete") ? deletions : kept).push_back(std::move(item));
    }
    items = std::move(kept);
  }
  std::vector<std::pair<std::ptrdiff_t, std::size_t>> keys;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::ptrdiff_t at = index_of(order, items[i], merge_key, maps);
    keys.emplace_back(at < 0 ? PTRDIFF_MAX : at, i);
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<json::Value> sorted;
  sorted.reserve(items.size() + deletions.size());
  for (const auto& k : keys)
    sorted.push_back(std::move(items[k.second]));
  for (json::Value& d : deletions)
    sorted.push_back(std::move(d));
  items = std::move(sorted);
  return ok_status();
}

// Orders a merged list: elements named by the patch (or $setElementOrder) keep the patch's
// order, the others the live order, and the two sequences are interleaved by the live order
// where both elements appear in it.
Result<std::vector<json::Value>> enforce_order(std::vector<json::Value> merged,
                                               const std::vector<const json::Value*>& patch_order,
                                               const std::vector<const json::Value*>& server_order,
                                               std::string_view merge_key, bool maps) {
  std::vector<json::Value> from_patch;
  std::vector<json::Value> server_only;
  for (json::Value& item : merged) {
    bool in_patch = false;
    if (maps) {
      if (!item.IsObject()) return bad_arg_type("map[string]interface {}", &item);
      const json::Value* key = member(item, merge_key);
      if (key == nullptr) return no_merge_key(item, merge_key);
      for (const json::Value* p : patch_order) {
        if (!p->IsObject())
          return server_error("value for key " + internal::describe(*p) + " is not a map");
        const json::Value* pk = member(*p, merge_key);
        if (pk != nullptr && internal::scalar_equal(*pk, *key)) {
          in_patch = true;
          break;
        }
      }
    } else {
      in_patch = std::any_of(patch_order.begin(), patch_order.end(), [&](const json::Value* p) {
        return internal::scalar_equal(*p, item);
      });
    }
    (in_patch ? from_patch : server_only).push_back(std::move(item));
  }
  KUBE_RETURN_IF_ERROR(sort_by_order(from_patch, patch_order, merge_key, maps));
  KUBE_RETURN_IF_ERROR(sort_by_order(server_only, server_order, merge_key, maps));

  std::vector<json::Value> out;
  out.reserve(from_patch.size() + server_only.size());
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < server_only.size() || j < from_patch.size()) {
    bool take_server;
    if (j >= from_patch.size()) {
      take_server = true;
    } else if (i >= server_only.size()) {
      take_server = false;
    } else {
      std::ptrdiff_t li = index_of(server_order, server_only[i], merge_key, maps);
      std::ptrdiff_t ri = index_of(server_order, from_patch[j], merge_key, maps);
      take_server = li >= 0 && ri >= 0 && li < ri;
    }
    out.push_back(std::move(take_server ? server_only[i++] : from_patch[j++]));
  }
  return out;
}

std::vector<json::Value> take_elements(json::Value& list) {
  std::vector<json::Value> out;
  if (list.IsArray()) {
    out.reserve(list.Size());
    for (auto& v : list.GetArray())
      out.push_back(std::move(v));
  }
  return out;
}

void store_elements(json::Value& list, std::vector<json::Value>&& items, json::Allocator& a) {
  list.SetArray();
  list.Reserve(static_cast<rapidjson::SizeType>(items.size()), a);
  for (json::Value& v : items)
    list.PushBack(std::move(v), a);
}

class Merger {
 public:
  explicit Merger(json::Allocator& a) : a_(a) {}

  Status merge_map(json::Value& original, const json::Value& patch, const TypeSchema* type) {
    if (const json::Value* directive = member(patch, kDirective)) {
      if (directive->IsString() && json::as_string(*directive) == "replace") {
        json::Value replacement = internal::copy_without_nulls(patch, a_);
        internal::erase_member(replacement, kDirective);
        original = std::move(replacement);
        return ok_status();
      }
      if (directive->IsString() && json::as_string(*directive) == "delete") {
        original.SetObject();
        return ok_status();
      }
      return unknown_patch_type(*directive, patch);
    }
    if (!original.IsObject()) original.SetObject();

    KUBE_RETURN_IF_ERROR(apply_retain_keys(original, patch));

    std::vector<std::string_view> handled;  // lists already merged through $setElementOrder
    for (const auto& m : patch.GetObject()) {
      std::string_view key = json::as_string(m.name);
      if (!key.starts_with(kSetElementOrder)) continue;
      KUBE_RETURN_IF_ERROR(apply_set_element_order(original, patch, key, m.value, type, handled));
    }

    for (const auto& m : patch.GetObject()) {
      std::string_view key = json::as_string(m.name);
      if (key == kRetainKeys || key.starts_with(kSetElementOrder) ||
          std::find(handled.begin(), handled.end(), key) != handled.end()) {
        continue;
      }
      KUBE_RETURN_IF_ERROR(merge_member(original, key, m.value, type));
    }
    return ok_status();
  }

 private:
  Status merge_member(json::Value& original, std::string_view key, const json::Value& value,
                      const TypeSchema* type) {
    bool delete_list = false;
    if (key.starts_with(kDeleteFromPrimitiveList)) {
      auto target = directive_target(key, kDeleteFromPrimitiveList);
      if (!target) return bad_request("invalid patch format of primitive list");
      key = *target;
      delete_list = true;
    }
    if (value.IsNull()) {
      internal::erase_member(original, key);
      return ok_status();
    }
    json::Value* existing = member(original, key);
    if (existing == nullptr || internal::go_type_name(existing) != internal::go_type_name(&value)) {
      if (!delete_list) {
        internal::set_member(original, key, internal::copy_without_nulls(value, a_), a_);
      }
      return ok_status();
    }
    const FieldSchema* field = find_field(type, key);
    if (value.IsObject()) {
      if (field != nullptr && field->strategy == PatchStrategy::kReplace) {
        *existing = internal::copy_without_nulls(value, a_);
        return ok_status();
      }
      return merge_map(*existing, value, field != nullptr ? field->type : nullptr);
    }
    if (value.IsArray()) {
      if (field != nullptr && field->strategy == PatchStrategy::kMerge) {
        return merge_list(*existing, value, *field, delete_list);
      }
      // Lists without a merge strategy (tolerations, args, ...) are replaced, which also applies
      // to a $deleteFromPrimitiveList aimed at one of them.
      *existing = internal::copy_without_nulls(value, a_);
      return ok_status();
    }
    *existing = internal::copy(value, a_);
    return ok_status();
  }

  Status apply_retain_keys(json::Value& original, const json::Value& patch) {
    const json::Value* retain = member(patch, kRetainKeys);
    if (retain == nullptr) return ok_status();
    if (!retain->IsArray()) return bad_request("invalid patch format of retainKeys");
    auto retained = [&](std::string_view key) {
      return std::any_of(retain->Begin(), retain->End(), [&](const json::Value& k) {
        return k.IsString() && json::as_string(k) == key;
      });
    };
    for (const auto& m : patch.GetObject()) {
      std::string_view key = json::as_string(m.name);
      if (key == kRetainKeys || m.value.IsNull() || key.starts_with(kDeleteFromPrimitiveList) ||
          key.starts_with(kSetElementOrder)) {
        continue;
      }
      if (!retained(key)) return bad_request("invalid patch format of retainKeys");
    }
    for (auto it = original.MemberBegin(); it != original.MemberEnd();) {
      if (retained(json::as_string(it->name))) {
        ++it;
      } else {
        it = original.EraseMember(it);
      }
    }
    return ok_status();
  }

  Status apply_set_element_order(json::Value& original, const json::Value& patch,
                                 std::string_view directive_key, const json::Value& order,
                                 const TypeSchema* type, std::vector<std::string_view>& handled) {
    if (!order.IsArray()) return bad_arg_type("[]interface {}", &order);
    auto list_key = directive_target(directive_key, kSetElementOrder);
    if (!list_key) return bad_request("invalid patch format of setElementOrder list");
    json::Value* live = member(original, *list_key);
    const json::Value* patch_list = member(patch, *list_key);
    if (live != nullptr && !live->IsArray()) return bad_arg_type("[]interface {}", live);
    if (patch_list != nullptr && !patch_list->IsArray()) {
      return bad_arg_type("[]interface {}", patch_list);
    }
    const FieldSchema* field = find_field(type, *list_key);
    std::string_view merge_key = field != nullptr ? field->merge_key : std::string_view();
    KUBE_RETURN_IF_ERROR(check_order_matches_patch(patch_list, order, merge_key));
    if (live == nullptr && patch_list == nullptr) return ok_status();

    // The live order, kept before the merge changes the list.
    json::Document live_copy;
    if (live != nullptr) live_copy.CopyFrom(*live, live_copy.GetAllocator());
    std::vector<const json::Value*> server_order = elements(live != nullptr ? &live_copy : nullptr);

    if (live == nullptr) {
      internal::set_member(original, *list_key, internal::copy_without_nulls(*patch_list, a_), a_);
      live = member(original, *list_key);
    } else if (patch_list != nullptr) {
      if (field != nullptr && field->strategy == PatchStrategy::kMerge) {
        KUBE_RETURN_IF_ERROR(merge_list(*live, *patch_list, *field, false));
      } else {
        *live = internal::copy_without_nulls(*patch_list, a_);
      }
    }
    KUBE_ASSIGN_OR_RETURN(bool maps,
                          elements_are_maps({live != nullptr ? &live_copy : nullptr, patch_list}));
    KUBE_ASSIGN_OR_RETURN(auto ordered, enforce_order(take_elements(*live), elements(&order),
                                                      server_order, merge_key, maps));
    store_elements(*live, std::move(ordered), a_);
    handled.push_back(*list_key);
    return ok_status();
  }

  // The elements the patch names must appear in $setElementOrder, in the same relative order.
  static Status check_order_matches_patch(const json::Value* patch_list, const json::Value& order,
                                          std::string_view merge_key) {
    if (patch_list == nullptr || patch_list->Empty() || order.Empty()) return ok_status();
    std::vector<const json::Value*> named;
    for (const auto& item : patch_list->GetArray()) {
      if (!merge_key.empty()) {
        if (!item.IsObject()) return bad_arg_type("map[string]interface {}", &item);
        if (is_directive(item, "delete")) continue;
      }
      named.push_back(&item);
    }
    rapidjson::SizeType o = 0;
    std::size_t p = 0;
    while (p < named.size() && o < order.Size()) {
      const json::Value& item = *named[p];
      if (item.IsObject() && member(item, kDirective) != nullptr) {
        ++p;
        continue;
      }
      bool equal = false;
      if (merge_key.empty()) {
        equal = internal::scalar_equal(item, order[o]);
      } else {
        if (!order[o].IsObject()) return bad_arg_type("map[string]interface {}", &order[o]);
        const json::Value* left = member(item, merge_key);
        if (left == nullptr) return no_merge_key(item, merge_key);
        const json::Value* right = member(order[o], merge_key);
        if (right == nullptr) return no_merge_key(order[o], merge_key);
        equal = internal::scalar_equal(*left, *right);
      }
      if (equal) ++p;
      ++o;
    }
    if (p < named.size()) {
      return server_error("The order in patch list:\n" + internal::describe(*patch_list) +
                          "\n doesn't match $setElementOrder list:\n" + internal::describe(order) +
                          "\n");
    }
    return ok_status();
  }

  Status merge_list(json::Value& original, const json::Value& patch, const FieldSchema& field,
                    bool delete_list) {
    if (original.Empty() && patch.Empty()) return ok_status();
    KUBE_ASSIGN_OR_RETURN(bool maps, elements_are_maps({&original, &patch}));
    std::string_view merge_key = field.merge_key;

    if (!maps) {
      std::vector<json::Value> items = take_elements(original);
      if (delete_list) {
        std::vector<json::Value> kept;
        for (json::Value& v : items) {
          bool doomed = std::any_of(patch.Begin(), patch.End(), [&](const json::Value& d) {
            return internal::scalar_equal(d, v);
          });
          if (!doomed) kept.push_back(std::move(v));
        }
        store_elements(original, std::move(kept), a_);
        return ok_status();
      }
      json::Document server_copy;
      server_copy.SetArray();
      for (const json::Value& v : items) {
        server_copy.PushBack(internal::copy(v, server_copy.GetAllocator()),
                             server_copy.GetAllocator());
      }
      std::vector<json::Value> merged;
      auto add_unique = [&](json::Value&& v) {
        bool seen = std::any_of(merged.begin(), merged.end(),
                                [&](const json::Value& m) { return internal::scalar_equal(m, v); });
        if (!seen) merged.push_back(std::move(v));
      };
      for (json::Value& v : items)
        add_unique(std::move(v));
      for (const auto& v : patch.GetArray())
        add_unique(internal::copy(v, a_));
      KUBE_ASSIGN_OR_RETURN(auto ordered, enforce_order(std::move(merged), elements(&patch),
                                                        elements(&server_copy), "", false));
      store_elements(original, std::move(ordered), a_);
      return ok_status();
    }

    if (merge_key.empty()) {
      return server_error("cannot merge lists without merge key for " + std::string(field.name));
    }
    // Elements carrying $patch act on the live list first.
    std::vector<const json::Value*> plain;
    bool replace = false;
    for (const auto& item : patch.GetArray()) {
      const json::Value* directive = member(item, kDirective);
      if (directive == nullptr) {
        plain.push_back(&item);
        continue;
      }
      std::string_view d = json::as_string(*directive);
      if (directive->IsString() && d == "delete") {
        const json::Value* key = member(item, merge_key);
        if (key == nullptr) return no_merge_key(item, merge_key);
        std::vector<json::Value> kept;
        for (json::Value& v : take_elements(original)) {
          const json::Value* k = v.IsObject() ? member(v, merge_key) : nullptr;
          if (k == nullptr || !internal::scalar_equal(*k, *key)) kept.push_back(std::move(v));
        }
        store_elements(original, std::move(kept), a_);
      } else if (directive->IsString() && d == "replace") {
        replace = true;
      } else if (directive->IsString() && d == "merge") {
        return server_error("merging lists cannot yet be specified in the patch");
      } else {
        return unknown_patch_type(*directive, item);
      }
    }
    if (replace) {
      std::vector<json::Value> items;
      for (const json::Value* p : plain)
        items.push_back(internal::copy_without_nulls(*p, a_));
      store_elements(original, std::move(items), a_);
      plain.clear();
    }

    json::Document server_copy;
    server_copy.CopyFrom(original, server_copy.GetAllocator());
    for (const json::Value* p : plain) {
      const json::Value* key = member(*p, merge_key);
      if (key == nullptr) return no_merge_key(*p, merge_key);
      json::Value* match = nullptr;
      for (auto& v : original.GetArray()) {
        const json::Value* k = v.IsObject() ? member(v, merge_key) : nullptr;
        if (k != nullptr && internal::scalar_equal(*k, *key)) {
          match = &v;
          break;
        }
      }
      if (match != nullptr) {
        KUBE_RETURN_IF_ERROR(merge_map(*match, *p, field.type));
      } else {
        original.PushBack(internal::copy_without_nulls(*p, a_), a_);
      }
    }
    KUBE_ASSIGN_OR_RETURN(auto ordered, enforce_order(take_elements(original), plain,
                                                      elements(&server_copy), merge_key, true));
    store_elements(original, std::move(ordered), a_);
    return ok_status();
  }

  json::Allocator& a_;
};

std::string_view json_type_word(const json::Value& v) {
  if (v.IsArray()) return "array";
  if (v.IsString()) return "string";
  if (v.IsBool()) return "bool";
  return "number";
}

}  // namespace

Status apply_strategic_merge_patch(json::Document& target, const json::Value& patch,
                                   std::string_view kind) {
  const TypeSchema* schema = schema_for_kind(kind);
  if (schema == nullptr) {
    return Error::make(Reason::kUnsupportedMediaType,
                       "the body of the request was in an unknown format - accepted media types "
                       "include: application/json-patch+json, application/merge-patch+json, "
                       "application/apply-patch+yaml",
                       415);
  }
  if (patch.IsNull()) return ok_status();
  if (!patch.IsObject()) {
    return bad_request("json: cannot unmarshal " + std::string(json_type_word(patch)) +
                       " into Go value of type map[string]interface {}");
  }
  if (!target.IsObject()) return bad_request("invalid JSON document");
  json::Document work;
  work.CopyFrom(target, work.GetAllocator());
  KUBE_RETURN_IF_ERROR(Merger(work.GetAllocator()).merge_map(work, patch, schema));
  target.Swap(work);
  return ok_status();
}

}  // namespace kube::patch
