// Finalizer helpers (controller-runtime's controllerutil, kube-rs's finalizer()): a controller
// that must clean up outside the object (a snapshot, a DNS record, a bucket) puts a finalizer
// on it, and removes the finalizer only once the cleanup has succeeded - the apiserver keeps
// the object (with a deletionTimestamp) until then.
//
// Writes are JSON patches that test the list they replace, so they never drop another
// controller's finalizer and never conflict with unrelated updates; a concurrent change to the
// list is reported as kConflict (retry after the cache catches up).
//
//   Result<ReconcileResult> reconcile(const Request& req, const ReconcileContext&) override {
//     Object obj = cache.get(req.key());
//     if (!obj) return ReconcileResult{};
//     return kube::finalize(client, type, obj, "berth.dev/snapshots",
//         [&](kube::FinalizerEvent e, const Object& o) -> Result<ReconcileResult> {
//           if (e == kube::FinalizerEvent::kCleanup) return delete_snapshots(o);
//           return converge(o);
//         });
//   }
#pragma once

#include <functional>
#include <string_view>

#include "kube/api/object.h"
#include "kube/api/resource.h"
#include "kube/client/client.h"
#include "kube/controller/reconciler.h"

namespace kube {

// Adds `finalizer` unless present; returns the object as written (or `object` unchanged).
Result<Object> add_finalizer(Client& client, const ResourceType& type, const Object& object,
                             std::string_view finalizer);
// Removes `finalizer` if present; returns the object as written (or `object` unchanged). Once
// the last finalizer of a deleted object goes, the apiserver deletes it (the answer is its
// final state).
Result<Object> remove_finalizer(Client& client, const ResourceType& type, const Object& object,
                                std::string_view finalizer);
// add_finalizer for objects that are not being deleted; nothing for those that are (a
// finalizer cannot be added after deletion started).
Result<Object> ensure_finalizer(Client& client, const ResourceType& type, const Object& object,
                                std::string_view finalizer);

enum class FinalizerEvent {
  kApply,    // the object is live (and carries the finalizer): converge it
  kCleanup,  // the object is being deleted and still carries the finalizer: clean up
};

// The run-cleanup-then-remove pattern. A live object gets the finalizer first, then `handler`
// sees kApply. A deleted object carrying the finalizer gets kCleanup; when that succeeds the
// finalizer is removed (a failure leaves it, so the cleanup is retried). A deleted object
// without the finalizer is left alone.
Result<ReconcileResult> finalize(
    Client& client, const ResourceType& type, const Object& object, std::string_view finalizer,
    const std::function<Result<ReconcileResult>(FinalizerEvent, const Object&)>& handler);

}  // namespace kube
