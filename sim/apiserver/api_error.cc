#include "sim/apiserver/api_error.h"

#include "kube/core/json.h"

namespace berth::sim {

namespace json = kube::json;

namespace {

int code_for(kube::Reason reason) {
  switch (reason) {
    case kube::Reason::kBadRequest:
    case kube::Reason::kParse:
      return 400;
    case kube::Reason::kUnauthorized:
      return 401;
    case kube::Reason::kForbidden:
      return 403;
    case kube::Reason::kNotFound:
      return 404;
    case kube::Reason::kMethodNotAllowed:
      return 405;
    case kube::Reason::kNotAcceptable:
      return 406;
    case kube::Reason::kAlreadyExists:
    case kube::Reason::kConflict:
      return 409;
    case kube::Reason::kGone:
    case kube::Reason::kExpired:
      return 410;
    case kube::Reason::kRequestEntityTooLarge:
      return 413;
    case kube::Reason::kUnsupportedMediaType:
      return 415;
    case kube::Reason::kInvalid:
      return 422;
    case kube::Reason::kTooManyRequests:
      return 429;
    case kube::Reason::kServiceUnavailable:
      return 503;
    case kube::Reason::kTimeout:
      return 504;
    default:
      return 500;
  }
}

}  // namespace

ApiError::ApiError(const kube::Error& e)
    : code(e.code != 0 ? e.code : code_for(e.reason)),
      reason(kube::reason_name(e.reason)),
      message(e.message) {
  if (e.reason == kube::Reason::kParse) reason = "BadRequest";
  if (code == 500 && reason.empty()) reason = "InternalError";
  if (!e.name.empty() || !e.kind.empty() || !e.causes.empty()) {
    StatusDetails d;
    d.name = e.name;
    d.kind = e.kind;
    for (const auto& c : e.causes)
      d.causes.push_back({c.reason, c.message, c.field});
    details = std::move(d);
  }
  if (e.retry_after.count() > 0) retry_after_header = static_cast<int>(e.retry_after.count());
}

std::string ApiError::to_json() const {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "kind", "Status", a);
  json::set_string(doc, "apiVersion", "v1", a);
  json::Value& meta = json::ensure_object(doc, "metadata", a);
  if (!continue_token.empty()) json::set_string(meta, "continue", continue_token, a);
  json::set_string(doc, "status", "Failure", a);
  if (!message.empty()) json::set_string(doc, "message", message, a);
  if (!reason.empty()) json::set_string(doc, "reason", reason, a);
  if (details) {
    json::Value& d = json::ensure_object(doc, "details", a);
    if (!details->name.empty()) json::set_string(d, "name", details->name, a);
    if (!details->group.empty()) json::set_string(d, "group", details->group, a);
    if (!details->kind.empty()) json::set_string(d, "kind", details->kind, a);
    if (!details->uid.empty()) json::set_string(d, "uid", details->uid, a);
    if (!details->causes.empty()) {
      json::Value& causes = json::ensure_array(d, "causes", a);
      for (const auto& c : details->causes) {
        json::Value cause(rapidjson::kObjectType);
        if (!c.reason.empty()) json::set_string(cause, "reason", c.reason, a);
        if (!c.message.empty()) json::set_string(cause, "message", c.message, a);
        if (!c.field.empty()) json::set_string(cause, "field", c.field, a);
        causes.PushBack(std::move(cause), a);
      }
    }
    if (details->retry_after_seconds > 0) {
      json::set(d, "retryAfterSeconds", json::Value(details->retry_after_seconds), a);
    }
  }
  json::set(doc, "code", json::Value(code), a);
  std::string out = json::dump(doc);
  out.push_back('\n');
  return out;
}

