#include "sim/controllers/work_loop.h"

#include <algorithm>
#include <exception>

#include "kube/core/log.h"

namespace berth::sim {

WorkLoop::WorkLoop(std::string name, int workers, Sync sync)
    : name_(std::move(name)), workers_(std::max(1, workers)), sync_(std::move(sync)) {}

WorkLoop::~WorkLoop() {
  stop();
}

void WorkLoop::start() {
  for (int i = 0; i < workers_; ++i)
    threads_.emplace_back([this] { run(); });
}

void WorkLoop::stop() {
  queue_.shut_down();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkLoop::run() {
  while (auto key = queue_.get()) {
    SyncResult result;
    try {
      result = sync_(*key);
    } catch (const std::exception& e) {
      kube::log::error("controller sync threw",
                       {{"controller", name_}, {"key", *key}, {"error", e.what()}});
      result.retry = true;
    }
    if (result.retry) {
      queue_.add_rate_limited(*key);
    } else {
      queue_.forget(*key);
      if (result.requeue_after.count() > 0) queue_.add_after(*key, result.requeue_after);
    }
    queue_.done(*key);
  }
}

}  // namespace berth::sim
