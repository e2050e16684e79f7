#include "kube/http/message.h"

#include <algorithm>
#include <optional>

#include "kube/core/strings.h"

namespace kube::http {

std::string_view Headers::get(std::string_view name) const {
  for (const auto& [k, v] : fields_) {
    if (iequals(k, name)) return v;
  }
  return {};
}

bool Headers::has(std::string_view name) const {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const auto& field) { return iequals(field.first, name); });
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const auto& field) { return iequals(field.first, name); });
}

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

namespace {

// Finds the raw (still encoded) value of `name` in a query string; nullopt when absent.
std::optional<std::string_view> raw_query_param(std::string_view query, std::string_view name) {
  for (std::string_view pair : split(query, '&')) {
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (key == name) return value;
    // Keys are compared decoded when they carry escapes ("label%53elector" is rare but legal).
    if (key.find_first_of("%+") != std::string_view::npos) {
      auto decoded = url_decode(key);
      if (decoded && *decoded == name) return value;
    }
  }
  return std::nullopt;
}

constexpr std::pair<int, std::string_view> kStatusTexts[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Request Entity Too Large"},
    {415, "Unsupported Media Type"},
    {416, "Requested Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {422, "Unprocessable Entity"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

}  // namespace

std::string Request::query_param(std::string_view name) const {
  auto raw = raw_query_param(query(), name);
  if (!raw) return {};
  auto decoded = url_decode(*raw);
  // A malformed escape is passed through verbatim rather than silently dropped.
  return decoded ? std::move(*decoded) : std::string(*raw);
}

bool Request::has_query_param(std::string_view name) const {
  return raw_query_param(query(), name).has_value();
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

std::string_view status_text(int status) {
  for (const auto& [code, text] : kStatusTexts) {
    if (code == status) return text;
  }
  return "Unknown";
}

}  // namespace kube::http
