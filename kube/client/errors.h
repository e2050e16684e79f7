// Decoding API failures into kube::Error. Every error body of the apiserver is a metav1.Status
// (reason, code, message, details{name, kind, causes, retryAfterSeconds}) except a few plain-text
// answers (an unknown API group gives "404 page not found"), which get the reason that goes
// with their HTTP code.
#pragma once

#include <string_view>

#include "kube/core/error.h"
#include "kube/core/json.h"

namespace kube {

// A non-2xx response. `retry_after_header` is the raw Retry-After value (seconds), if any; the
// larger of it and details.retryAfterSeconds becomes Error::retry_after.
Error decode_error(int http_status, std::string_view body,
                   std::string_view retry_after_header = {});

// A Status object, as carried by watch ERROR events. `http_status` is used when the Status has
// no code.
Error error_from_status(const json::Value& status, int http_status = 0);

}  // namespace kube
