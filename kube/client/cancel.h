// Cancellation for blocking client calls: a CancelSource owned by whoever may stop the work
// (a Watcher's stop(), a controller's shutdown) and CancelTokens passed to the calls, which
// abort in-flight HTTP requests and wake rate-limiter and backoff waits.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "kube/clock/clock.h"

namespace kube {

// Cheap to copy; a default-constructed token is never cancelled. Thread-safe.
class CancelToken {
 public:
  struct State;

  // Unregisters its callback when destroyed. The callback may be running on another thread at
  // that moment, so callbacks must only touch state they co-own (capture shared_ptrs).
  class Registration {
   public:
    Registration() = default;
    Registration(std::weak_ptr<State> state, std::uint64_t id)
        : state_(std::move(state)), id_(id) {}
    Registration(Registration&& other) noexcept;
    Registration& operator=(Registration&& other) noexcept;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration();

   private:
    void reset();
    std::weak_ptr<State> state_;
    std::uint64_t id_ = 0;
  };

  CancelToken() = default;

  bool cancelled() const;
  // Runs `callback` once when the token is cancelled; at once, on this thread, when it already is.
  [[nodiscard]] Registration on_cancel(std::function<void()> callback) const;
  // Blocks until `deadline` on `clock`. Returns false when cancelled first (or already).
  bool sleep_until(Clock& clock, Clock::time_point deadline) const;
  bool sleep_for(Clock& clock, Clock::duration duration) const {
    return sleep_until(clock, clock.now() + duration);
  }

 private:
  friend class CancelSource;
  explicit CancelToken(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// Thread-safe.
class CancelSource {
 public:
  CancelSource();
  CancelToken token() const { return CancelToken(state_); }
  // Idempotent. Runs the registered callbacks on this thread and wakes every sleeper.
  void cancel();
  bool cancelled() const;

 private:
  std::shared_ptr<CancelToken::State> state_;
};

}  // namespace kube
