// PlacementFence: closes the window between kube-scheduler's choice of a node for one pod and
// the extender's cache showing that pod there. kube-scheduler decides one pod at a time but
// binds asynchronously, so the next pod's filter can arrive before the previous pod's binding
// has reached the cache (through the pod watch, or through the bind verb). A filter whose
// answer depends on where other pods are - the pod has required inter-pod terms, or a pod
// filtered just before it has required anti-affinity - first waits until the pods filtered
// before it are in the cache, for at most `max_wait` each. Pods without such terms never wait,
// and a pod that kube-scheduler did not place (its cycle failed later) holds others back at
// most once, for `max_wait`.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler-extender/state/pod_spec.h"

namespace berth::extender {

class PlacementFence {
 public:
  using Clock = std::chrono::steady_clock;
  // `placed(uid)`: is the pod in the cache on a node (bound or assumed)?
  using PlacedFn = std::function<bool(std::string_view uid)>;

  explicit PlacementFence(std::chrono::milliseconds max_wait) : max_wait_(max_wait) {}

  // After a filter that left feasible nodes: kube-scheduler is about to place `pod`.
  void expect(const PodSpec& pod);
  // Before filtering `pod`: waits for the expected pods that matter to it. Returns the uids
  // still not placed when their time ran out (empty when all arrived or none mattered).
  std::vector<std::string> wait(const PodSpec& pod, const PlacedFn& placed);
  std::size_t pending() const;

 private:
  struct Expected {
    std::string uid;
    bool required_anti_affinity = false;
    Clock::time_point deadline;
  };

  const std::chrono::milliseconds max_wait_;
  mutable std::mutex mu_;
  std::vector<Expected> expected_;  // few: kube-scheduler has one pod in flight per binding
};

}  // namespace berth::extender
