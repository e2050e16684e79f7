#include "kube/patch/structured.h"

#include <map>
#include <utility>
#include <vector>

#include "kube/patch/json_util.h"

namespace kube::patch::internal {
namespace {

Error invalid(const FieldPath& path, std::string message) {
  std::string where = path_string(path);
  return Error::make(Reason::kInvalid, (where.empty() ? "" : where + ": ") + message, 422);
}

Node member_node(Node parent, std::string_view key) {
  const FieldSchema* field = find_field(parent.type, key);
  return Node{field != nullptr ? field->type : nullptr, field};
}

Node element_node(Node list) {
  return Node{list.field != nullptr ? list.field->type : nullptr, nullptr};
}

bool atomic_object(Node node) {
  return node.type != nullptr && node.type->atomic;
}

KeyValue string_key(std::string_view s) {
  KeyValue k;
  k.type = KeyValue::Type::kString;
  k.text = std::string(s);
  k.json = json_quote(s);
  return k;
}

Result<PathElement> element_of(const json::Value& item, rapidjson::SizeType index,
                               const ListIdentity& id, const FieldPath& path) {
  switch (id.type) {
    case ListType::kMap: {
      if (item.IsNull()) {
        return invalid(path, "associative list with keys may not have a null element");
      }
      if (!item.IsObject()) {
        return invalid(path, "associative list with keys may not have non-map elements");
      }
      std::vector<std::pair<std::string, KeyValue>> fields;
      for (std::size_t i = 0; i < id.key_count; ++i) {
        std::string_view key = id.keys[i];
        if (const json::Value* v = member(item, key)) {
          fields.emplace_back(std::string(key), KeyValue::from(*v));
        } else if (!id.key_defaults[i].empty()) {
          fields.emplace_back(std::string(key), string_key(id.key_defaults[i]));
        } else {
          return invalid(path, "associative list with keys has an element that omits key field " +
                                   go_quote(key) + " (and doesn't have default value)");
        }
      }
      return PathElement::of_key(std::move(fields));
    }
    case ListType::kSet:
      if (item.IsObject()) {
        return invalid(path, "associative list without keys has an element that's a map type");
      }
      if (item.IsArray()) {
        return invalid(path, "not supported: associative list with lists as elements");
      }
      if (item.IsNull()) {
        return invalid(path,
                       "associative list without keys has an element that's an explicit null");
      }
      return PathElement::of_value(item);
    case ListType::kAtomic:
    case ListType::kFromPatchStrategy:
      break;
  }
  return PathElement::of_index(index);
}

struct Indexed {
  std::vector<PathElement> order;
  std::map<PathElement, const json::Value*> items;
};

Result<Indexed> index_list(const json::Value* list, const ListIdentity& id, FieldPath& path) {
  Indexed out;
  if (list == nullptr || !list->IsArray()) return out;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    KUBE_ASSIGN_OR_RETURN(PathElement pe, element_of((*list)[i], i, id, path));
    if (out.items.count(pe) != 0) {
      return invalid(path, "duplicate entries for key " + pe.to_string());
    }
    out.items.emplace(pe, &(*list)[i]);
    out.order.push_back(std::move(pe));
  }
  return out;
}

const json::Value* find_item(const Indexed& list, const PathElement& pe) {
  auto it = list.items.find(pe);
  return it == list.items.end() ? nullptr : it->second;
}

// The non-null value whose kind decides how a position is walked.
const json::Value* shape_of(const json::Value* a, const json::Value* b) {
  if (b != nullptr && !b->IsNull()) return b;
  if (a != nullptr && !a->IsNull()) return a;
  return nullptr;
}

bool null_or(const json::Value* v, bool (json::Value::*is_kind)() const) {
  return v == nullptr || v->IsNull() || (v->*is_kind)();
}

bool empty_container(const json::Value* v) {
  if (v == nullptr || v->IsNull()) return true;
  if (v->IsObject()) return v->ObjectEmpty();
  if (v->IsArray()) return v->Empty();
  return false;
}

// ---- ToFieldSet ------------------------------------------------------------------------------

Status collect(const json::Value& value, Node node, FieldPath& path, FieldSet& out);

Status collect_object(const json::Value& object, Node node, FieldPath& path, FieldSet& out) {
  for (const auto& m : object.GetObject()) {
    path.push_back(PathElement::of_field(json::as_string(m.name)));
    const json::Value& v = m.value;
    Node child = member_node(node, json::as_string(m.name));
    if (v.IsNull() || (v.IsObject() && v.ObjectEmpty())) out.insert(path);
    KUBE_RETURN_IF_ERROR(collect(v, child, path, out));
    path.pop_back();
  }
  return ok_status();
}

Status collect(const json::Value& value, Node node, FieldPath& path, FieldSet& out) {
  if (value.IsObject()) {
    if (atomic_object(node)) {
      out.insert(path);
      return ok_status();
    }
    return collect_object(value, node, path, out);
  }
  if (value.IsArray()) {
    ListIdentity id = list_identity(node.field);
    if (id.type == ListType::kAtomic) {
      out.insert(path);
      return ok_status();
    }
    Node element = element_node(node);
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      KUBE_ASSIGN_OR_RETURN(PathElement pe, element_of(value[i], i, id, path));
      path.push_back(std::move(pe));
      KUBE_RETURN_IF_ERROR(collect(value[i], element, path, out));
      out.insert(path);
      path.pop_back();
    }
    return ok_status();
  }
  if (!path.empty()) out.insert(path);
  return ok_status();
}

