#include "sim/apiserver/protobuf.h"

#include <cstdint>
#include <optional>
#include <vector>

#include "kube/core/strings.h"
#include "kube/core/time.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

enum class FieldType {
  kString,
  kBytes,  // base64 in JSON
  kInt64,
  kBool,
  kMessage,
  kTime,       // metav1.Time {seconds, nanos}
  kStringMap,  // map<string, string>
  kBytesMap,   // map<string, bytes>
  kRepeatedString,
  kRepeatedMessage,
};

struct Message;

struct Field {
  int number;
  const char* name;
  FieldType type;
  const Message* message = nullptr;
};

struct Message {
  std::vector<Field> fields;
  const Field* find(int number) const {
    for (const auto& f : fields) {
      if (f.number == number) return &f;
    }
    return nullptr;
  }
};

// Field numbers from the Kubernetes generated.proto files.
const Message kOwnerReference{{{1, "kind", FieldType::kString},
                               {3, "name", FieldType::kString},
                               {4, "uid", FieldType::kString},
                               {5, "apiVersion", FieldType::kString},
                               {6, "controller", FieldType::kBool},
                               {7, "blockOwnerDeletion", FieldType::kBool}}};
const Message kObjectMeta{{{1, "name", FieldType::kString},
                           {2, "generateName", FieldType::kString},
                           {3, "namespace", FieldType::kString},
                           {4, "selfLink", FieldType::kString},
                           {5, "uid", FieldType::kString},
                           {6, "resourceVersion", FieldType::kString},
                           {7, "generation", FieldType::kInt64},
                           {8, "creationTimestamp", FieldType::kTime},
                           {9, "deletionTimestamp", FieldType::kTime},
                           {10, "deletionGracePeriodSeconds", FieldType::kInt64},
                           {11, "labels", FieldType::kStringMap},
                           {12, "annotations", FieldType::kStringMap},
                           {13, "ownerReferences", FieldType::kRepeatedMessage, &kOwnerReference},
                           {14, "finalizers", FieldType::kRepeatedString}}};
const Message kObjectReference{{{1, "kind", FieldType::kString},
                                {2, "namespace", FieldType::kString},
                                {3, "name", FieldType::kString},
                                {4, "uid", FieldType::kString},
                                {5, "apiVersion", FieldType::kString},
                                {6, "resourceVersion", FieldType::kString},
                                {7, "fieldPath", FieldType::kString}}};
const Message kLocalObjectReference{{{1, "name", FieldType::kString}}};
const Message kConfigMap{{{1, "metadata", FieldType::kMessage, &kObjectMeta},
                          {2, "data", FieldType::kStringMap},
                          {3, "binaryData", FieldType::kBytesMap},
                          {4, "immutable", FieldType::kBool}}};
const Message kSecret{{{1, "metadata", FieldType::kMessage, &kObjectMeta},
                       {2, "data", FieldType::kBytesMap},
                       {3, "type", FieldType::kString},
                       {4, "stringData", FieldType::kStringMap},
                       {5, "immutable", FieldType::kBool}}};
const Message kNamespaceSpec{{{1, "finalizers", FieldType::kRepeatedString}}};
const Message kNamespaceStatus{{{1, "phase", FieldType::kString}}};
const Message kNamespace{{{1, "metadata", FieldType::kMessage, &kObjectMeta},
                          {2, "spec", FieldType::kMessage, &kNamespaceSpec},
                          {3, "status", FieldType::kMessage, &kNamespaceStatus}}};
const Message kServiceAccount{
    {{1, "metadata", FieldType::kMessage, &kObjectMeta},
     {2, "secrets", FieldType::kRepeatedMessage, &kObjectReference},
     {3, "imagePullSecrets", FieldType::kRepeatedMessage, &kLocalObjectReference},
     {4, "automountServiceAccountToken", FieldType::kBool}}};
const Message kTime{{{1, "seconds", FieldType::kInt64}, {2, "nanos", FieldType::kInt64}}};

