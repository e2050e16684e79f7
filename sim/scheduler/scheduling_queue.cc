#include "sim/scheduler/scheduling_queue.h"

#include <algorithm>

namespace berth::sim::scheduling {

SchedulingQueue::SchedulingQueue(QueueOptions options) : options_(options) {}

void SchedulingQueue::activate(const std::string& uid, Entry& e) {
  e.state = State::kActive;
  e.sequence = sequence_++;
  active_.emplace(-e.pod.priority, e.sequence, uid);
  cv_.notify_one();
}

void SchedulingQueue::add_or_update(PodInfo pod) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  std::string uid = pod.uid;
  auto it = entries_.find(uid);
  if (it == entries_.end()) {
    Entry& e = entries_[uid];
    e.pod = std::move(pod);
    activate(uid, e);
    return;
  }
  Entry& e = it->second;
  if (e.state == State::kActive && e.pod.priority != pod.priority) {
    active_.erase({-e.pod.priority, e.sequence, uid});
    e.pod = std::move(pod);
    activate(uid, e);
    return;
  }
  e.pod = std::move(pod);
}

void SchedulingQueue::forget(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(uid);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  switch (e.state) {
    case State::kActive:
      active_.erase({-e.pod.priority, e.sequence, uid});
      break;
    case State::kBackoff:
      backoff_.erase({e.backoff_until, uid});
      break;
    case State::kUnschedulable:
      unschedulable_.erase(uid);
      break;
    case State::kInFlight:
      break;
  }
  entries_.erase(it);
}

void SchedulingQueue::flush(Clock::time_point now) {
  while (!backoff_.empty() && backoff_.begin()->first <= now) {
    std::string uid = backoff_.begin()->second;
    backoff_.erase(backoff_.begin());
    activate(uid, entries_.at(uid));
  }
  for (auto it = unschedulable_.begin(); it != unschedulable_.end();) {
    Entry& e = entries_.at(*it);
    if (now - e.unschedulable_since >= options_.unschedulable_timeout) {
      std::string uid = *it;
      it = unschedulable_.erase(it);
      activate(uid, e);
    } else {
      ++it;
    }
  }
}

std::optional<PodInfo> SchedulingQueue::pop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (closed_) return std::nullopt;
    auto now = Clock::now();
    flush(now);
    if (!active_.empty()) {
      std::string uid = std::get<2>(*active_.begin());
      active_.erase(active_.begin());
      Entry& e = entries_.at(uid);
      e.state = State::kInFlight;
      return e.pod;
    }
    auto wake = now + std::chrono::seconds(1);
    if (!backoff_.empty()) wake = std::min(wake, backoff_.begin()->first);
    cv_.wait_until(lock, wake);
  }
}

void SchedulingQueue::requeue(const std::string& uid, bool unschedulable) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(uid);
  if (it == entries_.end() || it->second.state != State::kInFlight) return;
  Entry& e = it->second;
  ++e.attempts;
  auto backoff = options_.initial_backoff;
  for (int i = 1; i < e.attempts && backoff < options_.max_backoff; ++i)
    backoff *= 2;
  backoff = std::min(backoff, options_.max_backoff);
  auto now = Clock::now();
  e.backoff_until = now + backoff;
  if (unschedulable) {
    e.state = State::kUnschedulable;
    e.unschedulable_since = now;
    unschedulable_.insert(uid);
  } else {
    e.state = State::kBackoff;
    backoff_.emplace(e.backoff_until, uid);
  }
  cv_.notify_one();
}

void SchedulingQueue::move_all_unschedulable() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  for (const auto& uid : unschedulable_) {
    Entry& e = entries_.at(uid);
    if (e.backoff_until > now) {
      e.state = State::kBackoff;
      backoff_.emplace(e.backoff_until, uid);
    } else {
      activate(uid, e);
    }
  }
  unschedulable_.clear();
  cv_.notify_one();
}

void SchedulingQueue::close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

std::size_t SchedulingQueue::active_size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.size();
}

std::size_t SchedulingQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace berth::sim::scheduling
