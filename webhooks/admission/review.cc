#include "webhooks/admission/review.h"

#include <utility>

#include "kube/core/strings.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;

kube::Error bad_request(std::string message) {
  return kube::Error::make(kube::Reason::kBadRequest, std::move(message), 400);
}

// A string member, or an error when present with another type. Absent/null = "".
kube::Result<std::string> optional_string(const json::Value& object, std::string_view key,
                                          std::string_view where) {
  const json::Value* v = json::find(object, key);
  if (v == nullptr || v->IsNull()) return std::string();
  if (!v->IsString()) {
    return bad_request(std::string(where) + "." + std::string(key) + " must be a string");
  }
  return std::string(json::as_string(*v));
}

// An object member, nullptr when absent or null, an error for any other type.
kube::Result<const json::Value*> optional_object(const json::Value& object, std::string_view key,
                                                 std::string_view where) {
  const json::Value* v = json::find(object, key);
  if (v == nullptr || v->IsNull()) return static_cast<const json::Value*>(nullptr);
  if (!v->IsObject()) {
    return bad_request(std::string(where) + "." + std::string(key) + " must be an object or null");
  }
  return v;
}

kube::Status read_gvk(const json::Value& request, std::string_view key, GroupVersionKind& out) {
  KUBE_ASSIGN_OR_RETURN(const json::Value* v, optional_object(request, key, "request"));
  if (v == nullptr) return kube::ok_status();
  std::string where = "request." + std::string(key);
  KUBE_ASSIGN_OR_RETURN(out.group, optional_string(*v, "group", where));
  KUBE_ASSIGN_OR_RETURN(out.version, optional_string(*v, "version", where));
  KUBE_ASSIGN_OR_RETURN(out.kind, optional_string(*v, "kind", where));
  return kube::ok_status();
}

kube::Status read_gvr(const json::Value& request, std::string_view key, GroupVersionResource& out) {
  KUBE_ASSIGN_OR_RETURN(const json::Value* v, optional_object(request, key, "request"));
  if (v == nullptr) return kube::ok_status();
  std::string where = "request." + std::string(key);
  KUBE_ASSIGN_OR_RETURN(out.group, optional_string(*v, "group", where));
  KUBE_ASSIGN_OR_RETURN(out.version, optional_string(*v, "version", where));
  KUBE_ASSIGN_OR_RETURN(out.resource, optional_string(*v, "resource", where));
  return kube::ok_status();
}

}  // namespace

std::string_view operation_name(Operation op) {
  switch (op) {
    case Operation::kCreate:
      return "CREATE";
    case Operation::kUpdate:
      return "UPDATE";
    case Operation::kDelete:
      return "DELETE";
    case Operation::kConnect:
      return "CONNECT";
  }
  return "UNKNOWN";
}

AdmissionResponse AdmissionResponse::deny(int code, std::string reason, std::string message) {
  AdmissionResponse r;
  r.allowed = false;
  r.status_code = code;
  r.status_reason = std::move(reason);
  r.status_message = std::move(message);
  return r;
}

