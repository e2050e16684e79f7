#include "scheduler-extender/server/placement_fence.h"

#include <algorithm>
#include <thread>

namespace berth::extender {

namespace {

// The cache is read under a shared lock; polling it this often costs nothing measurable and
// keeps the added latency close to the watch's own.
constexpr auto kPoll = std::chrono::microseconds(200);
// Bounds the list if kube-scheduler filters many pods that never get placed.
constexpr std::size_t kMaxExpected = 1024;

}  // namespace

void PlacementFence::expect(const PodSpec& pod) {
  if (pod.uid.empty() || max_wait_.count() <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  std::erase_if(expected_,
                [&](const Expected& e) { return e.deadline <= now || e.uid == pod.uid; });
  if (expected_.size() >= kMaxExpected) expected_.erase(expected_.begin());
  expected_.push_back({pod.uid, !pod.required_anti_affinity.empty(), now + max_wait_});
}

std::vector<std::string> PlacementFence::wait(const PodSpec& pod, const PlacedFn& placed) {
  bool own_terms = !pod.required_affinity.empty() || !pod.required_anti_affinity.empty();
  std::vector<std::string> timed_out;
  for (;;) {
    bool waiting = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto now = Clock::now();
      std::erase_if(expected_, [&](const Expected& e) {
        if (e.uid == pod.uid || placed(e.uid)) return true;
        bool matters = own_terms || e.required_anti_affinity;
        if (e.deadline <= now) {
          // Not placed in time (its cycle failed, or the cache is far behind): go ahead
          // without it, and never wait for it again.
          if (matters) timed_out.push_back(e.uid);
          return true;
        }
        waiting = waiting || matters;
        return false;
      });
    }
    if (!waiting) return timed_out;
    std::this_thread::sleep_for(kPoll);
  }
}

std::size_t PlacementFence::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return expected_.size();
}

}  // namespace berth::extender