// ---- Compare ---------------------------------------------------------------------------------

class Comparer {
 public:
  explicit Comparer(Comparison& out) : out_(out) {}

  Status walk(const json::Value* before, const json::Value* after, Node node, FieldPath& path) {
    const json::Value* shape = shape_of(before, after);
    if (shape == nullptr || (!shape->IsObject() && !shape->IsArray())) {
      leaf(before, after, path);
      return ok_status();
    }
    if (shape->IsObject()) {
      if (atomic_object(node) || !null_or(before, &json::Value::IsObject) ||
          !null_or(after, &json::Value::IsObject) ||
          (empty_container(before) && empty_container(after))) {
        leaf(before, after, path);
        return ok_status();
      }
      auto visit = [&](std::string_view key, const json::Value* b, const json::Value* a) {
        path.push_back(PathElement::of_field(key));
        Status st = walk(b, a, member_node(node, key), path);
        path.pop_back();
        return st;
      };
      if (before != nullptr && before->IsObject()) {
        for (const auto& m : before->GetObject()) {
          std::string_view key = json::as_string(m.name);
          KUBE_RETURN_IF_ERROR(
              visit(key, &m.value, after != nullptr ? member(*after, key) : nullptr));
        }
      }
      if (after != nullptr && after->IsObject()) {
        for (const auto& m : after->GetObject()) {
          std::string_view key = json::as_string(m.name);
          if (before != nullptr && member(*before, key) != nullptr) continue;
          KUBE_RETURN_IF_ERROR(visit(key, nullptr, &m.value));
        }
      }
      container_presence(before, after, path);
      return ok_status();
    }
    ListIdentity id = list_identity(node.field);
    if (id.type == ListType::kAtomic || !null_or(before, &json::Value::IsArray) ||
        !null_or(after, &json::Value::IsArray) ||
        (empty_container(before) && empty_container(after))) {
      leaf(before, after, path);
      return ok_status();
    }
    KUBE_ASSIGN_OR_RETURN(Indexed b, index_list(before, id, path));
    KUBE_ASSIGN_OR_RETURN(Indexed a, index_list(after, id, path));
    Node element = element_node(node);
    for (const PathElement& pe : b.order) {
      path.push_back(pe);
      KUBE_RETURN_IF_ERROR(walk(find_item(b, pe), find_item(a, pe), element, path));
      path.pop_back();
    }
    for (const PathElement& pe : a.order) {
      if (find_item(b, pe) != nullptr) continue;
      path.push_back(pe);
      KUBE_RETURN_IF_ERROR(walk(nullptr, find_item(a, pe), element, path));
      path.pop_back();
    }
    container_presence(before, after, path);
    return ok_status();
  }

