#include "webhooks/admission/handler.h"

#include <exception>
#include <utility>

#include "kube/core/error.h"
#include "kube/core/json.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
using kube::http::Request;
using kube::http::Response;

bool is_json_content_type(std::string_view value) {
  if (value.empty()) return true;  // lenient: kube-apiserver always sends one
  std::string_view media = kube::trim(value.substr(0, value.find(';')));
  return kube::iequals(media, "application/json");
}

}  // namespace

AdmissionHandler::AdmissionHandler(std::vector<Route> routes, kube::metrics::Registry& registry,
                                   DecodeOptions decode)
    : routes_(std::move(routes)),
      decode_(decode),
      decisions_(registry.counter_vec(
          "berth_webhook_admission_decisions_total",
          "Admission decisions by webhook and result (allowed, patched, denied).",
          {"webhook", "result"})),
      warnings_(registry.counter_vec("berth_webhook_admission_warnings_total",
                                     "Warnings returned to API clients, by webhook.",
                                     {"webhook"})) {}

const Route* AdmissionHandler::find(std::string_view path) const {
  for (const Route& r : routes_) {
    if (r.path == path) return &r;
  }
  return nullptr;
}

Response AdmissionHandler::error_response(int status, std::string_view message) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "kind", "Status", a);
  json::set_string(doc, "apiVersion", "v1", a);
  json::set(doc, "metadata", json::Value(rapidjson::kObjectType), a);
  json::set_string(doc, "status", "Failure", a);
  json::set_string(doc, "message", message, a);
  std::string_view reason = kube::reason_name(kube::reason_for_code(status));
  if (!reason.empty()) json::set_string(doc, "reason", reason, a);
  json::set(doc, "code", json::Value(status), a);
  return Response::json(status, json::dump(doc));
}

Response AdmissionHandler::handle(const Request& request) const {
  const Route* route = find(request.path());
  if (route == nullptr) {
    std::string known;
    for (const Route& r : routes_)
      known += (known.empty() ? "" : ", ") + r.path;
    return error_response(
        404, "no admission webhook at " + std::string(request.path()) + "; served paths: " + known);
  }
  if (request.method != "POST") {
    Response r = error_response(405, "admission webhooks accept POST only, got " + request.method);
    r.headers.set("Allow", "POST");
    return r;
  }
  if (!is_json_content_type(request.headers.get("Content-Type"))) {
    return error_response(415, "Content-Type must be application/json, got \"" +
                                   std::string(request.headers.get("Content-Type")) + "\"");
  }
  auto review = AdmissionReview::decode(request.body, decode_);
  if (!review.ok()) {
    kube::log::v(2, "undecodable AdmissionReview",
                 {{"webhook", route->name}, {"error", review.error().message}});
    return error_response(400, review.error().message);
  }
  const AdmissionRequest& req = review->request();
  AdmissionResponse answer;
  try {
    answer = route->webhook->review(req);
  } catch (const std::exception& e) {
    kube::log::error("admission webhook failed",
                     {{"webhook", route->name}, {"uid", req.uid}, {"error", e.what()}});
    return error_response(500, "admission webhook " + route->name + " failed internally");
  }

  std::string_view result = !answer.allowed        ? "denied"
                            : answer.patch.empty() ? "allowed"
                                                   : "patched";
  decisions_.with_labels({route->name, result}).inc();
  if (!answer.warnings.empty()) {
    warnings_.with_labels({route->name}).inc(static_cast<double>(answer.warnings.size()));
  }
  if (!answer.allowed) {
    kube::log::info("admission denied", {{"webhook", route->name},
                                         {"uid", req.uid},
                                         {"operation", operation_name(req.operation)},
                                         {"kind", req.kind.kind},
                                         {"namespace", req.namespace_},
                                         {"name", req.name},
                                         {"user", req.username},
                                         {"code", answer.status_code},
                                         {"message", answer.status_message}});
  } else if (kube::log::enabled(2)) {
    kube::log::v(2, "admission reviewed",
                 {{"webhook", route->name},
                  {"uid", req.uid},
                  {"operation", operation_name(req.operation)},
                  {"kind", req.kind.kind},
                  {"namespace", req.namespace_},
                  {"name", req.name},
                  {"result", result},
                  {"warnings", answer.warnings.size()},
                  {"dryRun", req.dry_run}});
  }
  return Response::json(200, encode_response(review->api_version(), req.uid, answer));
}

}  // namespace berth::webhooks
