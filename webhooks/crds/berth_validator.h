// BerthValidator: the /validate/berth webhook. A table maps each Berth kind (group berth.dev) to
// its validation function; adding a kind is one row in berth_validations() and one function.
// Kinds without a row are allowed (their CRD schema still applies), as are DELETE, CONNECT and
// subresources (status written by controllers).
#pragma once

#include <span>
#include <string_view>

#include "webhooks/admission/webhook.h"
#include "webhooks/crds/field_errors.h"

namespace berth::webhooks {

inline constexpr std::string_view kBerthGroup = "berth.dev";

struct KindValidation {
  std::string_view kind;  // "Rollout"
  // Every error found in `object` (old_object is the stored object on UPDATE, else nullptr).
  void (*validate)(const kube::json::Value& object, const kube::json::Value* old_object,
                   FieldErrors& errors);
};

// Berth's kinds: Rollout (more as their controllers arrive).
std::span<const KindValidation> berth_validations();

class BerthValidator final : public AdmissionWebhook {
 public:
  explicit BerthValidator(std::span<const KindValidation> table = berth_validations())
      : table_(table) {}

  // Denials are 422 Invalid with every field error, in the apiserver's wording.
  AdmissionResponse review(const AdmissionRequest& request) const override;

 private:
  std::span<const KindValidation> table_;
};

}  // namespace berth::webhooks
