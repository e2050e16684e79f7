#include "sim/apiserver/webhook_review.h"

#include "kube/core/strings.h"
#include "sim/apiserver/field_error.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

constexpr std::string_view kReviewVersion = "admission.k8s.io/v1";

void append_string(std::string& out, std::string_view s) {
  json::Document scratch;
  json::dump_to(json::make_string(s, scratch.GetAllocator()), out);
}

void append_member(std::string& out, std::string_view key, std::string_view value) {
  out.push_back(',');
  append_string(out, key);
  out.push_back(':');
  append_string(out, value);
}

struct Gvk {
  std::string group;
  std::string version;
  std::string kind;
};

// The kind of what the request carries: the resource's own for the object and its status,
// the body's for other subresources (pods/binding carries a Binding, pods/eviction an Eviction).
Gvk kind_of(const AdmissionRequest& r, const Value* object) {
  const ResourceInfo& info = *r.resource;
  Gvk gvk{info.group, info.version, info.kind};
  if (r.subresource.empty() || r.subresource == "status") return gvk;
  if (object == nullptr || !object->IsObject()) return gvk;
  std::string_view kind = json::get_string(*object, "kind");
  std::string_view api_version = json::get_string(*object, "apiVersion");
  if (kind.empty() || api_version.empty()) return gvk;
  gvk.kind = std::string(kind);
  auto slash = api_version.find('/');
  gvk.group = slash == std::string_view::npos ? "" : std::string(api_version.substr(0, slash));
  gvk.version =
      std::string(slash == std::string_view::npos ? api_version : api_version.substr(slash + 1));
  return gvk;
}

void append_kind(std::string& out, std::string_view key, const Gvk& gvk) {
  out.push_back(',');
  append_string(out, key);
  out.append(":{\"group\":");
  append_string(out, gvk.group);
  append_member(out, "version", gvk.version);
  append_member(out, "kind", gvk.kind);
  out.push_back('}');
}

void append_resource(std::string& out, std::string_view key, const ResourceInfo& info) {
  out.push_back(',');
  append_string(out, key);
  out.append(":{\"group\":");
  append_string(out, info.group);
  append_member(out, "version", info.version);
  append_member(out, "resource", info.plural);
  out.push_back('}');
}

// CreateOptions / UpdateOptions / DeleteOptions: kind and apiVersion first, then what the
// client sent. A patch is reviewed as an UPDATE (or CREATE), so only the fields the target
// options type has are kept from PatchOptions.
void append_options(std::string& out, const AdmissionRequest& r) {
  std::string_view kind = r.operation == Operation::kDelete   ? "DeleteOptions"
                          : r.operation == Operation::kUpdate ? "UpdateOptions"
                                                              : "CreateOptions";
  out.append(",\"options\":{\"kind\":");
  append_string(out, kind);
  append_member(out, "apiVersion", "meta.k8s.io/v1");
  if (r.options != nullptr && r.options->IsObject()) {
    for (const auto& m : r.options->GetObject()) {
      std::string_view key = json::as_string(m.name);
      if (key == "kind" || key == "apiVersion") continue;
      if (r.operation != Operation::kDelete && key != "dryRun" && key != "fieldManager" &&
          key != "fieldValidation") {
        continue;
      }
      out.push_back(',');
      append_string(out, key);
      out.push_back(':');
      json::dump_to(m.value, out);
    }
  }
  out.push_back('}');
}

}  // namespace

std::string admission_review_request(const AdmissionRequest& r, std::string_view uid,
                                     const Value* object) {
  std::string out;
  out.reserve(4096);
  out.append(R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":)");
  append_string(out, uid);
  Gvk gvk = kind_of(r, object != nullptr ? object : r.old_object);
  append_kind(out, "kind", gvk);
  append_resource(out, "resource", *r.resource);
  if (!r.subresource.empty()) append_member(out, "subResource", r.subresource);
  append_kind(out, "requestKind", gvk);
  append_resource(out, "requestResource", *r.resource);
  if (!r.subresource.empty()) append_member(out, "requestSubResource", r.subresource);
  if (!r.name.empty()) append_member(out, "name", r.name);
  if (!r.namespace_.empty()) append_member(out, "namespace", r.namespace_);
  append_member(out, "operation", operation_name(r.operation));
  out.append(",\"userInfo\":{\"username\":");
  append_string(out, r.user.username);
  if (!r.user.uid.empty()) append_member(out, "uid", r.user.uid);
  if (!r.user.groups.empty()) {
    out.append(",\"groups\":[");
    for (std::size_t i = 0; i < r.user.groups.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_string(out, r.user.groups[i]);
    }
    out.push_back(']');
  }
  out.append("},\"object\":");
  if (object != nullptr) {
    json::dump_to(*object, out);
  } else {
    out.append("null");
  }
  out.append(",\"oldObject\":");
  if (r.old_object != nullptr) {
    json::dump_to(*r.old_object, out);
  } else {
    out.append("null");
  }
  out.append(r.dry_run ? ",\"dryRun\":true" : ",\"dryRun\":false");
  append_options(out, r);
  // Newline-terminated, as Go's JSON encoder writes it.
  out.append("}}\n");
  return out;
}

