// Reconciler: the one method a controller author writes (controller-runtime's
// reconcile.Reconciler). It is level-triggered: a Request only names the object to look at;
// reconcile() reads the current state (from the informer cache), converges the world toward
// it, and says whether to look again later. It must be idempotent - the same request may come
// again at any time, and events in between may have been coalesced into one request.
#pragma once

#include <string>
#include <string_view>

#include "kube/api/object.h"
#include "kube/client/cancel.h"
#include "kube/clock/clock.h"
#include "kube/core/result.h"

namespace kube {

// The object to reconcile. For cluster-scoped kinds namespace_ is empty.
struct Request {
  std::string namespace_{};
  std::string name{};

  // "namespace/name" or "name": the work-queue key.
  std::string key() const { return make_key(namespace_, name); }
  static Request from_key(std::string_view key) {
    KeyParts parts = split_key(key);
    return {std::string(parts.namespace_), std::string(parts.name)};
  }
  static Request of(const Object& object) {
    return {std::string(object.namespace_()), std::string(object.name())};
  }
  friend bool operator==(const Request&, const Request&) = default;
};

struct ReconcileResult {
  // Look at the object again after this long (e.g. to poll an external system, or at the next
  // scheduled time); zero = only when something changes.
  Clock::duration requeue_after{0};
  // Look again soon, with the per-key backoff, without counting it as an error.
  bool requeue = false;
};

// Passed to each reconcile.
class ReconcileContext {
 public:
  explicit ReconcileContext(CancelToken cancel = {}, int retries = 0)
      : cancel_(std::move(cancel)), retries_(retries) {}

  // Cancelled when the controller stops: shutdown, or this process lost its leader lease.
  // Check it before every write, and stop (return) when it fires: a controller that is no
  // longer the leader must not write. (The manager's client refuses writes then as well.)
  const CancelToken& cancel() const { return cancel_; }
  bool cancelled() const { return cancel_.cancelled(); }
  // Consecutive failed reconciles of this request before this one.
  int retries() const { return retries_; }

 private:
  CancelToken cancel_;
  int retries_ = 0;
};

// Implementations are called from several worker threads at once, but never concurrently for
// the same request. An error (or an exception) is logged and the request retried with
// exponential backoff; success forgets the backoff.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual Result<ReconcileResult> reconcile(const Request& request,
                                            const ReconcileContext& context) = 0;
};

}  // namespace kube
