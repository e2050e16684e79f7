#include "kube/client/cancel.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

namespace kube {

struct CancelToken::State {
  std::mutex mu;
  std::condition_variable cv;
  bool cancelled = false;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, std::function<void()>> callbacks;
};

CancelToken::Registration::Registration(Registration&& other) noexcept
    : state_(std::move(other.state_)), id_(other.id_) {
  other.id_ = 0;
}

CancelToken::Registration& CancelToken::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    id_ = other.id_;
    other.id_ = 0;
  }
  return *this;
}

CancelToken::Registration::~Registration() {
  reset();
}

void CancelToken::Registration::reset() {
  if (id_ == 0) return;
  if (auto state = state_.lock()) {
    std::lock_guard lock(state->mu);
    state->callbacks.erase(id_);
  }
  id_ = 0;
  state_.reset();
}

bool CancelToken::cancelled() const {
  if (!state_) return false;
  std::lock_guard lock(state_->mu);
  return state_->cancelled;
}

CancelToken::Registration CancelToken::on_cancel(std::function<void()> callback) const {
  if (!state_) return {};
  {
    std::lock_guard lock(state_->mu);
    if (!state_->cancelled) {
      std::uint64_t id = state_->next_id++;
      state_->callbacks.emplace(id, std::move(callback));
      return Registration(state_, id);
    }
  }
  callback();
  return {};
}

bool CancelToken::sleep_until(Clock& clock, Clock::time_point deadline) const {
  if (!state_) {
    std::mutex mu;
    std::condition_variable cv;
    std::unique_lock lock(mu);
    while (clock.now() < deadline)
      clock.wait_until(cv, lock, deadline);
    return true;
  }
  std::unique_lock lock(state_->mu);
  while (!state_->cancelled && clock.now() < deadline) {
    clock.wait_until(state_->cv, lock, deadline);
  }
  return !state_->cancelled;
}

CancelSource::CancelSource() : state_(std::make_shared<CancelToken::State>()) {}

void CancelSource::cancel() {
  std::map<std::uint64_t, std::function<void()>> callbacks;
  {
    std::lock_guard lock(state_->mu);
    if (state_->cancelled) return;
    state_->cancelled = true;
    callbacks.swap(state_->callbacks);
  }
  state_->cv.notify_all();
  for (auto& [id, callback] : callbacks)
    callback();
}

bool CancelSource::cancelled() const {
  std::lock_guard lock(state_->mu);
  return state_->cancelled;
}

}  // namespace kube