kube::Result<ReviewResponse> parse_admission_review_response(std::string_view body,
                                                             std::string_view uid, bool mutating) {
  auto parsed = json::parse(body, {.max_depth = 128, .max_bytes = 0});
  if (!parsed.ok()) {
    return kube::Error::make(kube::Reason::kParse,
                             "decoding the response: " + parsed.error().message);
  }
  const Value& review = *parsed;
  if (!review.IsObject()) {
    return kube::Error::make(kube::Reason::kParse, "the response is not a JSON object");
  }
  const Value* response = json::find(review, "response");
  if (response == nullptr || response->IsNull()) {
    return kube::Error::make(kube::Reason::kInvalid, "webhook response was absent");
  }
  std::string_view api_version = json::get_string(review, "apiVersion");
  std::string_view kind = json::get_string(review, "kind");
  if (api_version != kReviewVersion || kind != "AdmissionReview") {
    return kube::Error::make(kube::Reason::kInvalid,
                             "expected webhook response of admission.k8s.io/v1, "
                             "Kind=AdmissionReview, got " +
                                 std::string(api_version) + ", Kind=" + std::string(kind));
  }
  if (!response->IsObject()) {
    return kube::Error::make(kube::Reason::kInvalid, "response is not a JSON object");
  }
  std::string_view got_uid = json::get_string(*response, "uid");
  if (got_uid != uid) {
    return kube::Error::make(kube::Reason::kInvalid, "expected response.uid=" + go_quote(uid) +
                                                         ", got " + go_quote(got_uid));
  }
  ReviewResponse out;
  const Value* allowed = json::find(*response, "allowed");
  if (allowed != nullptr && !allowed->IsBool()) {
    return kube::Error::make(kube::Reason::kInvalid, "response.allowed is not a boolean");
  }
  out.allowed = allowed != nullptr && allowed->GetBool();
  std::string_view patch_type = json::get_string(*response, "patchType");
  const Value* patch = json::find(*response, "patch");
  if (patch != nullptr && !patch->IsNull()) {
    if (!patch->IsString()) {
      return kube::Error::make(kube::Reason::kInvalid, "response.patch is not a base64 string");
    }
    auto decoded = kube::base64_decode(json::as_string(*patch));
    if (!decoded) {
      return kube::Error::make(kube::Reason::kInvalid, "response.patch is not valid base64");
    }
    out.patch = std::move(*decoded);
  }
  if (mutating && !out.patch.empty() && patch_type.empty()) {
    return kube::Error::make(kube::Reason::kInvalid,
                             "webhook returned response.patch but not response.patchType");
  }
  if (mutating && !out.patch.empty() && patch_type != "JSONPatch") {
    return kube::Error::make(
        kube::Reason::kInvalid,
        "webhook returned invalid response.patchType of " + go_quote(patch_type));
  }
  if (!mutating && !out.patch.empty()) {
    return kube::Error::make(kube::Reason::kInvalid, "validating webhooks may not return patches");
  }
  if (!mutating && !patch_type.empty()) {
    return kube::Error::make(kube::Reason::kInvalid,
                             "validating webhooks may not return patchType");
  }
  if (const Value* warnings = json::find(*response, "warnings");
      warnings != nullptr && warnings->IsArray()) {
    for (const auto& w : warnings->GetArray()) {
      if (w.IsString() && w.GetStringLength() > 0) out.warnings.emplace_back(json::as_string(w));
    }
  }
  if (const Value* status = json::find(*response, "status");
      status != nullptr && status->IsObject()) {
    out.status = json::copy(*status);
  }
  return out;
}

ApiError webhook_denial(std::string_view webhook, const ReviewResponse& response) {
  std::string denied = "admission webhook " + go_quote(webhook) + " denied the request";
  ApiError e(400, "", "");
  std::string message;
  if (response.status) {
    const Value& s = *response.status;
    std::int64_t code = json::get_int(s, "code", 0);
    if (code >= 400 && code <= 599) e.code = static_cast<int>(code);
    e.reason = std::string(json::get_string(s, "reason"));
    message = std::string(json::get_string(s, "message"));
    if (const Value* d = json::find(s, "details"); d != nullptr && d->IsObject()) {
      StatusDetails details;
      details.name = std::string(json::get_string(*d, "name"));
      details.group = std::string(json::get_string(*d, "group"));
      details.kind = std::string(json::get_string(*d, "kind"));
      details.uid = std::string(json::get_string(*d, "uid"));
      details.retry_after_seconds = static_cast<int>(json::get_int(*d, "retryAfterSeconds", 0));
      if (const Value* causes = json::find(*d, "causes"); causes != nullptr && causes->IsArray()) {
        for (const auto& c : causes->GetArray()) {
          if (!c.IsObject()) continue;
          details.causes.push_back({std::string(json::get_string(c, "reason")),
                                    std::string(json::get_string(c, "message")),
                                    std::string(json::get_string(c, "field"))});
        }
      }
      e.details = std::move(details);
    }
  }
  if (!message.empty()) {
    e.message = denied + ": " + message;
  } else if (!e.reason.empty()) {
    e.message = denied + ": " + e.reason;
  } else {
    e.message = denied + " without explanation";
  }
  return e;
}

}  // namespace berth::sim