 private:
  void leaf(const json::Value* before, const json::Value* after, const FieldPath& path) {
    if (path.empty()) return;
    if (before == nullptr) {
      if (after != nullptr) out_.added.insert(path);
    } else if (after == nullptr) {
      out_.removed.insert(path);
    } else if (!json::equal(*before, *after)) {
      out_.modified.insert(path);
    }
  }
  // A granular object or list that appears or disappears is itself added or removed (an explicit
  // null counts as present).
  void container_presence(const json::Value* before, const json::Value* after,
                          const FieldPath& path) {
    if (path.empty()) return;
    if (before == nullptr) {
      out_.added.insert(path);
    } else if (after == nullptr) {
      out_.removed.insert(path);
    }
  }

  Comparison& out_;
};

// ---- Merge -----------------------------------------------------------------------------------

class Merger {
 public:
  explicit Merger(json::Allocator& a) : a_(a) {}

  Result<std::optional<json::Value>> walk(const json::Value* live, const json::Value* config,
                                          Node node, FieldPath& path) {
    const json::Value* shape = shape_of(live, config);
    bool leaf = shape == nullptr || (!shape->IsObject() && !shape->IsArray());
    if (!leaf && shape->IsObject()) {
      leaf = atomic_object(node) || !null_or(live, &json::Value::IsObject) ||
             !null_or(config, &json::Value::IsObject) ||
             (empty_container(live) && empty_container(config));
    } else if (!leaf) {
      leaf = list_identity(node.field).type == ListType::kAtomic ||
             !null_or(live, &json::Value::IsArray) || !null_or(config, &json::Value::IsArray) ||
             (empty_container(live) && empty_container(config));
    }
    if (leaf) {
      const json::Value* keep = config != nullptr ? config : live;
      if (keep == nullptr) return std::optional<json::Value>();
      return std::optional<json::Value>(copy(*keep, a_));
    }
    if (shape->IsObject()) return merge_objects(live, config, node, path);
    return merge_lists(live, config, node, path);
  }

 private:
  Result<std::optional<json::Value>> merge_objects(const json::Value* live,
                                                   const json::Value* config, Node node,
                                                   FieldPath& path) {
    json::Value out(rapidjson::kObjectType);
    auto visit = [&](std::string_view key, const json::Value* l, const json::Value* c) -> Status {
      path.push_back(PathElement::of_field(key));
      auto merged = walk(l, c, member_node(node, key), path);
      path.pop_back();
      if (!merged.ok()) return std::move(merged).error();
      if (merged->has_value()) {
        out.AddMember(json::make_string(key, a_), std::move(**merged), a_);
      }
      return ok_status();
    };
    if (live != nullptr && live->IsObject()) {
      for (const auto& m : live->GetObject()) {
        std::string_view key = json::as_string(m.name);
        KUBE_RETURN_IF_ERROR(
            visit(key, &m.value, config != nullptr ? member(*config, key) : nullptr));
      }
    }
    if (config != nullptr && config->IsObject()) {
      for (const auto& m : config->GetObject()) {
        std::string_view key = json::as_string(m.name);
        if (live != nullptr && member(*live, key) != nullptr) continue;
        KUBE_RETURN_IF_ERROR(visit(key, nullptr, &m.value));
      }
    }
    if (out.ObjectEmpty()) return std::optional<json::Value>();
    return std::optional<json::Value>(std::move(out));
  }

