#include "webhooks/crds/rollout.h"

#include "controllers/rollout/spec.h"

namespace berth::webhooks {

namespace json = kube::json;

void validate_rollout(const json::Value& rollout, const json::Value* old_rollout,
                      FieldErrors& errors) {
  const json::Value* spec = rollout.IsObject() ? json::find(rollout, "spec") : nullptr;
  if (spec == nullptr || !spec->IsObject()) {
    errors.required("spec");
    return;
  }
  if (old_rollout != nullptr) {
    const json::Value* selector = json::find(*spec, "selector");
    const json::Value* old_selector = json::find_path(*old_rollout, {"spec", "selector"});
    if (selector != nullptr && old_selector != nullptr && !json::equal(*old_selector, *selector)) {
      errors.invalid("spec.selector", *selector,
                     "field is immutable; create a new Rollout to change the selector");
    }
  }
  for (rollout::FieldError& e : rollout::validate_spec(*spec))
    errors.add(std::move(e));
}

}  // namespace berth::webhooks
