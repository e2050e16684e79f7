#include "webhooks/admission/json_patch.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "kube/patch/patch.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;

class Differ {
 public:
  explicit Differ(json::Document& out) : out_(out), a_(out.GetAllocator()) {}

  void diff(const json::Value& from, const json::Value& to, std::string& path) {
    if (from.IsObject() && to.IsObject()) {
      diff_objects(from, to, path);
    } else if (from.IsArray() && to.IsArray()) {
      diff_arrays(from, to, path);
    } else if (!json::equal(from, to)) {
      emit("replace", path, &to);
    }
  }

 private:
  // `path` is extended and restored in place: one string for the whole walk.
  void diff_objects(const json::Value& from, const json::Value& to, std::string& path) {
    const std::size_t base = path.size();
    for (const auto& m : from.GetObject()) {
      append_token(path, json::as_string(m.name));
      auto next = to.FindMember(m.name);
      if (next != to.MemberEnd()) {
        diff(m.value, next->value, path);
      } else {
        emit("remove", path, nullptr);
      }
      path.resize(base);
    }
    for (const auto& m : to.GetObject()) {
      if (from.FindMember(m.name) == from.MemberEnd()) {
        append_token(path, json::as_string(m.name));
        emit("add", path, &m.value);
        path.resize(base);
      }
    }
  }

  void diff_arrays(const json::Value& from, const json::Value& to, std::string& path) {
    const std::size_t base = path.size();
    const rapidjson::SizeType n = from.Size();
    const rapidjson::SizeType m = to.Size();
    const rapidjson::SizeType common = n < m ? n : m;
    for (rapidjson::SizeType i = 0; i < common; ++i) {
      path += '/';
      path += std::to_string(i);
      diff(from[i], to[i], path);
      path.resize(base);
    }
    if (m > n) {
      path += "/-";
      for (rapidjson::SizeType i = n; i < m; ++i)
        emit("add", path, &to[i]);
      path.resize(base);
    } else {
      for (rapidjson::SizeType i = n; i > m; --i) {
        path += '/';
        path += std::to_string(i - 1);
        emit("remove", path, nullptr);
        path.resize(base);
      }
    }
  }

  static void append_token(std::string& path, std::string_view token) {
    path += '/';
    if (token.find_first_of("~/") == std::string_view::npos) {
      path += token;
    } else {
      path += kube::patch::escape_pointer_token(token);
    }
  }

  void emit(std::string_view op, const std::string& path, const json::Value* value) {
    json::Value entry(rapidjson::kObjectType);
    entry.AddMember("op", json::make_string(op, a_), a_);
    entry.AddMember("path", json::make_string(path, a_), a_);
    if (value != nullptr) entry.AddMember("value", json::Value(*value, a_), a_);
    out_.PushBack(std::move(entry), a_);
  }

  json::Document& out_;
  json::Allocator& a_;
};

}  // namespace

json::Document minimal_json_patch(const json::Value& from, const json::Value& to) {
  json::Document out(rapidjson::kArrayType);
  std::string path;
  Differ(out).diff(from, to, path);
  return out;
}

bool has_duplicate_members(const json::Value& value) {
  if (value.IsArray()) {
    for (const auto& v : value.GetArray()) {
      if (has_duplicate_members(v)) return true;
    }
    return false;
  }
  if (!value.IsObject()) return false;
  const auto begin = value.MemberBegin();
  const auto end = value.MemberEnd();
  const auto count = static_cast<std::size_t>(end - begin);
  if (count <= 16) {
    // Kubernetes objects are mostly small maps: pairwise is cheaper than sorting.
    for (auto a = begin; a != end; ++a) {
      for (auto b = a + 1; b != end; ++b) {
        if (a->name == b->name) return true;
      }
    }
  } else {
    std::vector<std::string_view> names;
    names.reserve(count);
    for (auto m = begin; m != end; ++m)
      names.push_back(json::as_string(m->name));
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end()) return true;
  }
  for (auto m = begin; m != end; ++m) {
    if (has_duplicate_members(m->value)) return true;
  }
  return false;
}

}  // namespace berth::webhooks
