#include "sim/scheduler/extender_client.h"

#include <unordered_set>

#include "kube/core/json.h"

namespace berth::sim::scheduling {

namespace json = kube::json;
using json::Value;

namespace {

kube::Error extender_error(std::string message) {
  return kube::Error::make(kube::Reason::kInternalError, std::move(message));
}

// A JSON string literal (node names are DNS subdomains, but nothing here relies on it).
void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || c == '<' || c == '>' || c == '&') {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

kube::Status validate(const ExtenderConfig& c) {
  auto invalid = [](std::string m) {
    return kube::Error::make(kube::Reason::kInvalid, std::move(m));
  };
  if (!c.url_prefix.starts_with("http://") && !c.url_prefix.starts_with("https://")) {
    return invalid("extender URL must start with http:// or https://, got \"" + c.url_prefix +
                   "\"");
  }
  if (c.weight <= 0) return invalid("extender weight must be positive");
  if (c.http_timeout.count() <= 0) return invalid("extender httpTimeout must be positive");
  return {};
}

ExtenderClient::ExtenderClient(ExtenderConfig config) : config_(std::move(config)) {
  kube::http::ClientOptions o;
  o.ca_pem = config_.ca_pem;
  o.insecure_skip_verify = config_.insecure_skip_verify;
  o.connect_timeout = config_.http_timeout;
  http_ = std::make_unique<kube::http::Client>(o);
}

ExtenderClient::~ExtenderClient() = default;
ExtenderClient::ExtenderClient(ExtenderClient&&) noexcept = default;
ExtenderClient& ExtenderClient::operator=(ExtenderClient&&) noexcept = default;

std::string ExtenderClient::without_type_meta(const kube::Object& object) {
  json::Document doc = object.copy();
  json::remove(doc, "kind");
  json::remove(doc, "apiVersion");
  return json::dump(doc);
}

std::string ExtenderClient::args_body(std::string_view pod_json,
                                      const std::vector<const kube::Object*>& nodes) const {
  std::string body;
  body.reserve(pod_json.size() + 32 * nodes.size() + 64);
  body.append("{\"Pod\":");
  body.append(pod_json);
  if (config_.node_cache_capable) {
    body.append(",\"Nodes\":null,\"NodeNames\":[");
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (i > 0) body.push_back(',');
      append_string(body, nodes[i]->name());
    }
    body.append("]}");
  } else {
    body.append(",\"Nodes\":{\"metadata\":{},\"items\":[");
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (i > 0) body.push_back(',');
      body.append(without_type_meta(*nodes[i]));
    }
    body.append("]},\"NodeNames\":null}");
  }
  return body;
}

kube::Result<kube::http::Response> ExtenderClient::post(std::string_view verb, std::string body) {
  std::string url = config_.url_prefix;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  url += "/";
  url += verb;
  kube::http::Headers headers;
  headers.add("Content-Type", "application/json");
  auto response = http_->request("POST", url, headers, body, config_.http_timeout);
  if (!response.ok()) {
    // kube-scheduler returns the transport's error as is, which Go words `Post "<url>": ...`.
    return extender_error("Post \"" + url + "\": " + response.error().message);
  }
  if (response->status != 200) {
    return extender_error("failed " + std::string(verb) + " with extender at URL " + url +
                          ", code " + std::to_string(response->status));
  }
  return response;
}

kube::Result<FilterResult> ExtenderClient::filter(std::string_view pod_json,
                                                  const std::vector<const kube::Object*>& nodes) {
  FilterResult result;
  if (config_.filter_verb.empty()) {
    for (const auto* n : nodes)
      result.nodes.emplace_back(n->name());
    return result;
  }
  KUBE_ASSIGN_OR_RETURN(auto response, post(config_.filter_verb, args_body(pod_json, nodes)));
  auto doc = json::parse(response.body, {.max_depth = 64});
  if (!doc.ok() || !doc->IsObject()) {
    return extender_error("extender " + config_.url_prefix + " filter: unparsable answer");
  }
  std::string_view error = json::get_string(*doc, "Error");
  if (!error.empty()) return extender_error(std::string(error));
  std::unordered_set<std::string_view> sent;
  for (const auto* n : nodes)
    sent.insert(n->name());
  auto take = [&](std::string_view name) -> kube::Status {
    if (sent.count(name) == 0) {
      return extender_error("extender " + config_.url_prefix + " claims a filtered node \"" +
                            std::string(name) + "\" which is not found in the input node list");
    }
    result.nodes.emplace_back(name);
    return {};
  };
  const Value* names = json::find(*doc, "NodeNames");
  const Value* items = json::find_path(*doc, {"Nodes", "items"});
  if (config_.node_cache_capable && names != nullptr && names->IsArray()) {
    for (const auto& n : names->GetArray())
      KUBE_RETURN_IF_ERROR(take(json::as_string(n)));
  } else if (items != nullptr && items->IsArray()) {
    for (const auto& n : items->GetArray()) {
      const Value* meta = json::find(n, "metadata");
      KUBE_RETURN_IF_ERROR(take(meta != nullptr ? json::get_string(*meta, "name") : ""));
    }
  }
  for (const char* key : {"FailedNodes", "FailedAndUnresolvableNodes"}) {
    const Value* failed = json::find(*doc, key);
    if (failed == nullptr || !failed->IsObject()) continue;
    auto& into =
        std::string_view(key) == "FailedNodes" ? result.failed : result.failed_unresolvable;
    for (const auto& m : failed->GetObject())
      into.emplace(json::as_string(m.name), json::as_string(m.value));
  }
  return result;
}

kube::Result<std::vector<HostScore>> ExtenderClient::prioritize(
    std::string_view pod_json, const std::vector<const kube::Object*>& nodes) {
  std::vector<HostScore> scores;
  if (config_.prioritize_verb.empty()) {
    for (const auto* n : nodes)
      scores.push_back({std::string(n->name()), 0});
    return scores;
  }
  KUBE_ASSIGN_OR_RETURN(auto response, post(config_.prioritize_verb, args_body(pod_json, nodes)));
  auto doc = json::parse(response.body, {.max_depth = 16});
  if (!doc.ok() || !doc->IsArray()) {
    return extender_error("extender " + config_.url_prefix + " prioritize: unparsable answer");
  }
  for (const auto& s : doc->GetArray()) {
    scores.push_back({std::string(json::get_string(s, "Host")), json::get_int(s, "Score")});
  }
  return scores;
}

}  // namespace berth::sim::scheduling
