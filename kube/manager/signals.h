// ShutdownSignals: SIGTERM and SIGINT as a CancelToken, for a Manager's run() (and any
// server's graceful drain). The first signal cancels the token; a second one exits at once
// with status 1, for an operator who does not want to wait for the drain.
//
//   int main() {
//     auto signals = kube::ShutdownSignals::install();   // first thing, before any thread
//     ...
//     kube::Status s = manager->run(signals->token());
//     return s.ok() ? 0 : 1;
//   }
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "kube/client/cancel.h"

namespace kube {

class ShutdownSignals {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread - threads created afterwards inherit the
  // mask, so call it before starting any - and waits for them on a thread of its own
  // (signalfd). Throws std::system_error when the signal machinery is unavailable. One at a
  // time per process.
  static std::unique_ptr<ShutdownSignals> install();
  // Stops waiting and unblocks the signals in the calling thread.
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  CancelToken token() const { return cancel_.token(); }
  // The first signal received (SIGTERM, SIGINT), 0 before any.
  int received() const { return received_.load(); }

 private:
  ShutdownSignals(int signal_fd, int wake_fd);
  void run();

  int signal_fd_;
  int wake_fd_;
  CancelSource cancel_;
  std::atomic<int> received_{0};
  std::thread thread_;
};

}  // namespace kube
