// Namespace lifecycle controllers: every new namespace gets its `default` ServiceAccount and
// `kube-root-ca.crt` ConfigMap (as the serviceaccount and root-ca-cert-publisher controllers
// do), and a namespace being deleted is emptied - every namespaced object deleted, finalizers
// and graceful deletions honoured - before it is finalized and removed.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "sim/apiserver/object_api.h"
#include "sim/apiserver/task_queue.h"

namespace berth::sim {

class NamespaceController {
 public:
  // `ca_pem` is published as kube-root-ca.crt's ca.crt.
  NamespaceController(ObjectApi& api, TaskQueue& queue, std::string ca_pem);
  void start();

  // Creates what a new namespace starts with (idempotent).
  void populate(const std::string& namespace_);

 private:
  void on_commit(const CommitEvent& event);
  void schedule(const std::string& namespace_, std::chrono::milliseconds delay);
  void drain(const std::string& namespace_);

  ObjectApi& api_;
  TaskQueue& queue_;
  std::string ca_pem_;
  std::mutex mu_;
  std::set<std::string> scheduled_;
};

}  // namespace berth::sim
