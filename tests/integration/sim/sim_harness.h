// Test harness for berth-sim integration tests: an in-process server on an ephemeral port, a
// small HTTP client for it, fixture request replay and the shape comparison the fidelity tests
// use (same keys recursively; values equal unless they vary per run).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/http/client.h"
#include "sim/apiserver/api_server.h"

namespace berth::sim::testing {

struct Reply {
  int status = 0;
  std::string body;
  kube::http::Headers headers;
  // Parsed body (null document when it is not JSON).
  std::shared_ptr<kube::json::Document> json;
  const kube::json::Value& doc() const { return *json; }
  std::string str(std::initializer_list<std::string_view> path) const;
};

class Sim {
 public:
  explicit Sim(ApiServerOptions options = {});
  ApiServer& server() { return *server_; }
  const std::string& url() const { return url_; }

  Reply call(std::string_view method, std::string_view target, std::string_view body = {},
             std::string_view content_type = "application/json",
             const std::vector<std::pair<std::string, std::string>>& headers = {});
  Reply get(std::string_view target) { return call("GET", target); }
  Reply post(std::string_view target, std::string_view body) { return call("POST", target, body); }
  Reply put(std::string_view target, std::string_view body) { return call("PUT", target, body); }
  Reply patch(std::string_view target, std::string_view body,
              std::string_view type = "application/merge-patch+json") {
    return call("PATCH", target, body, type);
  }
  Reply del(std::string_view target, std::string_view body = {}) {
    return call("DELETE", target, body);
  }
  // POSTs and fails the test unless the reply is 201.
  Reply must_create(std::string_view collection, std::string_view body);
  void create_namespace(std::string_view name);
  // Waits until the built-in controllers have nothing queued.
  bool settle(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Reads a watch until `count` lines arrived or `timeout`; returns the lines.
  std::vector<std::string> watch_lines(std::string_view target, std::size_t count,
                                       std::chrono::milliseconds timeout, int* status = nullptr,
                                       std::string_view accept = "application/json");

 private:
  std::unique_ptr<ApiServer> server_;
  std::string url_;
  kube::http::Client client_;
};

// A request captured in a fixture's .meta.json.
struct FixtureRequest {
  std::string method;
  std::string target;  // path?query
  std::string content_type;
  std::string accept;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int status = 0;
  std::string note;
};
// Loads "<folder>/<name>.meta.json"; nullopt when the fixtures are absent.
std::optional<FixtureRequest> load_request(std::string_view folder, std::string_view name);
Reply replay(Sim& sim, const FixtureRequest& request);

// Keys whose values differ from run to run; only their JSON type is compared.
bool varies(std::string_view key);
// Adds a gtest failure per difference: missing or extra keys, different values (except
// varying ones), different array lengths. `ignore` lists keys skipped entirely.
void expect_same_shape(const kube::json::Value& expected, const kube::json::Value& actual,
                       const std::vector<std::string>& ignore = {});
// Replaces UUIDs with <uid> and digit runs with <n> (Status messages quote RVs and uids).
std::string normalize(std::string_view text);
// The fixture body (<folder>/<name>.json) parsed.
std::optional<kube::json::Document> fixture_body(std::string_view folder, std::string_view name);

}  // namespace berth::sim::testing
