// OpenAPI v3 documents built from the Registry, as far as kubectl reads them: the root index
// (/openapi/v3) and one document per group/version whose paths carry, per resource, the
// operations with their x-kubernetes-group-version-kind and query parameters. kubectl create
// and apply look for the `fieldValidation` parameter on a kind's PATCH operation; finding it,
// they leave field validation to the server (fieldValidation=Strict) instead of downloading
// the whole schema. Schemas themselves are not served (components is empty), so kubectl apply
// computes strategic merge patches from its compiled-in types, as with an older apiserver.
#pragma once

#include <string>
#include <string_view>

#include "kube/http/server.h"
#include "sim/apiserver/registry.h"

namespace berth::sim::openapi {

// {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."},...}}
std::string root(const Registry& registry);
// The document for "api/v1" or "apis/<group>/<version>"; empty when not served.
std::string group_version(const Registry& registry, std::string_view path);

// GET /openapi/v3 and /openapi/v3/<path>: 404 Status for unknown paths, 405 for other methods.
// Documents are text/plain like the apiserver's; the hashed URL is immutable.
kube::http::Handler handler(const Registry& registry);

}  // namespace berth::sim::openapi
