// AdmissionReview (admission.k8s.io/v1): decoding the request kube-apiserver POSTs to a webhook
// and encoding the answer it accepts. The codec only checks the envelope (apiVersion, kind,
// request.uid, operation, object types); what an object must look like is the webhook's
// business.
//
//   auto review = AdmissionReview::decode(body, {.max_bytes = 6 << 20});
//   if (!review.ok()) -> HTTP 400 with review.error().message
//   AdmissionResponse answer = webhook.review(review->request());
//   std::string json = encode_response(review->api_version(), review->request().uid, answer);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"

namespace berth::webhooks {

inline constexpr std::string_view kAdmissionV1 = "admission.k8s.io/v1";
// Same wire format for what Berth reads and writes; accepted so a configuration that still lists
// it first keeps working. The answer echoes the version that was sent.
inline constexpr std::string_view kAdmissionV1beta1 = "admission.k8s.io/v1beta1";

enum class Operation { kCreate, kUpdate, kDelete, kConnect };
std::string_view operation_name(Operation op);  // "CREATE", ...

struct GroupVersionKind {
  std::string group{};
  std::string version{};
  std::string kind{};
};

struct GroupVersionResource {
  std::string group{};
  std::string version{};
  std::string resource{};
};

// The parts of AdmissionRequest Berth's webhooks read. `object` and `old_object` point into the
// AdmissionReview that produced this request and live as long as it does.
struct AdmissionRequest {
  std::string uid{};
  GroupVersionKind kind{};
  GroupVersionResource resource{};
  std::string sub_resource{};  // "status", "binding", ...; empty for the main resource
  // Empty at CREATE when the object has generateName: the name is generated afterwards.
  std::string name{};
  std::string namespace_{};
  Operation operation = Operation::kCreate;
  std::string username{};
  bool dry_run = false;
  // JSON objects, or nullptr when the review carries null / nothing (DELETE has no object,
  // CREATE no old_object).
  const kube::json::Value* object = nullptr;
  const kube::json::Value* old_object = nullptr;
};

// What a webhook answers. `allowed` with an optional patch and warnings, or a denial whose
// status code, reason and message reach the API client (kube-apiserver answers the client with
// that code and "admission webhook \"<name>\" denied the request: <message>").
struct AdmissionResponse {
  bool allowed = true;
  // RFC 6902 operations as a JSON array text; empty = no patch. Sent base64-encoded with
  // patchType JSONPatch (mutating webhooks only; kube-apiserver rejects a patch from a
  // validating webhook).
  std::string patch{};
  std::vector<std::string> warnings{};
  int status_code = 0;          // set for denials: 400, 403, 422, ...
  std::string status_reason{};  // metav1.StatusReason, e.g. "Forbidden", "Invalid"
  std::string status_message{};

  static AdmissionResponse allow() { return {}; }
  static AdmissionResponse deny(int code, std::string reason, std::string message);
};

struct DecodeOptions {
  // Bodies larger than this are rejected (the HTTP server bounds the read; this bounds library
  // callers such as the fuzz target).
  std::size_t max_bytes = 6 * 1024 * 1024;
  // Kubernetes objects nest < 40 levels (managedFields adds a few); deeper input is hostile.
  std::size_t max_depth = 128;
};

class AdmissionReview {
 public:
  // Errors are kBadRequest with a message saying what is wrong with the envelope.
  static kube::Result<AdmissionReview> decode(std::string_view body,
                                              const DecodeOptions& options = {});

  // "admission.k8s.io/v1" (or v1beta1): what the answer must carry.
  const std::string& api_version() const { return api_version_; }
  const AdmissionRequest& request() const { return request_; }

 private:
  AdmissionReview() = default;
  // Heap-held so the request's object pointers stay valid when the review moves.
  std::unique_ptr<kube::json::Document> document_;
  std::string api_version_;
  AdmissionRequest request_;
};

// The AdmissionReview answering request `uid`: apiVersion and kind echoed, response.uid,
// allowed, patchType + base64 patch (only with a patch), warnings (only when any), status
// (denials only). Compact JSON.
std::string encode_response(std::string_view api_version, std::string_view uid,
                            const AdmissionResponse& response);

}  // namespace berth::webhooks
