// LeaseLock: the record leader election reads and writes - a coordination.k8s.io/v1 Lease's
// spec - behind a small interface, so the election's state machine is tested against an
// in-memory lock and runs against the apiserver through LeaseLock::for_lease.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "kube/api/object.h"
#include "kube/client/cancel.h"
#include "kube/client/client.h"
#include "kube/core/result.h"
#include "kube/core/time.h"

namespace kube {

// Lease.spec. Times are MicroTime (microsecond precision) on the wire.
struct LeaseRecord {
  std::string holder_identity{};  // "" = nobody holds the lease (released)
  int lease_duration_seconds = 0;
  std::optional<SystemTime> acquire_time{};
  std::optional<SystemTime> renew_time{};
  int lease_transitions = 0;

  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

// Lease.spec as JSON and back (missing or mistyped fields read as empty/zero).
json::Document lease_spec_json(const LeaseRecord& record);
LeaseRecord lease_record_from_spec(const json::Value* spec);

struct VersionedLeaseRecord {
  LeaseRecord record;
  std::string version;  // the Lease's resourceVersion
};

// Implementations are thread-safe. `cancel` aborts a request in flight.
class LeaseLock {
 public:
  virtual ~LeaseLock() = default;

  // The current record; kNotFound when the lease does not exist.
  virtual Result<VersionedLeaseRecord> get(const CancelToken& cancel) = 0;
  // Creates the lease; kAlreadyExists when someone else was first. Returns the new version.
  virtual Result<std::string> create(const LeaseRecord& record, const CancelToken& cancel) = 0;
  // Replaces the record if the lease is still at `version` (optimistic concurrency); kConflict
  // when someone else wrote since. Returns the new version.
  virtual Result<std::string> update(const LeaseRecord& record, std::string_view version,
                                     const CancelToken& cancel) = 0;
  // "namespace/name", for logs and metrics.
  virtual std::string describe() const = 0;

  // A Lease `namespace_/name` through `client` (which must outlive the lock). Updates PUT the
  // whole Lease as last read, with its resourceVersion, the way client-go's resource lock does.
  static std::unique_ptr<LeaseLock> for_lease(Client& client, std::string namespace_,
                                              std::string name);
};

}  // namespace kube
