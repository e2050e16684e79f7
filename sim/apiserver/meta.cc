#include "sim/apiserver/meta.h"

#include <algorithm>
#include <vector>

#include "kube/core/strings.h"

namespace berth::sim {

namespace json = kube::json;

namespace {

constexpr std::string_view kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr std::string_view kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr std::string_view kDns1035Msg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
constexpr std::string_view kQualifiedNameMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr std::string_view kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
  return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool is_subdomain_syntax(std::string_view s) {
  if (s.empty()) return false;
  for (std::string_view part : kube::split(s, '.')) {
    if (part.empty() || !lower_alnum(part.front()) || !lower_alnum(part.back())) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return lower_alnum(c) || c == '-'; }))
      return false;
  }
  return true;
}

bool is_qualified_name_part(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string_view go_json_type(const json::Value& v) {
  if (v.IsString()) return "string";
  if (v.IsNumber()) return "number";
  if (v.IsBool()) return "bool";
  if (v.IsArray()) return "array";
  if (v.IsObject()) return "object";
  return "null";
}

std::string unmarshal_error(const json::Value& v, std::string_view field, std::string_view type) {
  return "json: cannot unmarshal " + std::string(go_json_type(v)) +
         " into Go struct field ObjectMeta.metadata." + std::string(field) + " of type " +
         std::string(type);
}

}  // namespace

std::vector<std::string> name_problems(std::string_view name, NameRule rule) {
  std::vector<std::string> out;
  switch (rule) {
    case NameRule::kSubdomain:
      if (name.size() > 253) out.emplace_back("must be no more than 253 characters");
      if (!is_subdomain_syntax(name)) out.emplace_back(kSubdomainMsg);
      break;
    case NameRule::kLabel: {
      if (name.size() > 63) out.emplace_back("must be no more than 63 characters");
      bool ok =
          !name.empty() && lower_alnum(name.front()) && lower_alnum(name.back()) &&
          std::all_of(name.begin(), name.end(), [](char c) { return lower_alnum(c) || c == '-'; });
      if (!ok) out.emplace_back(kLabelMsg);
      break;
    }
    case NameRule::kDns1035Label: {
      if (name.size() > 63) out.emplace_back("must be no more than 63 characters");
      bool ok =
          !name.empty() && name.front() >= 'a' && name.front() <= 'z' && lower_alnum(name.back()) &&
          std::all_of(name.begin(), name.end(), [](char c) { return lower_alnum(c) || c == '-'; });
      if (!ok) out.emplace_back(kDns1035Msg);
      break;
    }
    case NameRule::kPathSegment:
      if (name == "." || name == "..") {
        out.push_back("may not be '" + std::string(name) + "'");
      } else {
        if (name.find('/') != std::string_view::npos) out.emplace_back("may not contain '/'");
        if (name.find('%') != std::string_view::npos) out.emplace_back("may not contain '%'");
      }
      break;
  }
  return out;
}

FieldErrors validate_labels(const json::Value& labels, const std::string& field) {
  FieldErrors errs;
  if (!labels.IsObject()) return errs;
  for (const auto& m : labels.GetObject()) {
    std::string_view key = json::as_string(m.name);
    std::string_view name = key;
    auto slash = key.find('/');
    if (slash != std::string_view::npos) {
      std::string_view prefix = key.substr(0, slash);
      name = key.substr(slash + 1);
      if (prefix.empty()) {
        errs.push_back(FieldError::invalid(field, go_quote(key), "prefix part must be non-empty"));
      } else {
        for (auto& p : name_problems(prefix, NameRule::kSubdomain)) {
          errs.push_back(FieldError::invalid(field, go_quote(key), "prefix part " + p));
        }
      }
    }
    if (name.empty()) {
      errs.push_back(FieldError::invalid(field, go_quote(key), "name part must be non-empty"));
    } else if (name.size() > 63) {
      errs.push_back(FieldError::invalid(field, go_quote(key),
                                         "name part must be no more than 63 characters"));
    } else if (!is_qualified_name_part(name)) {
      errs.push_back(FieldError::invalid(field, go_quote(key), std::string(kQualifiedNameMsg)));
    }
    if (!m.value.IsString()) continue;
    std::string_view value = json::as_string(m.value);
    if (value.size() > 63) {
      errs.push_back(
          FieldError::invalid(field, go_quote(value), "must be no more than 63 characters"));
    } else if (!value.empty() && !is_qualified_name_part(value)) {
      errs.push_back(FieldError::invalid(field, go_quote(value), std::string(kLabelValueMsg)));
    }
  }
  return errs;
}

