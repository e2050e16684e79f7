// Discovery documents built from the Registry: /version, /api, /apis, /apis/<group> and the
// APIResourceList of each group/version - what kubectl reads to map kinds, short names and
// scopes to URLs. Bodies are complete responses (compact JSON + "\n"), except /version which
// the apiserver indents and does not terminate.
#pragma once

#include <string>
#include <string_view>

#include "sim/apiserver/registry.h"

namespace berth::sim::discovery {

// gitVersion reported by /version (what the fixtures captured).
inline constexpr std::string_view kGitVersion = "v1.26.1";

std::string version();
// `server_address` is host:port as clients reach it.
std::string api_versions(std::string_view server_address);
std::string api_group_list(const Registry& registry);
// Empty when the group is not served.
std::string api_group(const Registry& registry, std::string_view group);
// Empty when the group/version is not served.
std::string resource_list(const Registry& registry, std::string_view group,
                          std::string_view version);

}  // namespace berth::sim::discovery
