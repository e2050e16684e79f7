#include "kube/client/watch_stream.h"

#include "kube/client/errors.h"
#include "kube/core/strings.h"

namespace kube {
namespace {

constexpr std::string_view kTypePrefix = "{\"type\":\"";
constexpr std::string_view kObjectInfix = "\",\"object\":";

std::optional<WatchEventType> parse_type(std::string_view name) {
  if (name == "ADDED") return WatchEventType::kAdded;
  if (name == "MODIFIED") return WatchEventType::kModified;
  if (name == "DELETED") return WatchEventType::kDeleted;
  if (name == "BOOKMARK") return WatchEventType::kBookmark;
  return std::nullopt;
}

Error bad_event(std::string_view why) {
  return Error::parse("invalid watch event: " + std::string(why));
}

Result<WatchEvent> make_event(std::string_view type, const json::Value* object_json,
                              Object object) {
  if (type == "ERROR") {
    if (object_json == nullptr) object_json = &object.json();
    if (!object_json->IsObject()) return bad_event("ERROR without a Status");
    return error_from_status(*object_json);
  }
  auto t = parse_type(type);
  if (!t) return bad_event("unknown type \"" + std::string(type.substr(0, 32)) + "\"");
  if (!object) {
    if (object_json == nullptr || !object_json->IsObject()) return bad_event("no object");
    object = Object::from(*object_json);
  }
  if (!object.json().IsObject()) return bad_event("object is not a JSON object");
  return WatchEvent{*t, std::move(object)};
}

}  // namespace

std::string_view watch_event_type_name(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
  }
  return "";
}

Result<WatchEvent> decode_watch_event(std::string_view line) {
  line = trim(line);
  // The apiserver always writes {"type":"T","object":{...}}: parse the object text directly
  // into its compact storage instead of parsing the envelope and copying the object out.
  if (line.size() > kTypePrefix.size() && line.substr(0, kTypePrefix.size()) == kTypePrefix &&
      line.back() == '}') {
    std::size_t type_end = line.find('"', kTypePrefix.size());
    if (type_end != std::string_view::npos &&
        line.substr(type_end, kObjectInfix.size()) == kObjectInfix) {
      std::string_view type = line.substr(kTypePrefix.size(), type_end - kTypePrefix.size());
      std::size_t object_start = type_end + kObjectInfix.size();
      std::string_view object_text = line.substr(object_start, line.size() - 1 - object_start);
      // Fails when the envelope has more members than type and object; the general path below
      // handles those.
      auto object = Object::parse(object_text);
      if (object.ok()) return make_event(type, nullptr, std::move(object).value());
    }
  }
  auto doc = json::parse(line);
  if (!doc.ok()) return bad_event(doc.error().message);
  if (!doc->IsObject()) return bad_event("not a JSON object");
  const json::Value* type = json::find(*doc, "type");
  if (type == nullptr || !type->IsString()) return bad_event("no type");
  return make_event(json::as_string(*type), json::find(*doc, "object"), Object());
}

Result<std::optional<WatchEvent>> WatchStream::next() {
  while (true) {
    auto line = lines_->next_line();
    if (!line.ok()) return std::move(line).error();
    if (!line->has_value()) return std::optional<WatchEvent>();
    if (trim(**line).empty()) continue;
    auto event = decode_watch_event(**line);
    if (!event.ok()) return std::move(event).error();
    return std::optional<WatchEvent>(std::move(event).value());
  }
}

}  // namespace kube