FieldErrors validate_object_meta(const json::Value& metadata, NameRule rule, bool namespaced) {
  FieldErrors errs;
  std::string_view name = json::get_string(metadata, "name");
  std::string_view generate = json::get_string(metadata, "generateName");
  if (!generate.empty()) {
    // The apiserver judges a prefix with its trailing '-' masked, since a suffix follows.
    std::string masked(generate);
    if (masked.back() == '-') masked.back() = 'a';
    for (auto& p : name_problems(masked, rule)) {
      errs.push_back(FieldError::invalid("metadata.generateName", go_quote(generate), p));
    }
  }
  if (name.empty()) {
    errs.push_back(FieldError::required("metadata.name", "name or generateName is required"));
  } else {
    for (auto& p : name_problems(name, rule)) {
      errs.push_back(FieldError::invalid("metadata.name", go_quote(name), p));
    }
  }
  std::string_view ns = json::get_string(metadata, "namespace");
  if (namespaced && ns.empty()) {
    errs.push_back(FieldError::required("metadata.namespace"));
  } else if (!namespaced && !ns.empty()) {
    errs.push_back(FieldError::forbidden("metadata.namespace", "not allowed on this type"));
  }
  if (const json::Value* labels = json::find(metadata, "labels")) {
    auto more = validate_labels(*labels, "metadata.labels");
    errs.insert(errs.end(), more.begin(), more.end());
  }
  if (const json::Value* annotations = json::find(metadata, "annotations");
      annotations != nullptr && annotations->IsObject()) {
    std::size_t total = 0;
    for (const auto& m : annotations->GetObject()) {
      total += m.name.GetStringLength() + (m.value.IsString() ? m.value.GetStringLength() : 0);
    }
    if (total > 256 * 1024) {
      errs.push_back({FieldError::Type::kTooLong, "metadata.annotations", "",
                      "must have at most 262144 bytes"});
    }
  }
  if (const json::Value* refs = json::find(metadata, "ownerReferences");
      refs != nullptr && refs->IsArray()) {
    int controllers = 0;
    for (rapidjson::SizeType i = 0; i < refs->Size(); ++i) {
      const json::Value& ref = (*refs)[i];
      std::string base = "metadata.ownerReferences[" + std::to_string(i) + "]";
      if (json::get_string(ref, "apiVersion").empty()) {
        errs.push_back(
            FieldError::invalid(base + ".apiVersion", "\"\"", "version must not be empty"));
      }
      if (json::get_string(ref, "kind").empty()) {
        errs.push_back(FieldError::invalid(base + ".kind", "\"\"", "kind must not be empty"));
      }
      if (json::get_string(ref, "name").empty()) {
        errs.push_back(FieldError::invalid(base + ".name", "\"\"", "name must not be empty"));
      }
      if (json::get_string(ref, "uid").empty()) {
        errs.push_back(FieldError::invalid(base + ".uid", "\"\"", "uid must not be empty"));
      }
      if (json::get_bool(ref, "controller")) ++controllers;
    }
    if (controllers > 1) {
      errs.push_back(FieldError::invalid("metadata.ownerReferences", "",
                                         "Only one reference can have Controller set to true"));
    }
  }
  return errs;
}

FieldErrors validate_object_meta_update(const json::Value& metadata,
                                        const json::Value& old_metadata) {
  FieldErrors errs;
  auto immutable = [&](std::string_view key) {
    std::string_view now = json::get_string(metadata, key);
    std::string_view before = json::get_string(old_metadata, key);
    if (now != before) {
      errs.push_back(
          FieldError::invalid("metadata." + std::string(key), go_quote(now), "field is immutable"));
    }
  };
  immutable("name");
  immutable("namespace");
  if (json::find(old_metadata, "deletionTimestamp") != nullptr) {
    const json::Value* old_f = json::find(old_metadata, "finalizers");
    const json::Value* new_f = json::find(metadata, "finalizers");
    if (new_f != nullptr && new_f->IsArray()) {
      for (const auto& f : new_f->GetArray()) {
        bool existed = false;
        if (old_f != nullptr && old_f->IsArray()) {
          for (const auto& o : old_f->GetArray())
            existed = existed || o == f;
        }
        if (!existed) {
          errs.push_back(FieldError::forbidden("metadata.finalizers",
                                               "no new finalizers can be added if the object is "
                                               "being deleted, found new finalizers " +
                                                   std::string("[") +
                                                   std::string(json::as_string(f)) + "]"));
          break;
        }
      }
    }
  }
  return errs;
}

std::string generate_name(std::string_view prefix) {
  constexpr std::size_t kMaxPrefix = 63 - 5;
  if (prefix.size() > kMaxPrefix) prefix = prefix.substr(0, kMaxPrefix);
  return std::string(prefix) + kube::random_suffix(5);
}

