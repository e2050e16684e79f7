// The HTTP(S) listener for an ExtenderService: kube/http's Beast server with one io thread
// (handlers answer inline; the scheduler's calls are sequential), a request size limit, JSON
// error bodies and request duration metrics by route and code.
#pragma once

#include <memory>
#include <string>

#include "kube/core/result.h"
#include "kube/http/server.h"
#include "kube/metrics/registry.h"
#include "scheduler-extender/server/extender_service.h"

namespace berth::extender {

struct ExtenderServerOptions {
  std::string bind_address = "0.0.0.0:8888";
  std::shared_ptr<kube::http::TlsOptions> tls{};  // HTTPS when set
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::string name = "extender";
};

// `service` and `registry` must outlive the server.
kube::Result<std::unique_ptr<kube::http::Server>> start_extender_server(
    ExtenderServerOptions options, ExtenderService& service, kube::metrics::Registry& registry);

}  // namespace berth::extender
