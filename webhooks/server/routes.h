// Berth's admission webhooks at their paths: what berth-webhooks serves and what the
// MutatingWebhookConfiguration / ValidatingWebhookConfiguration in deploy/webhooks point at.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "webhooks/admission/handler.h"
#include "webhooks/admission/namespace_labels.h"
#include "webhooks/config/config.h"

namespace berth::webhooks {

inline constexpr std::string_view kMutatePodsPath = "/mutate/pods";
inline constexpr std::string_view kValidatePodsPath = "/validate/pods";
inline constexpr std::string_view kValidateBerthPath = "/validate/berth";

// /mutate/pods (PodMutator), /validate/pods (PodValidator), /validate/berth (BerthValidator).
// `namespaces` must outlive the routes.
std::vector<Route> berth_routes(std::shared_ptr<const WebhooksConfig> config,
                                const NamespaceLookup& namespaces);

}  // namespace berth::webhooks
