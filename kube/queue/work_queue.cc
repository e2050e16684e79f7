#include "kube/queue/work_queue.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "kube/queue/work_queue_metrics.h"

namespace kube {
namespace {

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

WorkQueue::WorkQueue(WorkQueueOptions options)
    : clock_(options.clock != nullptr ? *options.clock : Clock::real()),
      rate_limiter_(options.rate_limiter ? std::move(options.rate_limiter)
                                         : default_controller_rate_limiter(clock_)),
      with_metrics_(options.metrics != nullptr) {
  if (options.metrics != nullptr) {
    if (options.name.empty()) {
      throw std::invalid_argument("a work queue with metrics needs a name");
    }
    metrics_ = std::make_unique<WorkQueueMetrics>(
        *options.metrics, options.name, [this] { return unfinished_work_seconds(); },
        [this] { return longest_running_seconds(); });
  }
}

WorkQueue::~WorkQueue() {
  shut_down();
}

std::optional<Clock::time_point> WorkQueue::now_if_needed_locked() const {
  if (with_metrics_ || !delayed_.empty()) return clock_.now();
  return std::nullopt;
}

void WorkQueue::add(std::string_view key) {
  std::unique_lock<std::mutex> lock(mu_);
  if (shutting_down_) return;
  auto now = now_if_needed_locked();
  // Keys whose delay has run out were, in effect, added before this one.
  promote_due_locked(now);
  add_locked(key, now);
  wake_getters(lock);
}

void WorkQueue::add_locked(std::string_view key, std::optional<Clock::time_point> now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) it = entries_.emplace(std::string(key), Entry{}).first;
  Entry& entry = it->second;
  if (entry.dirty) return;
  entry.dirty = true;
  if (metrics_) {
    metrics_->adds.inc();
    entry.added = *now;
  }
  // A key being processed goes back in line at done(), so no two workers ever hold it.
  if (entry.processing) return;
  enqueue_locked(*it);
}

void WorkQueue::enqueue_locked(Node& node) {
  queue_.push_back(&node);
  update_depth_locked();
  ++wakeups_;
}

void WorkQueue::wake_getters(std::unique_lock<std::mutex>& lock) {
  const std::size_t wakeups = std::exchange(wakeups_, 0);
  const bool all = std::exchange(wake_all_, false);
  // Notified after unlocking, so a woken getter does not go straight back to sleep on the
  // mutex the notifier still holds.
  lock.unlock();
  if (all || wakeups > 1) {
    cv_.notify_all();
  } else if (wakeups == 1) {
    cv_.notify_one();
  }
}

void WorkQueue::add_after(std::string_view key, Clock::duration delay) {
  if (delay <= Clock::duration::zero()) {
    add(key);
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (shutting_down_) return;
  const auto now = clock_.now();
  promote_due_locked(now);
  const auto ready = now + delay;
  auto it = delayed_keys_.find(key);
  if (it != delayed_keys_.end() && it->second.first <= ready) {
    wake_getters(lock);  // for keys the promotion above may have queued
    return;
  }
  const std::uint64_t seq = next_seq_++;
  if (it == delayed_keys_.end()) {
    delayed_keys_.emplace(std::string(key), std::make_pair(ready, seq));
  } else {
    // The old heap entry stays behind; its seq no longer matches, so it is skipped as stale.
    it->second = {ready, seq};
  }
  Delayed entry{ready, seq, std::string(key)};
  const bool earliest = delayed_.empty() || Later()(delayed_.front(), entry);
  delayed_.push_back(std::move(entry));
  std::push_heap(delayed_.begin(), delayed_.end(), Later());
  if (earliest) {
    // Some idle getter must now wait for the earlier time. When one is already waiting on
    // the timer, only notify_all is sure to reach it; otherwise any one idle getter will do.
    if (timer_waiter_) {
      wake_all_ = true;
    } else {
      ++wakeups_;
    }
  }
  wake_getters(lock);
}

void WorkQueue::promote_due_locked(std::optional<Clock::time_point> now) {
  if (!now) return;
  while (!delayed_.empty()) {
    const Delayed& top = delayed_.front();
    auto it = delayed_keys_.find(top.key);
    const bool stale = it == delayed_keys_.end() || it->second.second != top.seq;
    if (!stale && top.ready > *now) return;
    std::pop_heap(delayed_.begin(), delayed_.end(), Later());
    Delayed due = std::move(delayed_.back());
    delayed_.pop_back();
    if (stale) continue;
    delayed_keys_.erase(it);
    add_locked(due.key, now);
  }
}

void WorkQueue::add_rate_limited(std::string_view key) {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (shutting_down_) return;
  }
  const auto delay = rate_limiter_->when(key);
  if (metrics_) metrics_->retries.inc();
  add_after(key, delay);
}

void WorkQueue::forget(std::string_view key) {
  rate_limiter_->forget(key);
}

int WorkQueue::num_requeues(std::string_view key) const {
  return rate_limiter_->num_requeues(key);
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (shutting_down_) return std::nullopt;
    if (!delayed_.empty()) promote_due_locked(clock_.now());
    if (!queue_.empty()) break;
    if (!delayed_.empty() && !timer_waiter_) {
      timer_waiter_ = true;
      clock_.wait_until(cv_, lock, delayed_.front().ready);
      timer_waiter_ = false;
    } else {
      cv_.wait(lock);
    }
  }
  Node* node = queue_.front();
  queue_.pop_front();
  Entry& entry = node->second;
  entry.dirty = false;
  entry.processing = true;
  ++in_flight_count_;
  if (metrics_) {
    const auto now = clock_.now();
    metrics_->queue_duration.observe(seconds(now - entry.added));
    entry.started = now;
    entry.in_flight = in_flight_.insert(now);
  }
  update_depth_locked();
  std::string key = node->first;
  // Keys this getter promoted from the delayed heap were counted in wakeups_; it takes one
  // of them itself. If it was watching the timer and delayed keys remain, another idle getter
  // must take over that watch.
  if (wakeups_ > 0) --wakeups_;
  if (!delayed_.empty() && !timer_waiter_) ++wakeups_;
  wake_getters(lock);
  return key;
}

