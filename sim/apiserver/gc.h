// GarbageCollector: ownerReference semantics of kube-controller-manager's garbage collector.
//  - background: once an owner is gone, dependents with no other living owner are deleted;
//    dependents that still have an owner lose the dangling reference;
//  - foreground: an owner carrying the foregroundDeletion finalizer waits until its
//    dependents (those with blockOwnerDeletion) are gone, then the finalizer is removed;
//  - orphan: the orphan finalizer strips the owner's references from its dependents first.
// Reacts to commits (ObjectApi::on_commit) and does the work on a TaskQueue.
#pragma once

#include <string>

#include "sim/apiserver/object_api.h"
#include "sim/apiserver/task_queue.h"

namespace berth::sim {

class GarbageCollector {
 public:
  GarbageCollector(ObjectApi& api, TaskQueue& queue);
  // Registers the commit hook; call once.
  void start();

 private:
  void on_commit(const CommitEvent& event);
  void owner_gone(const std::string& uid);
  void foreground(const std::string& uid);
  void orphan(const std::string& uid);
  void remove_finalizer(const ResourcePtr& resource, const kube::Object& owner,
                        std::string_view finalizer);

  ObjectApi& api_;
  TaskQueue& queue_;
};

}  // namespace berth::sim
