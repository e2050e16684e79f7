// Binder: posts a pod's Binding for the bind verb (kube-scheduler delegates binding to an
// extender configured with bindVerb). The API call runs off the HTTP io thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "kube/client/client.h"
#include "kube/core/result.h"
#include "scheduler-extender/protocol/extender_args.h"

namespace berth::extender {

class Binder {
 public:
  virtual ~Binder() = default;
  // Creates pods/<name>/binding; calls `done` exactly once, from any thread.
  virtual void bind(const protocol::BindingArgs& args, std::function<void(kube::Status)> done) = 0;
};

// Through the Kubernetes API, one binding at a time on a worker thread (kube-scheduler's
// binding cycles are already asynchronous; the extender answers when the API has).
class ApiBinder final : public Binder {
 public:
  explicit ApiBinder(kube::Client& client);
  ~ApiBinder() override;
  ApiBinder(const ApiBinder&) = delete;
  ApiBinder& operator=(const ApiBinder&) = delete;

  void bind(const protocol::BindingArgs& args, std::function<void(kube::Status)> done) override;

 private:
  struct Job {
    protocol::BindingArgs args;
    std::function<void(kube::Status)> done;
  };
  void run();

  kube::Client& client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread worker_;
};

// The v1.Binding document for a pod and node (metadata.uid makes the apiserver refuse to bind
// a different pod that reuses the name).
std::string binding_body(const protocol::BindingArgs& args);

}  // namespace berth::extender
