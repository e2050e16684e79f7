#include "kube/patch/field_set.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "kube/patch/json_util.h"

namespace kube::patch {
namespace {

template <typename T>
std::strong_ordering compare_values(const T& a, const T& b) {
  if (a < b) return std::strong_ordering::less;
  if (b < a) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

// Go's %v of a float64 ('g' with the shortest representation that round-trips).
std::string go_float(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e21) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return buf;
  }
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

Error invalid(std::string message) {
  return Error::make(Reason::kInvalid, std::move(message), 422);
}

Status parse_into(const json::Value& node, FieldPath& prefix, FieldSet& out) {
  if (!node.IsObject()) return invalid("fieldsV1 entries must be objects");
  for (const auto& m : node.GetObject()) {
    std::string_view name = json::as_string(m.name);
    if (name == ".") {
      if (prefix.empty()) return invalid("fieldsV1: \".\" is not allowed at the top level");
      out.insert(prefix);
      continue;
    }
    if (name.size() < 2 || name[1] != ':') {
      return invalid("fieldsV1: unknown path element \"" + std::string(name) + "\"");
    }
    std::string_view body = name.substr(2);
    PathElement pe;
    switch (name[0]) {
      case 'f':
        pe = PathElement::of_field(body);
        break;
      case 'i': {
        std::int64_t index = 0;
        auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), index);
        if (ec != std::errc() || end != body.data() + body.size()) {
          return invalid("fieldsV1: bad index in \"" + std::string(name) + "\"");
        }
        pe = PathElement::of_index(index);
        break;
      }
      case 'v':
      case 'k': {
        auto parsed = json::parse(body);
        if (!parsed.ok()) return invalid("fieldsV1: bad value in \"" + std::string(name) + "\"");
        if (name[0] == 'v') {
          pe = PathElement::of_value(*parsed);
          break;
        }
        if (!parsed->IsObject()) {
          return invalid("fieldsV1: a key must be an object in \"" + std::string(name) + "\"");
        }
        std::vector<std::pair<std::string, KeyValue>> fields;
        for (const auto& f : parsed->GetObject()) {
          fields.emplace_back(std::string(json::as_string(f.name)), KeyValue::from(f.value));
        }
        pe = PathElement::of_key(std::move(fields));
        break;
      }
      default:
        return invalid("fieldsV1: unknown path element \"" + std::string(name) + "\"");
    }
    prefix.push_back(std::move(pe));
    if (!m.value.IsObject()) return invalid("fieldsV1 entries must be objects");
    if (m.value.ObjectEmpty()) {
      out.insert(prefix);
    } else {
      KUBE_RETURN_IF_ERROR(parse_into(m.value, prefix, out));
    }
    prefix.pop_back();
  }
  return ok_status();
}

using Iterator = std::set<FieldPath>::const_iterator;

// Emits the entries of the paths in [begin, end), which share their first `depth` elements.
void emit(Iterator begin, Iterator end, std::size_t depth, json::Value& out, json::Allocator& a) {
  Iterator it = begin;
  while (it != end) {
    const PathElement& pe = (*it)[depth];
    bool member = false;
    Iterator group_end = it;
    while (group_end != end && (*group_end)[depth] == pe) {
      if (group_end->size() == depth + 1) member = true;
      ++group_end;
    }
    json::Value entry(rapidjson::kObjectType);
    Iterator children = member ? std::next(it) : it;
    if (children != group_end) {
      if (member) entry.AddMember(".", json::Value(rapidjson::kObjectType), a);
      emit(children, group_end, depth + 1, entry, a);
    }
    out.AddMember(json::make_string(pe.serialize(), a), std::move(entry), a);
    it = group_end;
  }
}

}  // namespace

KeyValue KeyValue::from(const json::Value& value) {
  KeyValue k;
  k.json = json::dump(value);
  if (value.IsNumber()) {
    k.type = Type::kNumber;
    k.number = value.GetDouble();
    if (value.IsInt64()) {
      k.is_integer = true;
      k.integer = value.GetInt64();
    }
  } else if (value.IsString()) {
    k.type = Type::kString;
    k.text = std::string(json::as_string(value));
  } else if (value.IsBool()) {
    k.type = Type::kBool;
    k.boolean = value.GetBool();
  } else if (value.IsNull()) {
    k.type = Type::kNull;
  } else {
    k.type = Type::kComposite;
    k.text = k.json;
  }
  return k;
}

std::string KeyValue::to_string() const {
  switch (type) {
    case Type::kNumber:
      return is_integer ? std::to_string(integer) : go_float(number);
    case Type::kString:
      return internal::go_quote(text);
    case Type::kBool:
      return boolean ? "true" : "false";
    case Type::kNull:
      return "null";
    case Type::kComposite:
      break;
  }
  return text;
}

