// Plain HTTP/1.1 request and response values shared by kube/http's server and client. No Boost
// types appear here, so users of the server do not compile Beast.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kube::http {

// Header fields in arrival order; lookups are ASCII case-insensitive.
class Headers {
 public:
  // The first value of `name`, or empty.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  void add(std::string name, std::string value);
  // Replaces every field called `name` with one field.
  void set(std::string name, std::string value);
  void remove(std::string_view name);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method{};  // "GET", "POST", ...
  std::string target{};  // origin-form as received: "/api/v1/pods?watch=true"
  Headers headers{};
  std::string body{};
  std::string remote_address{};  // "127.0.0.1:53422"
  bool tls = false;
  // Subject CN and O entries of the verified client certificate (mutual TLS only); Kubernetes
  // reads them as user name and groups.
  std::string peer_common_name{};
  std::vector<std::string> peer_organizations{};

  // target up to '?', percent-decoding left to the caller (Kubernetes names need none).
  std::string_view path() const;
  // target after '?', or empty.
  std::string_view query() const;
  // The first value of query parameter `name`, percent-decoded; empty when absent.
  std::string query_param(std::string_view name) const;
  bool has_query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers{};  // Content-Type is taken from content_type unless set here
  std::string content_type = "application/json";
  std::string body{};

  static Response json(int status, std::string body);
  static Response text(int status, std::string body);
};

// "OK", "Not Found", ... for the codes Berth uses; "Unknown" otherwise.
std::string_view status_text(int status);

}  // namespace kube::http
