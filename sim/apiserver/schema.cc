#include "sim/apiserver/schema.h"

#include <algorithm>
#include <cmath>
#include <regex>

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

const Value* child(const Value& schema, std::string_view key) {
  const Value* v = json::find(schema, key);
  return (v != nullptr && v->IsObject()) ? v : nullptr;
}

bool preserves_unknown(const Value& schema) {
  return json::get_bool(schema, "x-kubernetes-preserve-unknown-fields");
}

// The schema that governs member `key` of an object described by `schema`; null = none.
const Value* property_schema(const Value& schema, std::string_view key) {
  if (const Value* props = child(schema, "properties")) {
    if (const Value* p = json::find(*props, key); p != nullptr && p->IsObject()) return p;
  }
  if (const Value* ap = json::find(schema, "additionalProperties")) {
    if (ap->IsObject()) return ap;
  }
  return nullptr;
}

bool allows_additional(const Value& schema) {
  const Value* ap = json::find(schema, "additionalProperties");
  return ap != nullptr && (ap->IsObject() || (ap->IsBool() && ap->GetBool()));
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string json_type(const Value& v) {
  if (v.IsString()) return "string";
  if (v.IsBool()) return "boolean";
  if (v.IsInt64() || v.IsUint64()) return "integer";
  if (v.IsNumber()) return "number";
  if (v.IsArray()) return "array";
  if (v.IsObject()) return "object";
  return "null";
}

bool type_matches(const Value& v, std::string_view type, const Value& schema) {
  if (json::get_bool(schema, "x-kubernetes-int-or-string")) {
    return v.IsString() || v.IsInt64() || v.IsUint64();
  }
  if (type.empty()) return true;
  if (type == "integer") return v.IsInt64() || v.IsUint64();
  if (type == "number") return v.IsNumber();
  if (type == "string") return v.IsString();
  if (type == "boolean") return v.IsBool();
  if (type == "object") return v.IsObject();
  if (type == "array") return v.IsArray();
  return true;
}

std::string number_text(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  std::string s = std::to_string(d);
  while (!s.empty() && s.back() == '0')
    s.pop_back();
  return s;
}

std::string bad_value(const Value& v) {
  if (v.IsNumber()) return v.IsDouble() ? number_text(v.GetDouble()) : json::dump(v);
  return go_value(v);
}

void validate_node(const Value& v, const Value& schema, const std::string& path,
                   FieldErrors& errs) {
  if (v.IsNull()) {
    if (json::get_bool(schema, "nullable")) return;
    std::string_view type = json::get_string(schema, "type");
    if (!type.empty()) {
      errs.push_back(FieldError::type_invalid(
          path, "\"null\"", path + " in body must be of type " + std::string(type) + ": \"null\""));
    }
    return;
  }
  std::string_view type = json::get_string(schema, "type");
  if (!type_matches(v, type, schema)) {
    std::string actual = json_type(v);
    errs.push_back(FieldError::type_invalid(
        path, go_quote(actual),
        path + " in body must be of type " + std::string(type) + ": " + go_quote(actual)));
    return;
  }
  if (const Value* en = json::find(schema, "enum"); en != nullptr && en->IsArray()) {
    bool found = false;
    for (const auto& e : en->GetArray())
      found = found || json::equal(e, v);
    if (!found) {
      std::vector<std::string> rendered;
      for (const auto& e : en->GetArray())
        rendered.push_back(bad_value(e));
      std::vector<std::string_view> views;
      FieldError fe{FieldError::Type::kNotSupported, path, bad_value(v), ""};
      std::string detail = "supported values: ";
      for (std::size_t i = 0; i < rendered.size(); ++i) {
        if (i > 0) detail.append(", ");
        detail.append(rendered[i]);
      }
      fe.detail = std::move(detail);
      errs.push_back(std::move(fe));
    }
  }
  if (v.IsNumber()) {
    double d = v.GetDouble();
    if (const Value* min = json::find(schema, "minimum"); min != nullptr && min->IsNumber()) {
      bool exclusive = json::get_bool(schema, "exclusiveMinimum");
      double m = min->GetDouble();
      if (exclusive ? d <= m : d < m) {
        errs.push_back(FieldError::invalid(path, bad_value(v),
                                           path + " in body should be greater than " +
                                               (exclusive ? "" : "or equal to ") + number_text(m)));
      }
    }
    if (const Value* max = json::find(schema, "maximum"); max != nullptr && max->IsNumber()) {
      bool exclusive = json::get_bool(schema, "exclusiveMaximum");
      double m = max->GetDouble();
      if (exclusive ? d >= m : d > m) {
        errs.push_back(FieldError::invalid(path, bad_value(v),
                                           path + " in body should be less than " +
                                               (exclusive ? "" : "or equal to ") + number_text(m)));
      }
    }
    if (const Value* mult = json::find(schema, "multipleOf"); mult != nullptr && mult->IsNumber()) {
      double m = mult->GetDouble();
      if (m > 0 && std::fmod(d, m) != 0) {
        errs.push_back(FieldError::invalid(
            path, bad_value(v), path + " in body should be a multiple of " + number_text(m)));
      }
    }
  }
  if (v.IsString()) {
    std::size_t length = 0;  // characters, not bytes
    for (unsigned char c : json::as_string(v))
      length += (c & 0xC0) != 0x80;
    std::int64_t min_len = json::get_int(schema, "minLength", -1);
    std::int64_t max_len = json::get_int(schema, "maxLength", -1);
    if (min_len >= 0 && static_cast<std::int64_t>(length) < min_len) {
      errs.push_back(FieldError::invalid(
          path, bad_value(v),
          path + " in body should be at least " + std::to_string(min_len) + " chars long"));
    }
    if (max_len >= 0 && static_cast<std::int64_t>(length) > max_len) {
      errs.push_back({FieldError::Type::kTooLong, path, "",
                      "may not be longer than " + std::to_string(max_len)});
    }
    std::string_view pattern = json::get_string(schema, "pattern");
    if (!pattern.empty()) {
      try {
        std::regex re{std::string(pattern), std::regex::ECMAScript};
        if (!std::regex_search(std::string(json::as_string(v)), re)) {
          errs.push_back(FieldError::invalid(
              path, bad_value(v), path + " in body should match '" + std::string(pattern) + "'"));
        }
      } catch (const std::regex_error&) {
        // A pattern std::regex cannot compile is not enforced (the CRD accepted it).
      }
    }
  }
  if (v.IsArray()) {
    std::int64_t min_items = json::get_int(schema, "minItems", -1);
    std::int64_t max_items = json::get_int(schema, "maxItems", -1);
    auto n = static_cast<std::int64_t>(v.Size());
    if (min_items >= 0 && n < min_items) {
      errs.push_back(FieldError::invalid(
          path, "",
          path + " in body should have at least " + std::to_string(min_items) + " items"));
    }
    if (max_items >= 0 && n > max_items) {
      errs.push_back({FieldError::Type::kTooMany, path, std::to_string(n),
                      "must have at most " + std::to_string(max_items) + " items"});
    }
    if (const Value* items = child(schema, "items")) {
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        validate_node(v[i], *items, path + "[" + std::to_string(i) + "]", errs);
      }
    }
  }
  if (v.IsObject()) {
    if (const Value* req = json::find(schema, "required"); req != nullptr && req->IsArray()) {
      for (const auto& r : req->GetArray()) {
        if (!r.IsString()) continue;
        if (json::find(v, json::as_string(r)) == nullptr) {
          errs.push_back(FieldError::required(join(path, json::as_string(r))));
        }
      }
    }
    std::int64_t min_props = json::get_int(schema, "minProperties", -1);
    std::int64_t max_props = json::get_int(schema, "maxProperties", -1);
    auto n = static_cast<std::int64_t>(v.MemberCount());
    if (min_props >= 0 && n < min_props) {
      errs.push_back(FieldError::invalid(
          path, "",
          path + " in body should have at least " + std::to_string(min_props) + " properties"));
    }
    if (max_props >= 0 && n > max_props) {
      errs.push_back(FieldError::invalid(
          path, "",
          path + " in body should have at most " + std::to_string(max_props) + " properties"));
    }
    // Members in key order, as the apiserver walks its (sorted) maps.
    std::vector<const Value::Member*> members;
    for (const auto& m : v.GetObject())
      members.push_back(&m);
    std::sort(members.begin(), members.end(), [](const auto* x, const auto* y) {
      return json::as_string(x->name) < json::as_string(y->name);
    });
    bool root = path.empty();
    for (const auto* m : members) {
      std::string_view key = json::as_string(m->name);
      if (root && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
      if (const Value* ps = property_schema(schema, key)) {
        validate_node(m->value, *ps, join(path, key), errs);
      }
    }
  }
}

void prune_node(Value& v, const Value& schema, const std::string& path, bool root,
                std::vector<std::string>& unknown) {
  if (v.IsArray()) {
    if (const Value* items = child(schema, "items")) {
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        prune_node(v[i], *items, path + "[" + std::to_string(i) + "]", false, unknown);
      }
    }
    return;
  }
  if (!v.IsObject()) return;
  bool keep_unknown = preserves_unknown(schema) || allows_additional(schema);
  bool embedded = json::get_bool(schema, "x-kubernetes-embedded-resource");
  for (auto it = v.MemberBegin(); it != v.MemberEnd();) {
    std::string_view key = json::as_string(it->name);
    bool meta_key =
        (root || embedded) && (key == "apiVersion" || key == "kind" || key == "metadata");
    const Value* ps = property_schema(schema, key);
    if (ps == nullptr && !meta_key && !keep_unknown) {
      unknown.push_back(join(path, key));
      it = v.EraseMember(it);
      continue;
    }
    if (ps != nullptr && !meta_key) prune_node(it->value, *ps, join(path, key), false, unknown);
    ++it;
  }
}