  // Live elements keep their places; configured elements follow the configuration's order,
  // and the elements both have are emitted in the configuration's order.
  Result<std::optional<json::Value>> merge_lists(const json::Value* live, const json::Value* config,
                                                 Node node, FieldPath& path) {
    ListIdentity id = list_identity(node.field);
    KUBE_ASSIGN_OR_RETURN(Indexed l, index_list(live, id, path));
    KUBE_ASSIGN_OR_RETURN(Indexed r, index_list(config, id, path));
    Node element = element_node(node);
    json::Value out(rapidjson::kArrayType);
    auto emit = [&](const PathElement& pe, const json::Value* lv, const json::Value* rv) -> Status {
      path.push_back(pe);
      auto merged = walk(lv, rv, element, path);
      path.pop_back();
      if (!merged.ok()) return std::move(merged).error();
      if (merged->has_value()) out.PushBack(std::move(**merged), a_);
      return ok_status();
    };

    std::vector<const PathElement*> shared;
    for (const PathElement& pe : r.order) {
      if (find_item(l, pe) != nullptr) shared.push_back(&pe);
    }
    std::size_t next_shared_index = 0;
    const PathElement* next_shared = nullptr;
    auto advance_shared = [&] {
      next_shared = next_shared_index < shared.size() ? shared[next_shared_index++] : nullptr;
    };
    advance_shared();

    std::size_t li = 0;
    std::size_t ri = 0;
    while (li < l.order.size() || ri < r.order.size()) {
      if (li < l.order.size() && ri < r.order.size()) {
        const PathElement& pe = l.order[li];
        if (pe == r.order[ri]) {
          KUBE_RETURN_IF_ERROR(emit(pe, find_item(l, pe), find_item(r, pe)));
          ++li;
          ++ri;
          advance_shared();
          continue;
        }
        if (find_item(r, pe) != nullptr && next_shared != nullptr && !(*next_shared == pe)) {
          ++li;  // shared, but its turn comes in the configuration's order
          continue;
        }
      }
      if (li < l.order.size()) {
        const PathElement& pe = l.order[li];
        if (find_item(r, pe) == nullptr) {
          KUBE_RETURN_IF_ERROR(emit(pe, find_item(l, pe), nullptr));
          ++li;
          continue;
        }
      }
      if (ri < r.order.size()) {
        const PathElement& pe = r.order[ri];
        KUBE_RETURN_IF_ERROR(emit(pe, find_item(l, pe), find_item(r, pe)));
        ++ri;
        if (next_shared != nullptr && *next_shared == pe) advance_shared();
      }
    }
    if (out.Empty()) return std::optional<json::Value>();
    return std::optional<json::Value>(std::move(out));
  }

  json::Allocator& a_;
};

// ---- RemoveItems -----------------------------------------------------------------------------

Status remove_below(json::Value& value, const FieldSet& paths, Node node, FieldPath& path) {
  if (value.IsObject()) {
    if (atomic_object(node)) return ok_status();
    for (auto it = value.MemberBegin(); it != value.MemberEnd();) {
      std::string_view key = json::as_string(it->name);
      path.push_back(PathElement::of_field(key));
      bool erase = paths.contains(path);
      if (!erase && paths.has_prefix(path)) {
        bool had_members = it->value.IsObject() && !it->value.ObjectEmpty();
        KUBE_RETURN_IF_ERROR(remove_below(it->value, paths, member_node(node, key), path));
        erase = had_members && it->value.ObjectEmpty();
      }
      path.pop_back();
      it = erase ? value.EraseMember(it) : std::next(it);
    }
    return ok_status();
  }
  if (value.IsArray()) {
    ListIdentity id = list_identity(node.field);
    if (id.type == ListType::kAtomic) return ok_status();
    Node element = element_node(node);
    for (rapidjson::SizeType i = 0; i < value.Size();) {
      KUBE_ASSIGN_OR_RETURN(PathElement pe, element_of(value[i], i, id, path));
      path.push_back(std::move(pe));
      bool erase = paths.contains(path);
      if (!erase && paths.has_prefix(path)) {
        KUBE_RETURN_IF_ERROR(remove_below(value[i], paths, element, path));
      }
      path.pop_back();
      if (erase) {
        value.Erase(value.Begin() + i);
      } else {
        ++i;
      }
    }
    return ok_status();
  }
  return ok_status();
}

}  // namespace

Result<FieldSet> to_field_set(const json::Value& value, Node node) {
  FieldSet out;
  FieldPath path;
  KUBE_RETURN_IF_ERROR(collect(value, node, path, out));
  return out;
}

Result<Comparison> compare(const json::Value* before, const json::Value* after, Node node) {
  Comparison out;
  FieldPath path;
  KUBE_RETURN_IF_ERROR(Comparer(out).walk(before, after, node, path));
  return out;
}

Result<std::optional<json::Value>> merge(const json::Value* live, const json::Value* config,
                                         Node node, json::Allocator& allocator) {
  FieldPath path;
  return Merger(allocator).walk(live, config, node, path);
}

Status remove_paths(json::Value& value, const FieldSet& paths, Node node) {
  FieldPath path;
  return remove_below(value, paths, node, path);
}

}  // namespace kube::patch::internal
