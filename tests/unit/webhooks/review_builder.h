// Test helpers: AdmissionReviews built from JSON text, and a patch applier that checks what
// kube-apiserver would check (the patch is a valid RFC 6902 array that applies to the original).
#pragma once

#include <string>

#include "kube/core/json.h"
#include "webhooks/admission/review.h"

namespace berth::webhooks::testing {

struct ReviewSpec {
  std::string operation = "CREATE";
  std::string namespace_ = "app";
  std::string name = "web";
  std::string object = "null";  // JSON text
  std::string old_object = "null";
  std::string sub_resource{};
  std::string group{};
  std::string kind = "Pod";
  std::string resource = "pods";
  bool dry_run = false;
  std::string uid = "4b0a3b6e-1c1d-4b4e-9a55-000000000001";
};

std::string review_json(const ReviewSpec& spec);

// A decoded review (fails the test when it does not decode).
class Review {
 public:
  explicit Review(const ReviewSpec& spec);
  const AdmissionRequest& request() const { return review_->request(); }

 private:
  std::unique_ptr<AdmissionReview> review_;
};

// Applies `patch` (JSON text, RFC 6902) to a copy of `original`; fails the test when it does
// not apply.
kube::json::Document apply_patch(const kube::json::Value& original, const std::string& patch);

}  // namespace berth::webhooks::testing
