// RFC 6902 JSON patch application with RFC 6901 pointers.
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "kube/patch/json_util.h"
#include "kube/patch/patch.h"

namespace kube::patch {
namespace {

using Tokens = std::vector<std::string>;

// "copy" can double a document per operation; like the apiserver, bound what one patch may
// copy in total so a small request cannot make a huge object.
constexpr std::size_t kMaxCopiedBytes = 16u << 20;

// Copies and moves can also nest a document deeper with every operation; serializing and
// destroying values recurse, so the result may not be deeper than this (or than the target
// already was).
constexpr std::size_t kMaxDepth = 512;

struct Budget {
  std::size_t copied = 0;
  std::size_t max_depth = kMaxDepth;
};

// Placing `value` at `path` must keep the document within the depth bound.
Status check_depth(const Tokens& path, const json::Value& value, const Budget& budget) {
  if (path.size() + internal::depth_of(value) > budget.max_depth) {
    return Error::make(
        Reason::kInvalid,
        "the result would nest deeper than " + std::to_string(budget.max_depth) + " levels", 422);
  }
  return ok_status();
}

Result<Tokens> parse_pointer(std::string_view pointer) {
  Tokens tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') {
    return Error::make(Reason::kInvalid, "a JSON pointer must be empty or start with '/'", 422);
  }
  std::size_t start = 1;
  while (true) {
    std::size_t slash = pointer.find('/', start);
    std::string_view raw = pointer.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && (i + 1 == raw.size() || (raw[i + 1] != '0' && raw[i + 1] != '1'))) {
        return Error::make(Reason::kInvalid, "'~' must be followed by '0' or '1' in a JSON pointer",
                           422);
      }
    }
    tokens.push_back(unescape_pointer_token(raw));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return tokens;
}

// An array index token: "0" or digits without a leading zero.
std::optional<std::size_t> parse_index(std::string_view token) {
  if (token.empty() || (token.size() > 1 && token.front() == '0')) return std::nullopt;
  std::size_t index = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return index;
}

std::string pointer_prefix(const Tokens& tokens, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < tokens.size(); ++i) {
    out += '/';
    out += escape_pointer_token(tokens[i]);
  }
  return out;
}

// The value `count` tokens deep, or the reason there is none.
Result<json::Value*> resolve(json::Value& root, const Tokens& tokens, std::size_t count) {
  json::Value* node = &root;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& t = tokens[i];
    if (node->IsObject()) {
      node = internal::member(*node, t);
      if (node == nullptr) {
        return Error::make(Reason::kInvalid,
                           "path " + pointer_prefix(tokens, i + 1) + " does not exist", 422);
      }
    } else if (node->IsArray()) {
      auto index = parse_index(t);
      if (!index || *index >= node->Size()) {
        return Error::make(Reason::kInvalid,
                           "path " + pointer_prefix(tokens, i + 1) + " does not exist", 422);
      }
      node = &(*node)[static_cast<rapidjson::SizeType>(*index)];
    } else {
      return Error::make(Reason::kInvalid,
                         "path " + pointer_prefix(tokens, i) + " is neither an object nor an array",
                         422);
    }
  }
  return node;
}

Status add(json::Document& doc, const Tokens& path, json::Value&& value) {
  json::Allocator& a = doc.GetAllocator();
  if (path.empty()) {
    static_cast<json::Value&>(doc) = std::move(value);
    return ok_status();
  }
  KUBE_ASSIGN_OR_RETURN(json::Value * parent, resolve(doc, path, path.size() - 1));
  const std::string& last = path.back();
  if (parent->IsObject()) {
    internal::set_member(*parent, last, std::move(value), a);
    return ok_status();
  }
  if (!parent->IsArray()) {
    return Error::make(
        Reason::kInvalid,
        "path " + pointer_prefix(path, path.size() - 1) + " is neither an object nor an array",
        422);
  }
  if (last == "-") {
    parent->PushBack(std::move(value), a);
    return ok_status();
  }
  auto index = parse_index(last);
  if (!index || *index > parent->Size()) {
    return Error::make(
        Reason::kInvalid,
        "index " + last + " is out of bounds for array " + pointer_prefix(path, path.size() - 1),
        422);
  }
  // RapidJSON has no insert: append, then rotate the new element into place.
  parent->PushBack(std::move(value), a);
  for (auto i = static_cast<rapidjson::SizeType>(parent->Size() - 1); i > *index; --i) {
    (*parent)[i].Swap((*parent)[i - 1]);
  }
  return ok_status();
}

// Removes the value at `path` and returns it.
Result<json::Value> take(json::Document& doc, const Tokens& path) {
  if (path.empty())
    return Error::make(Reason::kInvalid, "the whole document cannot be removed", 422);
  KUBE_ASSIGN_OR_RETURN(json::Value * parent, resolve(doc, path, path.size() - 1));
  const std::string& last = path.back();
  if (parent->IsObject()) {
    for (auto it = parent->MemberBegin(); it != parent->MemberEnd(); ++it) {
      if (json::as_string(it->name) == last) {
        json::Value out(std::move(it->value));
        parent->EraseMember(it);
        return out;
      }
    }
    return Error::make(Reason::kInvalid,
                       "path " + pointer_prefix(path, path.size()) + " does not exist", 422);
  }
  if (parent->IsArray()) {
    auto index = parse_index(last);
    if (!index || *index >= parent->Size()) {
      return Error::make(Reason::kInvalid,
                         "path " + pointer_prefix(path, path.size()) + " does not exist", 422);
    }
    json::Value out(std::move((*parent)[static_cast<rapidjson::SizeType>(*index)]));
    parent->Erase(parent->Begin() + *index);
    return out;
  }
  return Error::make(
      Reason::kInvalid,
      "path " + pointer_prefix(path, path.size() - 1) + " is neither an object nor an array", 422);
}