kube::Result<AdmissionReview> AdmissionReview::decode(std::string_view body,
                                                      const DecodeOptions& options) {
  if (body.size() > options.max_bytes) {
    return bad_request("AdmissionReview of " + std::to_string(body.size()) +
                       " bytes exceeds the limit of " + std::to_string(options.max_bytes));
  }
  auto parsed = json::parse(body, {.max_depth = options.max_depth, .max_bytes = options.max_bytes});
  if (!parsed.ok()) return bad_request("malformed AdmissionReview: " + parsed.error().message);

  AdmissionReview review;
  review.document_ = std::make_unique<json::Document>(std::move(parsed).value());
  const json::Value& root = *review.document_;
  if (!root.IsObject()) return bad_request("AdmissionReview must be a JSON object");

  std::string_view api_version = json::get_string(root, "apiVersion");
  if (api_version != kAdmissionV1 && api_version != kAdmissionV1beta1) {
    return bad_request("unsupported apiVersion \"" + std::string(api_version) +
                       "\": expected admission.k8s.io/v1");
  }
  std::string_view kind = json::get_string(root, "kind");
  if (kind != "AdmissionReview") {
    return bad_request("unsupported kind \"" + std::string(kind) + "\": expected AdmissionReview");
  }
  review.api_version_ = std::string(api_version);

  const json::Value* request = json::find(root, "request");
  if (request == nullptr || !request->IsObject()) {
    return bad_request("AdmissionReview has no request object");
  }
  AdmissionRequest& r = review.request_;
  KUBE_ASSIGN_OR_RETURN(r.uid, optional_string(*request, "uid", "request"));
  if (r.uid.empty()) return bad_request("request.uid is missing");

  KUBE_RETURN_IF_ERROR(read_gvk(*request, "kind", r.kind));
  KUBE_RETURN_IF_ERROR(read_gvr(*request, "resource", r.resource));
  KUBE_ASSIGN_OR_RETURN(r.sub_resource, optional_string(*request, "subResource", "request"));
  KUBE_ASSIGN_OR_RETURN(r.name, optional_string(*request, "name", "request"));
  KUBE_ASSIGN_OR_RETURN(r.namespace_, optional_string(*request, "namespace", "request"));

  KUBE_ASSIGN_OR_RETURN(std::string operation, optional_string(*request, "operation", "request"));
  if (operation == "CREATE") {
    r.operation = Operation::kCreate;
  } else if (operation == "UPDATE") {
    r.operation = Operation::kUpdate;
  } else if (operation == "DELETE") {
    r.operation = Operation::kDelete;
  } else if (operation == "CONNECT") {
    r.operation = Operation::kConnect;
  } else {
    return bad_request("request.operation \"" + operation +
                       "\" is not CREATE, UPDATE, DELETE or CONNECT");
  }

  KUBE_ASSIGN_OR_RETURN(const json::Value* user, optional_object(*request, "userInfo", "request"));
  if (user != nullptr) {
    KUBE_ASSIGN_OR_RETURN(r.username, optional_string(*user, "username", "request.userInfo"));
  }
  if (const json::Value* dry = json::find(*request, "dryRun"); dry != nullptr && !dry->IsNull()) {
    if (!dry->IsBool()) return bad_request("request.dryRun must be a boolean");
    r.dry_run = dry->GetBool();
  }
  KUBE_ASSIGN_OR_RETURN(r.object, optional_object(*request, "object", "request"));
  KUBE_ASSIGN_OR_RETURN(r.old_object, optional_object(*request, "oldObject", "request"));
  if (r.object == nullptr &&
      (r.operation == Operation::kCreate || r.operation == Operation::kUpdate)) {
    return bad_request("request.object is missing for " + operation);
  }
  if (r.old_object == nullptr && r.operation == Operation::kUpdate) {
    return bad_request("request.oldObject is missing for UPDATE");
  }
  return review;
}

std::string encode_response(std::string_view api_version, std::string_view uid,
                            const AdmissionResponse& response) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "apiVersion", api_version, a);
  json::set_string(doc, "kind", "AdmissionReview", a);
  json::Value r(rapidjson::kObjectType);
  json::set_string(r, "uid", uid, a);
  json::set(r, "allowed", json::Value(response.allowed), a);
  if (response.allowed && !response.patch.empty()) {
    json::set_string(r, "patchType", "JSONPatch", a);
    json::set_string(r, "patch", kube::base64_encode(response.patch), a);
  }
  if (!response.allowed || response.status_code != 0) {
    json::Value status(rapidjson::kObjectType);
    if (response.status_code != 0) json::set(status, "code", json::Value(response.status_code), a);
    if (!response.status_message.empty()) {
      json::set_string(status, "message", response.status_message, a);
    }
    if (!response.status_reason.empty()) {
      json::set_string(status, "reason", response.status_reason, a);
    }
    json::set(r, "status", std::move(status), a);
  }
  if (!response.warnings.empty()) {
    json::Value warnings(rapidjson::kArrayType);
    for (const std::string& w : response.warnings)
      warnings.PushBack(json::make_string(w, a), a);
    json::set(r, "warnings", std::move(warnings), a);
  }
  json::set(doc, "response", std::move(r), a);
  return json::dump(doc);
}

}  // namespace berth::webhooks
