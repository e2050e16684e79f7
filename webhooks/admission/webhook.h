// AdmissionWebhook: one admission decision procedure (mutate pods, validate pods, validate
// Berth's resources). Implementations hold their configuration and do no I/O, so they are
// tested with plain AdmissionRequests and benchmarked without a network.
#pragma once

#include "webhooks/admission/review.h"

namespace berth::webhooks {

class AdmissionWebhook {
 public:
  virtual ~AdmissionWebhook() = default;
  // Called concurrently from the server's io threads. Must not throw and must not block: a
  // request the webhook cannot judge (wrong kind, malformed object) is answered with a denial
  // that says why, never with an exception.
  virtual AdmissionResponse review(const AdmissionRequest& request) const = 0;
};

}  // namespace berth::webhooks
