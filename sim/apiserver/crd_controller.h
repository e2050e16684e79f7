// CRD controller: serves a CustomResourceDefinition's resources as soon as it is stored
// (synchronously, so a custom resource can be created right after its CRD), then marks the CRD
// NamesAccepted and Established; on deletion deletes the custom resources, releases the CRD's
// cleanup finalizer and stops serving once the CRD is gone.
#pragma once

#include "sim/apiserver/object_api.h"
#include "sim/apiserver/task_queue.h"

namespace berth::sim {

class CrdController {
 public:
  CrdController(ObjectApi& api, TaskQueue& queue);
  void start();

 private:
  void on_commit(const CommitEvent& event);
  void establish(const std::string& name);
  void cleanup(const std::string& name, std::vector<ResourcePtr> served);

  ObjectApi& api_;
  TaskQueue& queue_;
};

}  // namespace berth::sim
