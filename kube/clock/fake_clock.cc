#include "kube/clock/fake_clock.h"

#include <thread>

namespace kube {

FakeClock::FakeClock(time_point start) : now_(start) {}

Clock::time_point FakeClock::now() const {
  std::lock_guard<std::mutex> guard(mu_);
  return now_;
}

std::cv_status FakeClock::wait_until(std::condition_variable& cv,
                                     std::unique_lock<std::mutex>& lock, time_point deadline) {
  std::list<Waiter>::iterator self;
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (now_ >= deadline) return std::cv_status::timeout;
    self = waiters_.insert(waiters_.end(), Waiter{&cv, lock.mutex(), deadline});
  }
  // The caller's mutex stays held from registration until wait() releases it, and advance()
  // notifies only while holding that mutex: a notification cannot fall between the two.
  cv.wait(lock);
  std::lock_guard<std::mutex> guard(mu_);
  waiters_.erase(self);
  return now_ >= deadline ? std::cv_status::timeout : std::cv_status::no_timeout;
}

void FakeClock::advance(duration d) {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (d > duration::zero()) now_ += d;
  }
  wake_due();
}

void FakeClock::set(time_point t) {
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (t > now_) now_ = t;
  }
  wake_due();
}

void FakeClock::wake_due() {
  // Waiters lock their own mutex, then ours (to register). Here we hold ours and may only
  // try theirs; on failure we let go and retry, so neither side waits on the other forever.
  // Holding ours while notifying keeps the waiter's entry, and so its cv and mutex, alive.
  while (true) {
    bool pending = false;
    {
      std::lock_guard<std::mutex> guard(mu_);
      for (Waiter& w : waiters_) {
        if (w.notified || w.deadline > now_) continue;
        if (!w.mutex->try_lock()) {
          pending = true;
          continue;
        }
        w.notified = true;
        w.cv->notify_all();
        w.mutex->unlock();
      }
    }
    if (!pending) return;
    std::this_thread::yield();
  }
}

std::size_t FakeClock::waiters() const {
  std::lock_guard<std::mutex> guard(mu_);
  std::size_t n = 0;
  for (const Waiter& w : waiters_) {
    if (!w.notified) ++n;
  }
  return n;
}

std::optional<Clock::time_point> FakeClock::next_deadline() const {
  std::lock_guard<std::mutex> guard(mu_);
  std::optional<time_point> next;
  for (const Waiter& w : waiters_) {
    if (w.notified) continue;
    if (!next || w.deadline < *next) next = w.deadline;
  }
  return next;
}

}  // namespace kube
