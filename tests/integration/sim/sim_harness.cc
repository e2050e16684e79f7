#include "tests/integration/sim/sim_harness.h"

#include <gtest/gtest.h>

#include <regex>
#include <stdexcept>

#include "kube/core/strings.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {

namespace json = kube::json;
using json::Value;

std::string Reply::str(std::initializer_list<std::string_view> path) const {
  if (!json || json->IsNull()) return {};
  const Value* v = json::find_path(*json, path);
  return v != nullptr && v->IsString() ? std::string(json::as_string(*v)) : std::string();
}

Sim::Sim(ApiServerOptions options) {
  if (options.listen.empty()) options.listen = "127.0.0.1:0";
  auto started = ApiServer::start(std::move(options));
  if (!started.ok()) {
    ADD_FAILURE() << "berth-sim did not start: " << started.error().to_string();
    throw std::runtime_error("berth-sim did not start");
  }
  server_ = std::move(started).value();
  url_ = server_->url();
}

Reply Sim::call(std::string_view method, std::string_view target, std::string_view body,
                std::string_view content_type,
                const std::vector<std::pair<std::string, std::string>>& headers) {
  kube::http::Headers h;
  bool has_accept = false;
  bool has_agent = false;
  for (const auto& [k, v] : headers) {
    has_accept = has_accept || kube::iequals(k, "Accept");
    has_agent = has_agent || kube::iequals(k, "User-Agent");
    h.add(k, v);
  }
  if (!has_accept) h.add("Accept", "application/json");
  if (!has_agent) h.add("User-Agent", "berth-fixture-capture/1.0");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    if (!content_type.empty()) h.add("Content-Type", std::string(content_type));
  }
  auto resp =
      client_.request(method, url_ + std::string(target), h, body, std::chrono::seconds(30));
  Reply r;
  if (!resp.ok()) {
    ADD_FAILURE() << method << " " << target << ": " << resp.error().to_string();
    return r;
  }
  r.status = resp->status;
  r.body = resp->body;
  r.headers = resp->headers;
  auto parsed = json::parse(r.body);
  r.json = std::make_shared<json::Document>();
  if (parsed.ok()) *r.json = std::move(parsed).value();
  return r;
}

Reply Sim::must_create(std::string_view collection, std::string_view body) {
  Reply r = post(collection, body);
  EXPECT_EQ(r.status, 201) << "POST " << collection << ": " << r.body;
  return r;
}

void Sim::create_namespace(std::string_view name) {
  must_create("/api/v1/namespaces", R"({"metadata":{"name":")" + std::string(name) + "\"}}");
}

bool Sim::settle(std::chrono::milliseconds timeout) {
  return berth::testing::wait_for([&] { return server_->controllers().idle(); }, timeout);
}

std::vector<std::string> Sim::watch_lines(std::string_view target, std::size_t count,
                                          std::chrono::milliseconds timeout, int* status,
                                          std::string_view accept) {
  kube::http::Client client;
  kube::http::Headers h;
  h.add("Accept", std::string(accept));
  std::vector<std::string> lines;
  auto resp = client.stream_lines(
      "GET", url_ + std::string(target), h,
      [&](std::string_view line) {
        lines.emplace_back(line);
        return lines.size() < count;
      },
      timeout);
  if (status != nullptr) *status = resp.ok() ? resp->status : 0;
  return lines;
}

std::optional<FixtureRequest> load_request(std::string_view folder, std::string_view name) {
  auto meta = berth::testing::read_fixture_json(std::string(folder) + "/" + std::string(name) +
                                                ".meta.json");
  if (!meta) return std::nullopt;
  FixtureRequest r;
  r.method = std::string(json::get_string(*meta, "method"));
  r.target = std::string(json::get_string(*meta, "path"));
  std::string_view query = json::get_string(*meta, "query");
  if (!query.empty()) r.target += "?" + std::string(query);
  r.content_type = std::string(json::get_string(*meta, "request_content_type"));
  r.accept = std::string(json::get_string(*meta, "request_accept", "application/json"));
  if (const Value* body = json::find(*meta, "request_body"); body != nullptr && !body->IsNull()) {
    r.body = body->IsString() ? std::string(json::as_string(*body)) : json::dump(*body);
  }
  if (const Value* extra = json::find(*meta, "request_extra_headers");
      extra != nullptr && extra->IsObject()) {
    for (const auto& m : extra->GetObject()) {
      r.headers.emplace_back(json::as_string(m.name), json::as_string(m.value));
    }
  }
  r.status = static_cast<int>(json::get_int(*meta, "status", 0));
  r.note = std::string(json::get_string(*meta, "note"));
  return r;
}

Reply replay(Sim& sim, const FixtureRequest& request) {
  auto headers = request.headers;
  headers.emplace_back("Accept", request.accept);
  return sim.call(request.method, request.target, request.body, request.content_type, headers);
}