const Message* message_for(std::string_view kind) {
  if (kind == "ConfigMap") return &kConfigMap;
  if (kind == "Secret") return &kSecret;
  if (kind == "Namespace") return &kNamespace;
  if (kind == "ServiceAccount") return &kServiceAccount;
  return nullptr;
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  std::optional<std::uint64_t> varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return std::nullopt;
      auto b = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return std::nullopt;
  }
  std::optional<std::string_view> bytes() {
    auto n = varint();
    if (!n || *n > data_.size() - pos_) return std::nullopt;
    std::string_view out = data_.substr(pos_, *n);
    pos_ += *n;
    return out;
  }
  bool skip(int wire_type) {
    switch (wire_type) {
      case 0:
        return varint().has_value();
      case 1:
        if (data_.size() - pos_ < 8) return false;
        pos_ += 8;
        return true;
      case 2:
        return bytes().has_value();
      case 5:
        if (data_.size() - pos_ < 4) return false;
        pos_ += 4;
        return true;
      default:
        return false;
    }
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

ApiError malformed() {
  return errors::bad_request(
      "the object provided is unrecognized: couldn't decode the protobuf body");
}

// Map entries are messages {1: key, 2: value}.
ApiStatus map_entry(std::string_view entry, bool bytes_value, Value& map, json::Allocator& a) {
  Reader r(entry);
  std::string key;
  std::string value;
  while (!r.done()) {
    auto tag = r.varint();
    if (!tag) return malformed();
    int number = static_cast<int>(*tag >> 3);
    int wire = static_cast<int>(*tag & 7);
    if (wire != 2 || (number != 1 && number != 2)) {
      if (!r.skip(wire)) return malformed();
      continue;
    }
    auto b = r.bytes();
    if (!b) return malformed();
    (number == 1 ? key : value) = std::string(*b);
  }
  json::set_string(map, key, bytes_value ? kube::base64_encode(value) : value, a);
  return {};
}

ApiStatus decode(std::string_view data, const Message& message, Value& out, json::Allocator& a,
                 int depth) {
  if (depth > 16) return malformed();
  Reader r(data);
  while (!r.done()) {
    auto tag = r.varint();
    if (!tag) return malformed();
    int number = static_cast<int>(*tag >> 3);
    int wire = static_cast<int>(*tag & 7);
    const Field* field = message.find(number);
    if (field == nullptr) {
      if (!r.skip(wire)) return malformed();
      continue;
    }
    if (field->type == FieldType::kInt64 || field->type == FieldType::kBool) {
      if (wire != 0) return malformed();
      auto v = r.varint();
      if (!v) return malformed();
      // Go's JSON omits zero values of these optional fields.
      if (*v == 0) continue;
      if (field->type == FieldType::kBool) {
        json::set(out, field->name, Value(true), a);
      } else {
        json::set(out, field->name, Value(static_cast<std::int64_t>(*v)), a);
      }
      continue;
    }
    if (wire != 2) return malformed();
    auto b = r.bytes();
    if (!b) return malformed();
    switch (field->type) {
      case FieldType::kString:
        if (!b->empty()) json::set_string(out, field->name, *b, a);
        break;
      case FieldType::kBytes:
        json::set_string(out, field->name, kube::base64_encode(*b), a);
        break;
      case FieldType::kMessage: {
        Value child(rapidjson::kObjectType);
        KUBE_RETURN_IF_ERROR(decode(*b, *field->message, child, a, depth + 1));
        json::set(out, field->name, std::move(child), a);
        break;
      }
      case FieldType::kTime: {
        Value t(rapidjson::kObjectType);
        KUBE_RETURN_IF_ERROR(decode(*b, kTime, t, a, depth + 1));
        std::int64_t seconds = json::get_int(t, "seconds", 0);
        if (seconds != 0) {
          json::set_string(out, field->name,
                           kube::format_time(kube::SystemTime(std::chrono::seconds(seconds))), a);
        }
        break;
      }
      case FieldType::kStringMap:
      case FieldType::kBytesMap:
        KUBE_RETURN_IF_ERROR(map_entry(*b, field->type == FieldType::kBytesMap,
                                       json::ensure_object(out, field->name, a), a));
        break;
      case FieldType::kRepeatedString:
        json::ensure_array(out, field->name, a).PushBack(json::make_string(*b, a), a);
        break;
      case FieldType::kRepeatedMessage: {
        Value child(rapidjson::kObjectType);
        KUBE_RETURN_IF_ERROR(decode(*b, *field->message, child, a, depth + 1));
        json::ensure_array(out, field->name, a).PushBack(std::move(child), a);
        break;
      }
      default:
        return malformed();
    }
  }
  return {};
}

}  // namespace

bool protobuf_decodable(std::string_view kind) {
  return message_for(kind) != nullptr;
}

ApiResult<json::Document> decode_protobuf(std::string_view body) {
  constexpr std::string_view kMagic("k8s\0", 4);
  if (!body.starts_with(kMagic)) return malformed();
  Reader envelope(body.substr(kMagic.size()));
  std::string api_version;
  std::string kind;
  std::string_view raw;
  while (!envelope.done()) {
    auto tag = envelope.varint();
    if (!tag) return malformed();
    int number = static_cast<int>(*tag >> 3);
    int wire = static_cast<int>(*tag & 7);
    if (wire != 2) {
      if (!envelope.skip(wire)) return malformed();
      continue;
    }
    auto b = envelope.bytes();
    if (!b) return malformed();
    if (number == 1) {
      Reader type_meta(*b);
      while (!type_meta.done()) {
        auto t = type_meta.varint();
        if (!t || (*t & 7) != 2) return malformed();
        auto v = type_meta.bytes();
        if (!v) return malformed();
        if ((*t >> 3) == 1) api_version = std::string(*v);
        if ((*t >> 3) == 2) kind = std::string(*v);
      }
    } else if (number == 2) {
      raw = *b;
    }
  }
  const Message* message = api_version == "v1" ? message_for(kind) : nullptr;
  if (message == nullptr) {
    return errors::unsupported_media_type(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml");
  }
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "kind", kind, a);
  json::set_string(doc, "apiVersion", api_version, a);
  KUBE_RETURN_IF_ERROR(decode(raw, *message, doc, a, 0));
  return doc;
}

}  // namespace berth::sim