bool is_proper_prefix(const Tokens& prefix, const Tokens& path) {
  if (prefix.size() >= path.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != path[i]) return false;
  }
  return true;
}

Result<Tokens> pointer_member(const json::Value& op, std::string_view name) {
  const json::Value* v = internal::member(op, name);
  if (v == nullptr)
    return Error::make(Reason::kInvalid, "missing \"" + std::string(name) + "\"", 422);
  if (!v->IsString()) {
    return Error::make(Reason::kInvalid, "\"" + std::string(name) + "\" must be a string", 422);
  }
  return parse_pointer(json::as_string(*v));
}

Result<const json::Value*> value_member(const json::Value& op) {
  const json::Value* v = internal::member(op, "value");
  if (v == nullptr) return Error::make(Reason::kInvalid, "missing \"value\"", 422);
  return v;
}

Status apply_one(json::Document& doc, const json::Value& op, Budget& budget) {
  json::Allocator& a = doc.GetAllocator();
  if (!op.IsObject()) return Error::make(Reason::kInvalid, "an operation must be an object", 422);
  const json::Value* name = internal::member(op, "op");
  if (name == nullptr || !name->IsString()) {
    return Error::make(Reason::kInvalid, "missing \"op\"", 422);
  }
  std::string_view kind = json::as_string(*name);
  KUBE_ASSIGN_OR_RETURN(Tokens path, pointer_member(op, "path"));
  if (kind == "add") {
    KUBE_ASSIGN_OR_RETURN(const json::Value* value, value_member(op));
    KUBE_RETURN_IF_ERROR(check_depth(path, *value, budget));
    return add(doc, path, internal::copy(*value, a));
  }
  if (kind == "remove") {
    auto removed = take(doc, path);
    if (!removed.ok()) return std::move(removed).error();
    return ok_status();
  }
  if (kind == "replace") {
    KUBE_ASSIGN_OR_RETURN(const json::Value* value, value_member(op));
    KUBE_RETURN_IF_ERROR(check_depth(path, *value, budget));
    KUBE_ASSIGN_OR_RETURN(json::Value * target, resolve(doc, path, path.size()));
    *target = internal::copy(*value, a);
    return ok_status();
  }
  if (kind == "move") {
    KUBE_ASSIGN_OR_RETURN(Tokens from, pointer_member(op, "from"));
    if (is_proper_prefix(from, path)) {
      return Error::make(Reason::kInvalid, "a value cannot be moved into one of its children", 422);
    }
    KUBE_ASSIGN_OR_RETURN(json::Value moved, take(doc, from));
    KUBE_RETURN_IF_ERROR(check_depth(path, moved, budget));
    return add(doc, path, std::move(moved));
  }
  if (kind == "copy") {
    KUBE_ASSIGN_OR_RETURN(Tokens from, pointer_member(op, "from"));
    KUBE_ASSIGN_OR_RETURN(json::Value * source, resolve(doc, from, from.size()));
    KUBE_RETURN_IF_ERROR(check_depth(path, *source, budget));
    budget.copied += internal::approximate_size(*source);
    if (budget.copied > kMaxCopiedBytes) {
      return Error::make(
          Reason::kInvalid,
          "the patch copies more than " + std::to_string(kMaxCopiedBytes >> 20) + " MiB in total",
          422);
    }
    json::Value duplicate = internal::copy(*source, a);
    return add(doc, path, std::move(duplicate));
  }
  if (kind == "test") {
    KUBE_ASSIGN_OR_RETURN(const json::Value* value, value_member(op));
    KUBE_ASSIGN_OR_RETURN(json::Value * current, resolve(doc, path, path.size()));
    if (!json::equal(*current, *value)) {
      return Error::make(Reason::kInvalid,
                         "test failed: the value is " + internal::describe(*current), 422);
    }
    return ok_status();
  }
  return Error::make(Reason::kInvalid, "unknown operation \"" + std::string(kind) + "\"", 422);
}

}  // namespace

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

Status apply_json_patch(json::Document& target, const json::Value& operations) {
  if (!operations.IsArray()) {
    return Error::make(Reason::kBadRequest, "a JSON patch must be an array of operations", 400);
  }
  json::Document work;
  work.CopyFrom(target, work.GetAllocator());
  rapidjson::SizeType index = 0;
  Budget budget;
  budget.max_depth = std::max(kMaxDepth, internal::depth_of(target));
  for (const auto& op : operations.GetArray()) {
    Status st = apply_one(work, op, budget);
    if (!st.ok()) {
      std::string what = "json patch operation " + std::to_string(index);
      std::string_view name = op.IsObject() ? json::get_string(op, "op") : "";
      if (!name.empty()) {
        what += " (" + std::string(name) + " " + std::string(json::get_string(op, "path")) + ")";
      }
      Error e = st.error();
      e.message = what + ": " + e.message;
      return e;
    }
    ++index;
  }
  target.Swap(work);
  return ok_status();
}

}  // namespace kube::patch