bool varies(std::string_view key) {
  static const char* const kVarying[] = {"uid",
                                         "resourceVersion",
                                         "creationTimestamp",
                                         "deletionTimestamp",
                                         "time",
                                         "lastTransitionTime",
                                         "lastHeartbeatTime",
                                         "lastProbeTime",
                                         "eventTime",
                                         "renewTime",
                                         "acquireTime",
                                         "startTime",
                                         "clusterIP",
                                         "clusterIPs",
                                         "nodePort",
                                         "continue",
                                         "firstTimestamp",
                                         "lastTimestamp",
                                         "startedAt",
                                         "ca.crt",
                                         "kubernetes.io/last-applied-configuration-hash"};
  for (const char* k : kVarying) {
    if (key == k) return true;
  }
  return false;
}

namespace {

bool generated_equal(std::string_view a, std::string_view b) {
  // Random 5-character suffixes (generateName, kube-api-access-xxxxx).
  if (a.size() != b.size() || a.size() < 6) return false;
  return a.substr(0, a.size() - 5) == b.substr(0, b.size() - 5) &&
         (a.starts_with("kube-api-access-") || a[a.size() - 6] == '-');
}

std::string type_name(const Value& v) {
  if (v.IsString()) return "string";
  if (v.IsNumber()) return "number";
  if (v.IsBool()) return "bool";
  if (v.IsArray()) return "array";
  if (v.IsObject()) return "object";
  return "null";
}

void compare(const Value& e, const Value& a, const std::string& path, bool vary,
             const std::vector<std::string>& ignore) {
  if (vary) {
    if (type_name(e) != type_name(a)) {
      ADD_FAILURE() << path << ": type " << type_name(a) << ", fixture has " << type_name(e);
    }
    return;
  }
  if (e.IsObject() && a.IsObject()) {
    // Keys both sides have must come in the same order: the apiserver writes Go struct order.
    std::vector<std::string> order_e;
    std::vector<std::string> order_a;
    for (const auto& m : e.GetObject()) {
      if (json::find(a, json::as_string(m.name)) != nullptr)
        order_e.emplace_back(json::as_string(m.name));
    }
    for (const auto& m : a.GetObject()) {
      if (json::find(e, json::as_string(m.name)) != nullptr)
        order_a.emplace_back(json::as_string(m.name));
    }
    if (order_e != order_a) {
      ADD_FAILURE() << path << ": keys in order " << kube::join(order_a, ",") << ", fixture has "
                    << kube::join(order_e, ",");
    }
    for (const auto& m : e.GetObject()) {
      std::string key(json::as_string(m.name));
      if (std::find(ignore.begin(), ignore.end(), key) != ignore.end()) continue;
      const Value* other = json::find(a, key);
      if (other == nullptr) {
        ADD_FAILURE() << path << ": missing key \"" << key
                      << "\" (fixture: " << json::dump(m.value).substr(0, 200) << ")";
        continue;
      }
      compare(m.value, *other, path + "." + key, varies(key), ignore);
    }
    for (const auto& m : a.GetObject()) {
      std::string key(json::as_string(m.name));
      if (std::find(ignore.begin(), ignore.end(), key) != ignore.end()) continue;
      if (json::find(e, key) == nullptr) {
        ADD_FAILURE() << path << ": extra key \"" << key
                      << "\" = " << json::dump(m.value).substr(0, 200);
      }
    }
    return;
  }
  if (e.IsArray() && a.IsArray()) {
    if (e.Size() != a.Size()) {
      ADD_FAILURE() << path << ": " << a.Size() << " elements, fixture has " << e.Size() << ": "
                    << json::dump(a).substr(0, 300);
      return;
    }
    for (rapidjson::SizeType i = 0; i < e.Size(); ++i) {
      compare(e[i], a[i], path + "[" + std::to_string(i) + "]", false, ignore);
    }
    return;
  }
  if (e.IsString() && a.IsString() && generated_equal(json::as_string(e), json::as_string(a))) {
    return;
  }
  if (!json::equal(e, a)) {
    ADD_FAILURE() << path << ": " << json::dump(a).substr(0, 300) << ", fixture has "
                  << json::dump(e).substr(0, 300);
  }
}

}  // namespace

void expect_same_shape(const Value& expected, const Value& actual,
                       const std::vector<std::string>& ignore) {
  compare(expected, actual, "$", false, ignore);
}

std::string normalize(std::string_view text) {
  static const std::regex kUid("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  static const std::regex kNumber("[0-9]+");
  std::string out = std::regex_replace(std::string(text), kUid, "<uid>");
  return std::regex_replace(out, kNumber, "<n>");
}

std::optional<json::Document> fixture_body(std::string_view folder, std::string_view name) {
  return berth::testing::read_fixture_json(std::string(folder) + "/" + std::string(name) + ".json");
}

}  // namespace berth::sim::testing
