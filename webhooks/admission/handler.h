// AdmissionHandler: the HTTP face of the webhooks. Routes a POST by its path (the query string
// kube-apiserver appends, "?timeout=10s", is ignored) to an AdmissionWebhook, decodes the
// AdmissionReview, encodes the answer and counts both.
//
// HTTP answers: 200 with an AdmissionReview for every request whose envelope decodes (denials
// included); 400 for an undecodable review, 404 for an unknown path, 405 for a method other than
// POST, 415 for a body that is not JSON, 500 when a webhook throws. Errors carry a Kubernetes
// Status body. kube-apiserver treats any non-200 as a failed call (failurePolicy decides).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kube/http/message.h"
#include "kube/metrics/registry.h"
#include "webhooks/admission/webhook.h"

namespace berth::webhooks {

struct Route {
  std::string path;  // "/mutate/pods"
  std::string name;  // label in metrics and logs: "mutate-pods"
  std::shared_ptr<const AdmissionWebhook> webhook;
};

class AdmissionHandler {
 public:
  // Registers berth_webhook_admission_decisions_total{webhook,result} and
  // berth_webhook_admission_warnings_total{webhook} in `registry`, which must outlive the
  // handler. (Request durations by route and code come from kube::http_request_observer.)
  AdmissionHandler(std::vector<Route> routes, kube::metrics::Registry& registry,
                   DecodeOptions decode = {});

  // Thread-safe; does not block.
  kube::http::Response handle(const kube::http::Request& request) const;

  // A Kubernetes Status body for the server's own error replies (ServerOptions::error_response)
  // and the handler's 4xx/5xx answers.
  static kube::http::Response error_response(int status, std::string_view message);

  const std::vector<Route>& routes() const { return routes_; }

 private:
  const Route* find(std::string_view path) const;

  std::vector<Route> routes_;
  DecodeOptions decode_;
  kube::metrics::CounterVec& decisions_;
  kube::metrics::CounterVec& warnings_;
};

}  // namespace berth::webhooks
