// The FieldManager berth-sim uses: kube/patch's server-side apply and managedFields tracking,
// with the apiserver's reset fields (status on the main resource of kinds with a status
// subresource, everything but status on /status).
#pragma once

#include <memory>

#include "sim/apiserver/field_manager.h"
#include "sim/apiserver/registry.h"

namespace berth::sim {

// `registry` resolves whether a kind has a status subresource.
std::shared_ptr<FieldManager> make_field_manager(const Registry& registry);

}  // namespace berth::sim