void default_node(Value& v, const Value& schema, json::Allocator& a) {
  if (v.IsArray()) {
    if (const Value* items = child(schema, "items")) {
      for (auto& e : v.GetArray())
        default_node(e, *items, a);
    }
    return;
  }
  if (!v.IsObject()) return;
  if (const Value* props = child(schema, "properties")) {
    for (const auto& p : props->GetObject()) {
      if (!p.value.IsObject()) continue;
      const Value* def = json::find(p.value, "default");
      std::string_view key = json::as_string(p.name);
      if (def != nullptr && json::find(v, key) == nullptr) {
        json::set(v, key, Value(*def, a), a);
      }
      if (Value* member = json::find(v, key)) default_node(*member, p.value, a);
    }
  }
  if (const Value* ap = child(schema, "additionalProperties")) {
    for (auto& m : v.GetObject()) {
      if (property_schema(schema, json::as_string(m.name)) == ap) default_node(m.value, *ap, a);
    }
  }
}

}  // namespace

StructuralSchema::StructuralSchema(const Value* schema) {
  if (schema != nullptr && schema->IsObject()) {
    schema_.CopyFrom(*schema, schema_.GetAllocator());
    empty_ = false;
  }
}

void StructuralSchema::apply_defaults(Value& object, json::Allocator& a) const {
  if (!empty_) default_node(object, schema_, a);
}

std::vector<std::string> StructuralSchema::prune(Value& object) const {
  std::vector<std::string> unknown;
  if (!empty_) prune_node(object, schema_, "", true, unknown);
  return unknown;
}

FieldErrors StructuralSchema::validate(const Value& object) const {
  FieldErrors errs;
  if (!empty_) validate_node(object, schema_, "", errs);
  return errs;
}

}  // namespace berth::sim