std::strong_ordering operator<=>(const KeyValue& a, const KeyValue& b) {
  if (a.type != b.type) return compare_values(a.type, b.type);
  switch (a.type) {
    case KeyValue::Type::kNumber:
      if (a.is_integer && b.is_integer) return compare_values(a.integer, b.integer);
      return compare_values(a.number, b.number);
    case KeyValue::Type::kString:
    case KeyValue::Type::kComposite:
      return compare_values(a.text, b.text);
    case KeyValue::Type::kBool:
      return compare_values(a.boolean, b.boolean);
    case KeyValue::Type::kNull:
      break;
  }
  return std::strong_ordering::equal;
}

PathElement PathElement::of_field(std::string_view name) {
  PathElement pe;
  pe.kind = Kind::kField;
  pe.field = std::string(name);
  return pe;
}

PathElement PathElement::of_index(std::int64_t i) {
  PathElement pe;
  pe.kind = Kind::kIndex;
  pe.index = i;
  return pe;
}

PathElement PathElement::of_value(const json::Value& v) {
  PathElement pe;
  pe.kind = Kind::kValue;
  pe.value = KeyValue::from(v);
  return pe;
}

PathElement PathElement::of_key(std::vector<std::pair<std::string, KeyValue>> fields) {
  PathElement pe;
  pe.kind = Kind::kKey;
  std::sort(fields.begin(), fields.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  pe.key = std::move(fields);
  return pe;
}

std::string PathElement::serialize() const {
  switch (kind) {
    case Kind::kField:
      return "f:" + field;
    case Kind::kKey: {
      std::string out = "k:{";
      for (std::size_t i = 0; i < key.size(); ++i) {
        if (i > 0) out += ',';
        out += internal::json_quote(key[i].first);
        out += ':';
        out += key[i].second.json;
      }
      out += '}';
      return out;
    }
    case Kind::kValue:
      return "v:" + value.json;
    case Kind::kIndex:
      return "i:" + std::to_string(index);
  }
  return "";
}

std::string PathElement::to_string() const {
  switch (kind) {
    case Kind::kField:
      return "." + field;
    case Kind::kKey: {
      std::string out = "[";
      for (std::size_t i = 0; i < key.size(); ++i) {
        if (i > 0) out += ',';
        out += key[i].first + "=" + key[i].second.to_string();
      }
      return out + "]";
    }
    case Kind::kValue:
      return "[=" + value.to_string() + "]";
    case Kind::kIndex:
      return "[" + std::to_string(index) + "]";
  }
  return "";
}

std::strong_ordering operator<=>(const PathElement& a, const PathElement& b) {
  if (a.kind != b.kind) return compare_values(a.kind, b.kind);
  switch (a.kind) {
    case PathElement::Kind::kField:
      return compare_values(a.field, b.field);
    case PathElement::Kind::kKey: {
      for (std::size_t i = 0; i < a.key.size() && i < b.key.size(); ++i) {
        if (auto c = compare_values(a.key[i].first, b.key[i].first); c != 0) return c;
        if (auto c = a.key[i].second <=> b.key[i].second; c != 0) return c;
      }
      return compare_values(a.key.size(), b.key.size());
    }
    case PathElement::Kind::kValue:
      return a.value <=> b.value;
    case PathElement::Kind::kIndex:
      return compare_values(a.index, b.index);
  }
  return std::strong_ordering::equal;
}

std::string path_string(const FieldPath& path) {
  std::string out;
  for (const PathElement& pe : path)
    out += pe.to_string();
  return out;
}

Result<FieldSet> FieldSet::from_fields_v1(const json::Value& fields) {
  FieldSet set;
  FieldPath prefix;
  KUBE_RETURN_IF_ERROR(parse_into(fields, prefix, set));
  return set;
}

json::Value FieldSet::to_fields_v1(json::Allocator& allocator) const {
  json::Value out(rapidjson::kObjectType);
  emit(paths_.begin(), paths_.end(), 0, out, allocator);
  return out;
}

bool FieldSet::has_prefix(const FieldPath& prefix) const {
  auto it = paths_.lower_bound(prefix);
  return it != paths_.end() && it->size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), it->begin());
}

FieldSet FieldSet::union_with(const FieldSet& other) const {
  FieldSet out = *this;
  out.paths_.insert(other.paths_.begin(), other.paths_.end());
  return out;
}

FieldSet FieldSet::intersection(const FieldSet& other) const {
  FieldSet out;
  std::set_intersection(paths_.begin(), paths_.end(), other.paths_.begin(), other.paths_.end(),
                        std::inserter(out.paths_, out.paths_.end()));
  return out;
}

FieldSet FieldSet::difference(const FieldSet& other) const {
  FieldSet out;
  std::set_difference(paths_.begin(), paths_.end(), other.paths_.begin(), other.paths_.end(),
                      std::inserter(out.paths_, out.paths_.end()));
  return out;
}

FieldSet FieldSet::recursive_difference(const FieldSet& other) const {
  FieldSet out;
  for (const FieldPath& p : paths_) {
    bool covered = false;
    for (std::size_t n = 1; n <= p.size() && !covered; ++n) {
      covered = other.contains(FieldPath(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n)));
    }
    if (!covered) out.paths_.insert(p);
  }
  return out;
}

}  // namespace kube::patch
