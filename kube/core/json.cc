#include "kube/core/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kube::json {

std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          max_depth = depth;
          if (max_depth > limit) return max_depth;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return max_depth;
}

Result<Document> parse(std::string_view text, const ParseOptions& options) {
  if (options.max_bytes != 0 && text.size() > options.max_bytes) {
    return Error::make(Reason::kRequestEntityTooLarge,
                       "JSON document of " + std::to_string(text.size()) +
                           " bytes exceeds the limit of " + std::to_string(options.max_bytes),
                       413);
  }
  if (nesting_depth(text, options.max_depth) > options.max_depth) {
    return Error::parse("JSON nesting exceeds the maximum depth of " +
                        std::to_string(options.max_depth));
  }
  Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return Error::parse(std::string("invalid JSON at offset ") +
                        std::to_string(doc.GetErrorOffset()) + ": " +
                        rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

namespace {

bool needs_go_escaping(const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[i];
    if (c == '<' || c == '>' || c == '&') return true;
  }
  return false;
}

void append_go_escaped(const char* s, std::size_t n, std::string& out) {
  out.reserve(out.size() + n + 16);
  for (std::size_t i = 0; i < n; ++i) {
    switch (s[i]) {
      case '<':
        out.append("\\u003c");
        break;
      case '>':
        out.append("\\u003e");
        break;
      case '&':
        out.append("\\u0026");
        break;
      default:
        out.push_back(s[i]);
    }
  }
}

}  // namespace

void dump_to(const Value& value, std::string& out) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  // In compact JSON these characters can only occur inside strings, so escaping the output is
  // equivalent to escaping every string.
  if (needs_go_escaping(buffer.GetString(), buffer.GetSize())) {
    append_go_escaped(buffer.GetString(), buffer.GetSize(), out);
  } else {
    out.append(buffer.GetString(), buffer.GetSize());
  }
}

std::string dump(const Value& value) {
  std::string out;
  dump_to(value, out);
  return out;
}

namespace {

// A non-owning string Value for lookups. RapidJSON 1.1's FindMember(StringRef) silently takes
// the const char* overload (strlen), which breaks keys that are not NUL-terminated.
Value key_ref(std::string_view key) {
  return Value(rapidjson::StringRef(key.data(), key.size()));
}

}  // namespace

const Value* find(const Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key_ref(key));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

Value* find(Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key_ref(key));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

const Value* find_path(const Value& root, std::initializer_list<std::string_view> path) {
  const Value* node = &root;
  for (std::string_view key : path) {
    node = find(*node, key);
    if (node == nullptr) return nullptr;
  }
  return node;
}

std::string_view get_string(const Value& object, std::string_view key, std::string_view fallback) {
  const Value* v = find(object, key);
  return (v != nullptr && v->IsString()) ? as_string(*v) : fallback;
}

std::int64_t get_int(const Value& object, std::string_view key, std::int64_t fallback) {
  const Value* v = find(object, key);
  if (v == nullptr) return fallback;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsUint64()) return static_cast<std::int64_t>(v->GetUint64());
  return fallback;
}

bool get_bool(const Value& object, std::string_view key, bool fallback) {
  const Value* v = find(object, key);
  return (v != nullptr && v->IsBool()) ? v->GetBool() : fallback;
}

Value make_string(std::string_view s, Allocator& a) {
  // An empty view may carry a null pointer, which RapidJSON asserts against.
  return Value(s.empty() ? "" : s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

Value& set(Value& object, std::string_view key, Value value, Allocator& a) {
  if (!object.IsObject()) object.SetObject();
  if (Value* existing = find(object, key)) {
    *existing = std::move(value);
    return *existing;
  }
  object.AddMember(make_string(key, a), std::move(value), a);
  return (object.MemberEnd() - 1)->value;
}

Value& set_string(Value& object, std::string_view key, std::string_view s, Allocator& a) {
  return set(object, key, make_string(s, a), a);
}

Value& ensure_object(Value& object, std::string_view key, Allocator& a) {
  Value* v = find(object, key);
  if (v != nullptr && v->IsObject()) return *v;
  return set(object, key, Value(rapidjson::kObjectType), a);
}

Value& ensure_array(Value& object, std::string_view key, Allocator& a) {
  Value* v = find(object, key);
  if (v != nullptr && v->IsArray()) return *v;
  return set(object, key, Value(rapidjson::kArrayType), a);
}

bool remove(Value& object, std::string_view key) {
  if (!object.IsObject()) return false;
  auto it = object.FindMember(key_ref(key));
  if (it == object.MemberEnd()) return false;
  object.EraseMember(it);  // keeps member order, as Go's encoder output does
  return true;
}

Document copy(const Value& value) {
  Document doc;
  doc.CopyFrom(value, doc.GetAllocator());
  return doc;
}

bool equal(const Value& a, const Value& b) {
  return a == b;
}

}  // namespace kube::json
