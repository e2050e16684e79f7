// Expectations: what a controller has asked the API server for and not yet seen in its cache
// (kube-controller-manager's UIDTrackingControllerExpectations). After creating N pods, a
// ReplicaSet is not synced again until its cache shows those N creations, so a sync that runs
// on a stale cache cannot create the same pods twice; deletions are tracked by pod key so that
// only the deletions asked for count. Records older than 5 minutes are treated as satisfied,
// so a lost event cannot wedge a ReplicaSet forever. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace berth::sim {

class Expectations {
 public:
  explicit Expectations(std::chrono::milliseconds ttl = std::chrono::minutes(5)) : ttl_(ttl) {}

  // True when the controller may act on `key`: no record, all observed, or expired.
  bool satisfied(std::string_view key) const;
  void expect_creations(std::string_view key, std::int64_t count);
  void expect_deletions(std::string_view key, const std::vector<std::string>& pod_keys);
  void creation_observed(std::string_view key);
  // Lowers the deletion count only for a pod key that was asked to be deleted.
  void deletion_observed(std::string_view key, std::string_view pod_key);
  // A creation that failed (or was skipped) will never be observed.
  void lower_creations(std::string_view key, std::int64_t count);
  void forget(std::string_view key);
  // Pending (creations, deletions) for `key`; {0, 0} without a record.
  std::pair<std::int64_t, std::int64_t> pending(std::string_view key) const;

 private:
  struct Record {
    std::int64_t adds = 0;
    std::unordered_set<std::string> deletes;
    std::chrono::steady_clock::time_point since;
  };
  std::chrono::milliseconds ttl_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Record> records_;
};

}  // namespace berth::sim
