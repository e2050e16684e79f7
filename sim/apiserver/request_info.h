// RequestInfo: what an apiserver URL addresses - the apiserver's RequestInfoFactory for the
// resource paths (/api/v1/..., /apis/<group>/<version>/...).
#pragma once

#include <string>
#include <string_view>

namespace berth::sim {

struct RequestInfo {
  enum class Target {
    kOther,         // not under /api or /apis
    kApiVersions,   // GET /api
    kApiGroupList,  // GET /apis
    kApiGroup,      // GET /apis/<group>
    kResourceList,  // GET /api/v1, /apis/<group>/<version>
    kResource,      // a collection, object or subresource
  };
  Target target = Target::kOther;
  std::string group;
  std::string version;
  std::string namespace_;  // empty for cluster-scoped requests and all-namespace lists
  std::string resource;    // plural
  std::string name;        // empty for collections
  std::string subresource;
  bool watch_path = false;  // deprecated /watch/ prefix
  // A path with more segments than any resource URL has.
  bool malformed = false;

  bool collection() const { return name.empty(); }
};

// Parses the path (no query). Namespace subresources (/namespaces/<ns>/status|finalize) and
// namespaced resources (/namespaces/<ns>/<resource>) are told apart by `namespace_subresource`.
RequestInfo parse_request_path(std::string_view path);

}  // namespace berth::sim
