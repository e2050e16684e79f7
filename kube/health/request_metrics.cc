#include "kube/health/request_metrics.h"

#include <memory>

namespace kube {
namespace {

// From 100 µs (an extender call on loopback) to 10 s (a slow webhook), roughly x2.5 apart.
std::vector<double> request_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

}  // namespace

HttpObserver http_request_observer(metrics::Registry& registry, std::string server,
                                   std::vector<std::string> routes) {
  auto& family = registry.histogram_vec(
      "berth_http_request_duration_seconds",
      "Time from reading an HTTP request to writing its response, by server, route and code.",
      {"server", "route", "code"}, request_buckets());
  auto known = std::make_shared<const std::vector<std::string>>(std::move(routes));
  return [&family, server = std::move(server), known](const http::Request& request, int status,
                                                      std::chrono::nanoseconds elapsed) {
    std::string_view path = request.path();
    std::string_view route = "other";
    for (const std::string& r : *known) {
      bool prefix = !r.empty() && r.back() == '/' && path.substr(0, r.size()) == r;
      if (path == r || prefix) {
        route = r;
        break;
      }
    }
    family.with_labels({std::string_view(server), route, std::string_view(std::to_string(status))})
        .observe(std::chrono::duration<double>(elapsed).count());
  };
}

}  // namespace kube
