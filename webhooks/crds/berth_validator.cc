#include "webhooks/crds/berth_validator.h"

#include "webhooks/crds/rollout.h"

namespace berth::webhooks {

namespace json = kube::json;

namespace {

constexpr KindValidation kValidations[] = {
    {"Rollout", &validate_rollout},
};

}  // namespace

std::span<const KindValidation> berth_validations() {
  return kValidations;
}

AdmissionResponse BerthValidator::review(const AdmissionRequest& request) const {
  if (!request.sub_resource.empty()) return AdmissionResponse::allow();
  if (request.operation != Operation::kCreate && request.operation != Operation::kUpdate) {
    return AdmissionResponse::allow();
  }
  if (request.kind.group != kBerthGroup) {
    return AdmissionResponse::deny(
        400, "BadRequest",
        "the Berth resource validating webhook received a " +
            (request.kind.group.empty() ? std::string("core") : request.kind.group) + " " +
            request.kind.kind + "; its configuration must match group berth.dev only");
  }
  for (const KindValidation& row : table_) {
    if (row.kind != request.kind.kind) continue;
    FieldErrors errors;
    row.validate(*request.object, request.old_object, errors);
    if (errors.empty()) return AdmissionResponse::allow();
    std::string name = request.name;
    if (name.empty()) {
      const json::Value* metadata = json::find(*request.object, "metadata");
      if (metadata != nullptr) name = std::string(json::get_string(*metadata, "name"));
    }
    return AdmissionResponse::deny(422, "Invalid",
                                   errors.message(request.kind.kind, kBerthGroup, name));
  }
  return AdmissionResponse::allow();
}

}  // namespace berth::webhooks