namespace errors {
namespace {

StatusDetails details_for(const GroupResource& gr, std::string_view name) {
  StatusDetails d;
  d.name = std::string(name);
  d.group = gr.group;
  d.kind = gr.resource;
  return d;
}

std::string qualified_kind(std::string_view kind, std::string_view group) {
  std::string s(kind);
  if (!group.empty()) s.append(".").append(group);
  return s;
}

}  // namespace

ApiError not_found(const GroupResource& gr, std::string_view name) {
  ApiError e(404, "NotFound", gr.to_string() + " " + go_quote(name) + " not found");
  e.details = details_for(gr, name);
  return e;
}

ApiError already_exists(const GroupResource& gr, std::string_view name) {
  ApiError e(409, "AlreadyExists", gr.to_string() + " " + go_quote(name) + " already exists");
  e.details = details_for(gr, name);
  return e;
}

ApiError conflict(const GroupResource& gr, std::string_view name, std::string_view why) {
  ApiError e(409, "Conflict",
             "Operation cannot be fulfilled on " + gr.to_string() + " " + go_quote(name) + ": " +
                 std::string(why));
  e.details = details_for(gr, name);
  return e;
}

ApiError conflict_modified(const GroupResource& gr, std::string_view name) {
  return conflict(gr, name,
                  "the object has been modified; please apply your changes to the latest "
                  "version and try again");
}

ApiError precondition_uid(std::string_view kind, std::string_view name, std::string_view want,
                          std::string_view have) {
  ApiError e(409, "Conflict",
             "Operation cannot be fulfilled on " + std::string(kind) + " " + go_quote(name) +
                 ": the UID in the precondition (" + std::string(want) +
                 ") does not match the UID in record (" + std::string(have) +
                 "). The object might have been deleted and then recreated");
  e.details = StatusDetails{std::string(name), "", std::string(kind), "", {}, 0};
  return e;
}

ApiError precondition_resource_version(std::string_view kind, std::string_view name,
                                       std::string_view want, std::string_view have) {
  ApiError e(409, "Conflict",
             "Operation cannot be fulfilled on " + std::string(kind) + " " + go_quote(name) +
                 ": the ResourceVersion in the precondition (" + std::string(want) +
                 ") does not match the ResourceVersion in record (" + std::string(have) +
                 "). The object might have been modified");
  e.details = StatusDetails{std::string(name), "", std::string(kind), "", {}, 0};
  return e;
}

ApiError invalid(std::string_view kind, std::string_view group, std::string_view name,
                 const std::vector<FieldError>& field_errors) {
  std::string list;
  if (field_errors.size() == 1) {
    list = field_errors.front().to_string();
  } else {
    list = "[";
    for (std::size_t i = 0; i < field_errors.size(); ++i) {
      if (i > 0) list.append(", ");
      list.append(field_errors[i].to_string());
    }
    list.append("]");
  }
  ApiError e(422, "Invalid",
             qualified_kind(kind, group) + " " + go_quote(name) + " is invalid: " + list);
  StatusDetails d;
  d.name = std::string(name);
  d.group = std::string(group);
  d.kind = std::string(kind);
  for (const auto& fe : field_errors) {
    d.causes.push_back({std::string(fe.reason()), fe.body(), fe.field});
  }
  e.details = std::move(d);
  return e;
}

ApiError bad_request(std::string message) {
  return ApiError(400, "BadRequest", std::move(message));
}

ApiError forbidden(const GroupResource& gr, std::string_view name, std::string_view why,
                   std::vector<StatusCause> causes) {
  std::string subject = gr.to_string();
  if (!name.empty()) subject.append(" ").append(go_quote(name));
  ApiError e(403, "Forbidden", subject + " is forbidden: " + std::string(why));
  StatusDetails d = details_for(gr, name);
  d.causes = std::move(causes);
  e.details = std::move(d);
  return e;
}

ApiError method_not_allowed() {
  ApiError e(405, "MethodNotAllowed",
             "the server does not allow this method on the requested resource");
  e.details = StatusDetails{};
  return e;
}

ApiError resource_not_found() {
  ApiError e(404, "NotFound", "the server could not find the requested resource");
  e.details = StatusDetails{};
  return e;
}

ApiError unsupported_media_type(std::string message) {
  return ApiError(415, "UnsupportedMediaType", std::move(message));
}

ApiError unsupported_patch_type() {
  ApiError e(415, "UnsupportedMediaType", "415: Unsupported Media Type");
  e.details = StatusDetails{};
  return e;
}

ApiError json_patch_failed() {
  ApiError e(422, "Invalid", "the server rejected our request due to an error in our request");
  e.details = StatusDetails{};
  return e;
}

ApiError expired(std::string message) {
  return ApiError(410, "Expired", std::move(message));
}

ApiError gone_resource_version() {
  return expired("The resourceVersion for the provided list is too old.");
}

ApiError too_large_resource_version(std::int64_t requested, std::int64_t current) {
  ApiError e(504, "Timeout",
             "Timeout: Too large resource version: " + std::to_string(requested) +
                 ", current: " + std::to_string(current));
  StatusDetails d;
  d.causes.push_back({"ResourceVersionTooLarge", "Too large resource version", ""});
  d.retry_after_seconds = 1;
  e.details = std::move(d);
  e.retry_after_header = 1;
  return e;
}

ApiError internal(std::string message) {
  ApiError e(500, "InternalError", "Internal error occurred: " + message);
  StatusDetails d;
  d.causes.push_back({"", std::move(message), ""});
  e.details = std::move(d);
  return e;
}

ApiError request_entity_too_large(std::size_t limit) {
  return ApiError(413, "RequestEntityTooLarge",
                  "Request entity too large: limit is " + std::to_string(limit));
}

ApiError not_acceptable(std::string message) {
  return ApiError(406, "NotAcceptable", std::move(message));
}

ApiError too_many_requests(std::string message, std::vector<StatusCause> causes) {
  ApiError e(429, "TooManyRequests", std::move(message));
  StatusDetails d;
  d.causes = std::move(causes);
  e.details = std::move(d);
  return e;
}

}  // namespace errors
}  // namespace berth::sim
