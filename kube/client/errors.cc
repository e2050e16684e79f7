#include "kube/client/errors.h"

#include <algorithm>
#include <string>

#include "kube/core/strings.h"

namespace kube {
namespace {

// Non-Status bodies are quoted in the message, but only a short printable prefix: they can
// be proxy error pages of any size.
constexpr std::size_t kMaxQuotedBody = 256;

std::string printable_prefix(std::string_view body) {
  body = trim(body);
  std::string out;
  for (char c : body.substr(0, kMaxQuotedBody)) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  if (body.size() > kMaxQuotedBody) out.append("...");
  return out;
}

}  // namespace

Error error_from_status(const json::Value& status, int http_status) {
  Error error;
  std::int64_t code = json::get_int(status, "code");
  error.code = code > 0 ? static_cast<int>(code) : http_status;
  std::string_view reason = json::get_string(status, "reason");
  error.reason = reason_from_name(reason);
  // Like client-go, an absent or unknown reason is derived from the code (a webhook denial is a
  // 403 without reason: Forbidden).
  if (error.reason == Reason::kUnknown) error.reason = reason_for_code(error.code);
  error.message = std::string(json::get_string(status, "message"));
  if (const json::Value* details = json::find(status, "details"); details && details->IsObject()) {
    error.name = std::string(json::get_string(*details, "name"));
    error.kind = std::string(json::get_string(*details, "kind"));
    std::int64_t retry = json::get_int(*details, "retryAfterSeconds");
    if (retry > 0) error.retry_after = std::chrono::seconds(retry);
    if (const json::Value* causes = json::find(*details, "causes"); causes && causes->IsArray()) {
      for (const json::Value& c : causes->GetArray()) {
        error.causes.push_back(Cause{std::string(json::get_string(c, "reason")),
                                     std::string(json::get_string(c, "message")),
                                     std::string(json::get_string(c, "field"))});
      }
    }
  }
  if (error.message.empty()) error.message = "HTTP " + std::to_string(error.code);
  return error;
}

Error decode_error(int http_status, std::string_view body, std::string_view retry_after_header) {
  Error error;
  bool decoded = false;
  std::string_view trimmed = trim(body);
  if (!trimmed.empty() && trimmed.front() == '{') {
    auto doc = json::parse(trimmed);
    if (doc.ok() && doc->IsObject() && json::get_string(*doc, "kind") == "Status") {
      error = error_from_status(*doc, http_status);
      decoded = true;
    }
  }
  if (!decoded) {
    error.code = http_status;
    error.reason = reason_for_code(http_status);
    error.message =
        trimmed.empty() ? "HTTP " + std::to_string(http_status) : printable_prefix(trimmed);
  }
  if (auto seconds = parse_int(trim(retry_after_header)); seconds && *seconds > 0) {
    error.retry_after = std::max(error.retry_after, std::chrono::seconds(*seconds));
  }
  return error;
}

}  // namespace kube
