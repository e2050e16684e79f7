#include "kube/patch/json_util.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace kube::patch::internal {

const json::Value* member(const json::Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  for (const auto& m : object.GetObject()) {
    if (json::as_string(m.name) == key) return &m.value;
  }
  return nullptr;
}

json::Value* member(json::Value& object, std::string_view key) {
  return const_cast<json::Value*>(member(static_cast<const json::Value&>(object), key));
}

bool erase_member(json::Value& object, std::string_view key) {
  if (!object.IsObject()) return false;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (json::as_string(it->name) == key) {
      object.EraseMember(it);
      return true;
    }
  }
  return false;
}

void set_member(json::Value& object, std::string_view key, json::Value&& value,
                json::Allocator& allocator) {
  if (!object.IsObject()) object.SetObject();
  if (json::Value* existing = member(object, key)) {
    *existing = std::move(value);
    return;
  }
  object.AddMember(json::make_string(key, allocator), std::move(value), allocator);
}

json::Value copy(const json::Value& value, json::Allocator& allocator) {
  // Strings parsed from JSON are owned copies; only literals are shared as constant strings.
  return json::Value(value, allocator);
}

json::Value copy_without_nulls(const json::Value& value, json::Allocator& allocator) {
  if (value.IsObject()) {
    json::Value out(rapidjson::kObjectType);
    for (const auto& m : value.GetObject()) {
      if (m.value.IsNull()) continue;
      out.AddMember(copy(m.name, allocator), copy_without_nulls(m.value, allocator), allocator);
    }
    return out;
  }
  if (value.IsArray()) {
    json::Value out(rapidjson::kArrayType);
    out.Reserve(value.Size(), allocator);
    for (const auto& v : value.GetArray())
      out.PushBack(copy_without_nulls(v, allocator), allocator);
    return out;
  }
  return copy(value, allocator);
}

bool scalar_equal(const json::Value& a, const json::Value& b) {
  if (a.IsString() && b.IsString()) return json::as_string(a) == json::as_string(b);
  if (a.IsNumber() && b.IsNumber()) return a == b;
  if (a.IsBool() && b.IsBool()) return a.GetBool() == b.GetBool();
  return a.IsNull() && b.IsNull();
}

std::string go_type_name(const json::Value* value) {
  if (value == nullptr || value->IsNull()) return "<nil>";
  if (value->IsObject()) return "map[string]interface {}";
  if (value->IsArray()) return "[]interface {}";
  if (value->IsString()) return "string";
  if (value->IsBool()) return "bool";
  if (value->IsInt64() || value->IsUint64()) return "int64";
  return "float64";
}

std::size_t depth_of(const json::Value& value) {
  std::size_t deepest = 0;
  std::vector<std::pair<const json::Value*, std::size_t>> stack{{&value, 0}};
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (v->IsObject()) {
      deepest = std::max(deepest, depth + 1);
      for (const auto& m : v->GetObject())
        stack.emplace_back(&m.value, depth + 1);
    } else if (v->IsArray()) {
      deepest = std::max(deepest, depth + 1);
      for (const auto& e : v->GetArray())
        stack.emplace_back(&e, depth + 1);
    }
  }
  return deepest;
}

std::size_t approximate_size(const json::Value& value) {
  std::size_t total = 0;
  std::vector<const json::Value*> stack{&value};
  while (!stack.empty()) {
    const json::Value* v = stack.back();
    stack.pop_back();
    if (v->IsString()) {
      total += v->GetStringLength() + 2;
    } else if (v->IsObject()) {
      total += 2;
      for (const auto& m : v->GetObject()) {
        total += m.name.GetStringLength() + 4;
        stack.push_back(&m.value);
      }
    } else if (v->IsArray()) {
      total += 2;
      for (const auto& e : v->GetArray()) {
        total += 1;
        stack.push_back(&e);
      }
    } else {
      total += 8;
    }
  }
  return total;
}

std::string go_quote(std::string_view s) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::string json_quote(std::string_view s) {
  json::Document scratch;
  json::Value v = json::make_string(s, scratch.GetAllocator());
  return json::dump(v);
}

std::string describe(const json::Value& value, std::size_t limit) {
  std::string text = json::dump(value);
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

}  // namespace kube::patch::internal
