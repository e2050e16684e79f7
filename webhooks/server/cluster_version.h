// What the cluster's version (GET /version) means for the webhooks: native sidecars (init
// containers with restartPolicy Always) are on by default from Kubernetes 1.29.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "kube/core/json.h"

namespace berth::webhooks {

// {major, minor} from a /version document ("minor": "29+" on some distributions, else
// gitVersion "v1.29.3-eks-..."); nullopt when neither is readable.
std::optional<std::pair<int, int>> cluster_version(const kube::json::Value& version);

bool native_sidecars_supported(std::pair<int, int> version);

}  // namespace berth::webhooks
