// The list continue token of kube-apiserver: base64url (no padding) of
// {"v":"meta.k8s.io/v1","rv":<int>,"start":"<next key>"}, where start is the key after the last
// returned item, relative to the list's prefix ("cm-2\u0000" in a namespace,
// "ns/cm-2\u0000" across namespaces).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/apiserver/api_error.h"

namespace berth::sim {

struct ContinueToken {
  std::int64_t rv = 0;  // <= 0: continue at the current state (inconsistent continuation)
  std::string start;
};

std::string encode_continue(std::int64_t rv, std::string_view start);
// 400 "invalid continue token: ..." with the apiserver's wording for garbage.
ApiResult<ContinueToken> decode_continue(std::string_view token);

// Go's JSON decoder names an unexpected byte like this: 'x', '\u0081', '\x00'.
std::string go_quote_char(unsigned char c);

}  // namespace berth::sim