void WorkQueue::done(std::string_view key) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.processing) return;
  Entry& entry = it->second;
  entry.processing = false;
  --in_flight_count_;
  if (metrics_) {
    metrics_->work_duration.observe(seconds(clock_.now() - entry.started));
    in_flight_.erase(entry.in_flight);
  }
  if (shutting_down_) {
    entries_.erase(it);
    if (in_flight_count_ == 0) drain_.notify_all();
    return;
  }
  if (entry.dirty) {
    enqueue_locked(*it);
    wake_getters(lock);
  } else {
    entries_.erase(it);
  }
}

std::size_t WorkQueue::len() {
  std::unique_lock<std::mutex> lock(mu_);
  if (!delayed_.empty()) promote_due_locked(clock_.now());
  const std::size_t n = queue_.size();
  wake_getters(lock);
  return n;
}

void WorkQueue::shut_down() {
  std::lock_guard<std::mutex> guard(mu_);
  shut_down_locked();
}

void WorkQueue::shut_down_locked() {
  if (shutting_down_) return;
  shutting_down_ = true;
  for (Node* node : queue_)
    entries_.erase(entries_.find(node->first));
  queue_.clear();
  delayed_.clear();
  delayed_keys_.clear();
  update_depth_locked();
  cv_.notify_all();
  drain_.notify_all();
}

bool WorkQueue::shut_down_with_drain(Clock::duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  shut_down_locked();
  const auto now = clock_.now();
  const auto deadline =
      timeout >= Clock::time_point::max() - now ? Clock::time_point::max() : now + timeout;
  while (in_flight_count_ > 0) {
    if (clock_.wait_until(drain_, lock, deadline) == std::cv_status::timeout) break;
  }
  return in_flight_count_ == 0;
}

bool WorkQueue::shutting_down() const {
  std::lock_guard<std::mutex> guard(mu_);
  return shutting_down_;
}

void WorkQueue::update_depth_locked() {
  if (metrics_) metrics_->depth.set(static_cast<double>(queue_.size()));
}

double WorkQueue::unfinished_work_seconds() const {
  std::lock_guard<std::mutex> guard(mu_);
  const auto now = clock_.now();
  double total = 0;
  for (const auto& started : in_flight_)
    total += seconds(now - started);
  return total;
}

double WorkQueue::longest_running_seconds() const {
  std::lock_guard<std::mutex> guard(mu_);
  if (in_flight_.empty()) return 0;
  return seconds(clock_.now() - *in_flight_.begin());
}

}  // namespace kube
