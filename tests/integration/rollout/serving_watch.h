// ServingWatch: the zero-downtime invariant, checked continuously. It follows every commit of
// the API server in-process (a LocalInformer of its own, so fault injection on the HTTP side
// never blinds it) and, after each change of a pod, the Service or a ReplicaSet, counts the
// pods the Service would send traffic to: selected by its selector, Ready, not terminating
// (the endpoints controller drops terminating pods from the ready addresses). Once armed with a
// floor (replicas - maxUnavailable), the first change that leaves fewer is kept as a violation.
// It also records when the Service's berth.dev/pod-template-hash pin moves (with the ready
// pods of the new revision at that instant) and when each ReplicaSet is scaled to zero.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sim/cluster/sim_cluster.h"

namespace berth::rollout::testing {

class ServingWatch {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct PinChange {
    TimePoint at{};
    std::string from;  // "" = not pinned
    std::string to;    // "" = pin removed
    // Ready, non-terminating pods of each revision when the Service switched.
    int ready_from = 0;
    int ready_to = 0;
  };

  ServingWatch(berth::sim::SimCluster& cluster, std::string namespace_, std::string service);
  ~ServingWatch();
  ServingWatch(const ServingWatch&) = delete;
  ServingWatch& operator=(const ServingWatch&) = delete;

  // From now on every change must leave at least `floor` serving pods. Returns the count now
  // (a caller arms once the Rollout is healthy; arming below the floor is itself a violation).
  int arm(int floor);
  int serving() const;
  // The lowest count seen since arm() (INT_MAX before).
  int min_serving() const;
  // Changes evaluated since arm(): how many times the invariant was checked.
  std::size_t checks() const;
  // "" while the invariant held; else the first violation with the serving pods per revision.
  std::string violation() const;
  std::vector<PinChange> pin_changes() const;
  // Every spec.replicas the ReplicaSet has had, in order (repeats collapsed).
  std::vector<int> replica_history(const std::string& replica_set) const;
  // When (wall clock, as the controller's status times) the ReplicaSet's spec.replicas last
  // went from above zero to zero.
  std::optional<std::chrono::system_clock::time_point> scaled_to_zero(
      const std::string& replica_set) const;

 private:
  void evaluate(const std::string& cause);

  std::string namespace_;
  std::string service_;
  std::unique_ptr<berth::sim::LocalInformer> informer_;
  berth::sim::ResourcePtr pods_;
  berth::sim::ResourcePtr services_;
  berth::sim::ResourcePtr replica_sets_;

  std::mutex eval_mu_;  // one evaluation at a time (dispatcher and arm())
  mutable std::mutex mu_;
  int floor_ = -1;  // -1 = not armed
  int serving_ = 0;
  int min_serving_;
  std::size_t checks_ = 0;
  std::string violation_;
  std::string pin_;
  std::vector<PinChange> pin_changes_;
  std::map<std::string, std::vector<int>> replicas_;  // ReplicaSet name -> spec.replicas seen
  std::map<std::string, std::chrono::system_clock::time_point> zeroed_;
};

}  // namespace berth::rollout::testing
