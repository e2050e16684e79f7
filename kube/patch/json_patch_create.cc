// RFC 6902 patch creation: the diff an admission webhook returns.
#include "kube/patch/json_util.h"
#include "kube/patch/patch.h"

namespace kube::patch {
namespace {

class Differ {
 public:
  explicit Differ(json::Document& out) : out_(out), a_(out.GetAllocator()) {}

  void diff(const json::Value& from, const json::Value& to, const std::string& path) {
    if (from.IsObject() && to.IsObject()) {
      diff_objects(from, to, path);
    } else if (from.IsArray() && to.IsArray()) {
      diff_arrays(from, to, path);
    } else if (!json::equal(from, to)) {
      emit("replace", path, &to);
    }
  }

 private:
  void diff_objects(const json::Value& from, const json::Value& to, const std::string& path) {
    for (const auto& m : from.GetObject()) {
      std::string child = path + "/" + escape_pointer_token(json::as_string(m.name));
      if (const json::Value* next = internal::member(to, json::as_string(m.name))) {
        diff(m.value, *next, child);
      } else {
        emit("remove", child, nullptr);
      }
    }
    for (const auto& m : to.GetObject()) {
      if (internal::member(from, json::as_string(m.name)) == nullptr) {
        emit("add", path + "/" + escape_pointer_token(json::as_string(m.name)), &m.value);
      }
    }
  }

  // Same length: element by element. A longer array that starts with the old one: appends. A
  // shorter one that the old one starts with: removals from the end. Anything else: replaced.
  void diff_arrays(const json::Value& from, const json::Value& to, const std::string& path) {
    rapidjson::SizeType n = from.Size();
    rapidjson::SizeType m = to.Size();
    if (n == m) {
      for (rapidjson::SizeType i = 0; i < n; ++i)
        diff(from[i], to[i], path + "/" + std::to_string(i));
      return;
    }
    rapidjson::SizeType common = n < m ? n : m;
    bool prefix = true;
    for (rapidjson::SizeType i = 0; i < common && prefix; ++i)
      prefix = json::equal(from[i], to[i]);
    if (!prefix) {
      emit("replace", path, &to);
    } else if (m > n) {
      for (rapidjson::SizeType i = n; i < m; ++i)
        emit("add", path + "/-", &to[i]);
    } else {
      for (rapidjson::SizeType i = n; i > m; --i)
        emit("remove", path + "/" + std::to_string(i - 1), nullptr);
    }
  }

  void emit(std::string_view op, const std::string& path, const json::Value* value) {
    json::Value entry(rapidjson::kObjectType);
    entry.AddMember("op", json::make_string(op, a_), a_);
    entry.AddMember("path", json::make_string(path, a_), a_);
    if (value != nullptr) entry.AddMember("value", internal::copy(*value, a_), a_);
    out_.PushBack(std::move(entry), a_);
  }

  json::Document& out_;
  json::Allocator& a_;
};

}  // namespace

json::Document create_json_patch(const json::Value& from, const json::Value& to) {
  json::Document out(rapidjson::kArrayType);
  Differ(out).diff(from, to, "");
  return out;
}

}  // namespace kube::patch
