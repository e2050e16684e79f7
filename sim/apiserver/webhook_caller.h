// WebhookCaller: the HTTPS POSTs of berth-sim's admission chain. Keeps idle kube::http::Client
// connections per webhook endpoint (origin, CA bundle, verified name) so a busy webhook is not
// a TLS handshake per request, as kube-apiserver's cached webhook clients do.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"
#include "kube/http/client.h"

namespace berth::sim {

struct WebhookCall {
  std::string url;  // https://host:port/path?timeout=Ns
  // PEM bundle the server must chain to; empty = the system trust store.
  std::string ca_pem;
  // Name the certificate must carry when it is not the URL's host (a Service's DNS name).
  std::string server_name;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

// Thread-safe; concurrent calls to one endpoint use separate connections.
class WebhookCaller {
 public:
  // The response whatever its status. Errors read like kube-apiserver's
  // (`Post "<url>": <why>`; "context deadline exceeded" when `timeout` passed).
  kube::Result<kube::http::Response> post(const WebhookCall& call, std::string_view body);

 private:
  std::unique_ptr<kube::http::Client> acquire(const std::string& key, const WebhookCall& call);
  void release(const std::string& key, std::unique_ptr<kube::http::Client> client);

  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<kube::http::Client>>> idle_;
};

}  // namespace berth::sim