std::optional<std::string> metadata_type_error(const json::Value& object) {
  const json::Value* meta = json::find(object, "metadata");
  if (meta == nullptr || meta->IsNull()) return std::nullopt;
  if (!meta->IsObject()) {
    return "json: cannot unmarshal " + std::string(go_json_type(*meta)) +
           " into Go struct field .metadata of type v1.ObjectMeta";
  }
  for (std::string_view key : {"name", "generateName", "namespace", "uid", "resourceVersion",
                               "creationTimestamp", "deletionTimestamp", "selfLink"}) {
    const json::Value* v = json::find(*meta, key);
    if (v != nullptr && !v->IsString() && !v->IsNull()) {
      if (key == "creationTimestamp" || key == "deletionTimestamp") {
        return unmarshal_error(*v, key, "v1.Time");
      }
      return unmarshal_error(*v, key, "string");
    }
  }
  for (std::string_view key : {"labels", "annotations"}) {
    const json::Value* v = json::find(*meta, key);
    if (v == nullptr || v->IsNull()) continue;
    if (!v->IsObject()) return unmarshal_error(*v, key, "map[string]string");
    for (const auto& m : v->GetObject()) {
      if (!m.value.IsString() && !m.value.IsNull()) return unmarshal_error(m.value, key, "string");
    }
  }
  if (const json::Value* v = json::find(*meta, "finalizers"); v != nullptr && !v->IsNull()) {
    if (!v->IsArray()) return unmarshal_error(*v, "finalizers", "[]string");
    for (const auto& f : v->GetArray()) {
      if (!f.IsString()) return unmarshal_error(f, "finalizers", "string");
    }
  }
  if (const json::Value* v = json::find(*meta, "ownerReferences"); v != nullptr && !v->IsNull()) {
    if (!v->IsArray()) return unmarshal_error(*v, "ownerReferences", "[]v1.OwnerReference");
  }
  if (const json::Value* v = json::find(*meta, "generation"); v != nullptr && !v->IsNull()) {
    if (!v->IsInt64()) return unmarshal_error(*v, "generation", "int64");
  }
  return std::nullopt;
}

void order_keys(json::Value& object, std::initializer_list<std::string_view> keys,
                json::Allocator& a) {
  if (!object.IsObject()) return;
  json::Value out(rapidjson::kObjectType);
  for (std::string_view key : keys) {
    for (auto& m : object.GetObject()) {
      if (m.name.IsString() && json::as_string(m.name) == key) {
        out.AddMember(m.name, m.value, a);  // moves; m.name becomes null
        break;
      }
    }
  }
  for (auto& m : object.GetObject()) {
    if (m.name.IsString()) out.AddMember(m.name, m.value, a);
  }
  object = std::move(out);
}

void order_object_meta(json::Value& metadata, json::Allocator& a) {
  sort_map(metadata, "labels", a);
  sort_map(metadata, "annotations", a);
  order_keys(metadata,
             {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
              "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
              "labels", "annotations", "ownerReferences", "finalizers", "managedFields"},
             a);
}

void sort_map(json::Value& parent, std::string_view key, json::Allocator& a) {
  json::Value* map = json::find(parent, key);
  if (map == nullptr || !map->IsObject()) return;
  std::vector<json::Value::Member*> members;
  for (auto& m : map->GetObject())
    members.push_back(&m);
  if (std::is_sorted(members.begin(), members.end(), [](const auto* x, const auto* y) {
        return json::as_string(x->name) < json::as_string(y->name);
      })) {
    return;
  }
  std::sort(members.begin(), members.end(), [](const auto* x, const auto* y) {
    return json::as_string(x->name) < json::as_string(y->name);
  });
  json::Value out(rapidjson::kObjectType);
  for (auto* m : members)
    out.AddMember(m->name, m->value, a);
  *map = std::move(out);
}

void canonicalize_builtin(json::Value& object, json::Allocator& a) {
  if (!object.IsObject()) return;
  order_keys(object, {"kind", "apiVersion", "metadata"}, a);
  if (json::Value* meta = json::find(object, "metadata"); meta != nullptr && meta->IsObject()) {
    order_object_meta(*meta, a);
    sort_map(*meta, "labels", a);
    sort_map(*meta, "annotations", a);
  }
  // status goes last, as every built-in struct declares it after spec.
  if (json::Value* status = json::find(object, "status"); status != nullptr) {
    json::Value moved = std::move(*status);
    json::remove(object, "status");
    object.AddMember("status", std::move(moved), a);
  }
}

void sort_keys(json::Value& value, json::Allocator& a) {
  if (value.IsArray()) {
    for (auto& v : value.GetArray())
      sort_keys(v, a);
    return;
  }
  if (!value.IsObject()) return;
  std::vector<json::Value::Member*> members;
  members.reserve(value.MemberCount());
  for (auto& m : value.GetObject()) {
    sort_keys(m.value, a);
    members.push_back(&m);
  }
  std::sort(members.begin(), members.end(), [](const auto* x, const auto* y) {
    return json::as_string(x->name) < json::as_string(y->name);
  });
  json::Value out(rapidjson::kObjectType);
  for (auto* m : members)
    out.AddMember(m->name, m->value, a);
  value = std::move(out);
}

}  // namespace berth::sim
