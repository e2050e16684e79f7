#include "sim/apiserver/continue_token.h"

#include <cstdio>

#include "kube/core/json.h"
#include "kube/core/strings.h"

namespace berth::sim {

namespace json = kube::json;

std::string go_quote_char(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  char buf[16];
  switch (c) {
    case '\a':
      return "'\\a'";
    case '\b':
      return "'\\b'";
    case '\f':
      return "'\\f'";
    case '\n':
      return "'\\n'";
    case '\r':
      return "'\\r'";
    case '\t':
      return "'\\t'";
    case '\v':
      return "'\\v'";
    case '\\':
      return "'\\\\'";
    default:
      break;
  }
  if (c < 0x20 || c == 0x7f) {
    std::snprintf(buf, sizeof(buf), "'\\x%02x'", c);
    return buf;
  }
  if (c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  // A byte is read as the rune U+00XX; C1 controls, NBSP and the soft hyphen are not printable.
  if (c < 0xa1 || c == 0xad) {
    std::snprintf(buf, sizeof(buf), "'\\u%04x'", c);
    return buf;
  }
  std::string out = "'";
  out.push_back(static_cast<char>(0xc0 | (c >> 6)));
  out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  out.push_back('\'');
  return out;
}

std::string encode_continue(std::int64_t rv, std::string_view start) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "v", "meta.k8s.io/v1", a);
  json::set(doc, "rv", json::Value(static_cast<std::int64_t>(rv)), a);
  json::set_string(doc, "start", start, a);
  return kube::base64url_encode(json::dump(doc));
}

namespace {

ApiError invalid(const std::string& why) {
  return errors::bad_request("invalid continue token: continue key is not valid: " + why);
}

std::string go_json_error(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) {
    ++i;
  }
  if (i == text.size()) return "unexpected end of JSON input";
  char c = text[i];
  bool starts_value = c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') ||
                      c == 't' || c == 'f' || c == 'n';
  if (!starts_value) {
    return "invalid character " + go_quote_char(static_cast<unsigned char>(c)) +
           " looking for beginning of value";
  }
  return "unexpected end of JSON input";
}

}  // namespace

ApiResult<ContinueToken> decode_continue(std::string_view token) {
  auto raw = kube::base64url_decode(token);
  if (!raw) return invalid("illegal base64 data at input byte 0");
  auto doc = json::parse(*raw);
  if (!doc.ok()) return invalid(go_json_error(*raw));
  if (!doc->IsObject()) return invalid("json: cannot unmarshal into continueToken");
  if (json::get_string(*doc, "v") != "meta.k8s.io/v1") {
    return invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  }
  ContinueToken t;
  const json::Value* rv = json::find(*doc, "rv");
  if (rv == nullptr || !rv->IsInt64()) return invalid("incorrect encoded start resourceVersion");
  t.rv = rv->GetInt64();
  t.start = std::string(json::get_string(*doc, "start"));
  if (t.start.empty()) return invalid("encoded start key empty");
  return t;
}

}  // namespace berth::sim
