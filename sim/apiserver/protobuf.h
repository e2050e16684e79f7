// Decoding of application/vnd.kubernetes.protobuf request bodies into JSON, for the kinds
// kubectl's imperative commands send that way (kubectl create namespace|configmap|secret|
// serviceaccount): the "k8s\0" + runtime.Unknown envelope and the generated.proto field
// numbers of those types. Other kinds answer 415 as before.
#pragma once

#include <string_view>

#include "kube/core/json.h"
#include "sim/apiserver/api_error.h"

namespace berth::sim {

// True when `kind` (apiVersion "v1") can be decoded from protobuf.
bool protobuf_decodable(std::string_view kind);

// The object in `body` as JSON, with apiVersion and kind from the envelope. Errors are 400
// (malformed) or 415 (a kind this decoder does not know).
ApiResult<kube::json::Document> decode_protobuf(std::string_view body);

}  // namespace berth::sim
