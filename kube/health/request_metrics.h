// HTTP request metrics for any kube::http::Server, through ServerOptions::on_response:
//
//   berth_http_request_duration_seconds{server, route, code}   histogram
//
// `route` is the request path when it is one of the server's known routes (or starts with a
// known prefix ending in '/'), else "other", so arbitrary paths cannot grow the label set.
//
//   options.on_response = kube::http_request_observer(registry, "webhooks",
//                                                     {"/mutate/pods", "/validate/pods"});
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "kube/http/message.h"
#include "kube/metrics/registry.h"

namespace kube {

using HttpObserver =
    std::function<void(const http::Request& request, int status, std::chrono::nanoseconds)>;

// `registry` must outlive the returned function.
HttpObserver http_request_observer(metrics::Registry& registry, std::string server,
                                   std::vector<std::string> routes);

}  // namespace kube
