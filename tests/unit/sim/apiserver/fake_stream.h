// A ChunkedStream that records chunks in memory, for watch tests without sockets.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "kube/http/server.h"

namespace berth::sim::testing {

class FakeStream : public kube::http::ChunkedStream {
 public:
  bool write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    pending_ += chunk.size();
    chunks_.push_back(std::move(chunk));
    return true;
  }
  void finish() override { close(); }
  bool closed() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  void on_close(std::function<void()> callback) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (closed_) {
      lock.unlock();
      callback();
      return;
    }
    callbacks_.push_back(std::move(callback));
  }
  std::size_t pending_bytes() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return drained_ ? 0 : pending_;
  }
  // The peer went away.
  void disconnect() { close(); }
  // Pretend nothing is ever sent (a client that stopped reading).
  void stall() {
    std::lock_guard<std::mutex> lock(mu_);
    drained_ = false;
  }
  std::vector<std::string> chunks() const {
    std::lock_guard<std::mutex> lock(mu_);
    return chunks_;
  }

 private:
  void close() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      closed_ = true;
      callbacks.swap(callbacks_);
    }
    for (auto& c : callbacks)
      c();
  }
  mutable std::mutex mu_;
  std::vector<std::string> chunks_;
  std::vector<std::function<void()>> callbacks_;
  std::size_t pending_ = 0;
  bool drained_ = true;
  bool closed_ = false;
};

}  // namespace berth::sim::testing
