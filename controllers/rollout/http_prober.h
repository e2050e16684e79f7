// HttpProber: the GET behind an HTTP analysis check. An interface so the reconciler is tested
// against a scripted prober; the real one is kube/http's client.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "controllers/rollout/spec.h"
#include "kube/core/result.h"

namespace berth::rollout {

struct ProbeResponse {
  int status = 0;
  std::string body;  // at most max_body_bytes
};

class HttpProber {
 public:
  virtual ~HttpProber() = default;
  // GET `url`; `timeout` bounds connecting, sending and reading. Transport failures and
  // timeouts are errors; any HTTP status is a response. Thread-safe.
  virtual kube::Result<ProbeResponse> get(std::string_view url,
                                          const std::vector<HttpHeader>& headers,
                                          std::chrono::milliseconds timeout) = 0;
};

// Over kube::http::Client, keeping connections alive between measurements (a small pool, as
// that client serves one thread at a time). HTTPS is verified against the system trust store.
// Bodies beyond 1 MiB are an error.
std::unique_ptr<HttpProber> make_http_prober();

}  // namespace berth::rollout
