#include "sim/apiserver/webhook_caller.h"

namespace berth::sim {

namespace {

// Enough for the parallel validating calls of one request plus a few concurrent requests.
constexpr std::size_t kIdleClientsPerEndpoint = 8;

std::string without_query(std::string_view url) {
  return std::string(url.substr(0, url.find('?')));
}

}  // namespace

std::unique_ptr<kube::http::Client> WebhookCaller::acquire(const std::string& key,
                                                           const WebhookCall& call) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(key);
    if (it != idle_.end() && !it->second.empty()) {
      auto client = std::move(it->second.back());
      it->second.pop_back();
      return client;
    }
  }
  kube::http::ClientOptions options;
  options.ca_pem = call.ca_pem;
  options.server_name = call.server_name;
  // A webhook's whole budget is timeoutSeconds; connecting may take all of it.
  options.connect_timeout = call.timeout;
  // The apiserver bounds admission responses similarly (it reads at most a few MiB).
  options.max_response_bytes = 16 * 1024 * 1024;
  return std::make_unique<kube::http::Client>(std::move(options));
}

void WebhookCaller::release(const std::string& key, std::unique_ptr<kube::http::Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = idle_[key];
  if (slot.size() < kIdleClientsPerEndpoint) slot.push_back(std::move(client));
}

kube::Result<kube::http::Response> WebhookCaller::post(const WebhookCall& call,
                                                       std::string_view body) {
  std::string origin = without_query(call.url);
  if (auto scheme_end = origin.find("://"); scheme_end != std::string::npos) {
    origin = origin.substr(0, origin.find('/', scheme_end + 3));
  }
  std::string key = origin + "\n" + call.server_name + "\n" + call.ca_pem;
  auto client = acquire(key, call);
  kube::http::Headers headers;
  headers.add("User-Agent", "kube-apiserver-admission");
  headers.add("Accept", "application/json, */*");
  headers.add("Content-Type", "application/json");
  auto response = client->request("POST", call.url, headers, body, call.timeout);
  if (response.ok()) {
    release(key, std::move(client));
    return response;
  }
  // kube/http prefixes its messages with "POST <url without query>: ".
  kube::Error e = response.error();
  std::string prefix = "POST " + without_query(call.url) + ": ";
  std::string why = e.message.starts_with(prefix) ? e.message.substr(prefix.size()) : e.message;
  if (e.reason == kube::Reason::kTimeout) why = "context deadline exceeded";
  e.message = "Post \"" + call.url + "\": " + why;
  return e;
}

}  // namespace berth::sim
