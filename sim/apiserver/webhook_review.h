// AdmissionReview admission.k8s.io/v1 on berth-sim's side of the wire: the request body
// kube-apiserver v1.26 sends (field order and omissions as in
// ../shared/fixtures/k8s-1.26/admission), the checks it makes on the answer, and the Status a
// denial turns into.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"
#include "sim/apiserver/admission.h"
#include "sim/apiserver/api_error.h"

namespace berth::sim {

// The review for `request` under `uid`; `object` is what the webhook is to see (the object being
// written at this point of the chain, null for DELETE).
std::string admission_review_request(const AdmissionRequest& request, std::string_view uid,
                                     const kube::json::Value* object);

struct ReviewResponse {
  bool allowed = false;
  // response.status, for denials.
  std::optional<kube::json::Document> status;
  // The decoded JSONPatch (still text; empty when the webhook sent none).
  std::string patch;
  std::vector<std::string> warnings;
};

// Checks an answer as the apiserver does: a JSON AdmissionReview admission.k8s.io/v1 with a
// response for `uid`; a patch only from a mutating webhook and only as JSONPatch. The error
// message is the reason ("expected response.uid=...", "webhook response was absent", ...).
kube::Result<ReviewResponse> parse_admission_review_response(std::string_view body,
                                                             std::string_view uid, bool mutating);

// The client's error for a denial by `webhook`: the webhook's status (code below 400 -> 400)
// with the message `admission webhook "<webhook>" denied the request: <message or reason>`.
ApiError webhook_denial(std::string_view webhook, const ReviewResponse& response);

}  // namespace berth::sim
