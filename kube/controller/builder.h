// ControllerBuilder: wires a Reconciler to the informers it depends on, in controller-runtime's
// builder shape:
//
//   manager.controller("replicaset")                       // or ControllerBuilder(factory, name)
//       .for_(kube::resources::kReplicaSets)               // reconcile each ReplicaSet
//       .owns(kube::resources::kPods)                      // a pod event -> its controller owner
//       .watches(kube::resources::kNodes, nodes_to_sets)   // any other mapping
//       .workers(4)
//       .complete(std::make_shared<ReplicaSetReconciler>(...));
//
// Every informer comes from the shared factory, so controllers watching the same kind share
// one watch and cache.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/cache/shared_informer_factory.h"
#include "kube/controller/controller.h"

namespace kube {

// Maps an object of a watched kind to the requests it should trigger.
using MapFunc = std::function<std::vector<Request>(const Object& object)>;

// Whether an event should reach the controller (controller-runtime's predicates): `old_object`
// is null except for updates. Return false to drop the event.
using EventFilter = std::function<bool(const Object* old_object, const Object& object)>;

// Requests for the controller owners of `object` of the given kind: ownerReferences with
// controller: true whose apiVersion has `owner_type`'s group and whose kind is its kind.
std::vector<Request> controller_owner_requests(const Object& object,
                                               const ResourceType& owner_type);

class ControllerBuilder {
 public:
  using Sink = std::function<Controller&(std::unique_ptr<Controller>)>;

  // `informers` (and the registry, when set) must outlive the controller. `sink` receives the
  // controller in complete() (the Manager passes one that adds it to itself).
  ControllerBuilder(SharedInformerFactory& informers, std::string name, Sink sink = {});

  // The kind this controller reconciles: each of its events enqueues the object itself.
  // Exactly one for_ per controller.
  ControllerBuilder& for_(const ResourceType& type, const InformerScope& scope = {});
  // A kind this controller creates and owns: each event enqueues the object's controller owner
  // of the for_ kind (from metadata.ownerReferences).
  ControllerBuilder& owns(const ResourceType& type, const InformerScope& scope = {});
  // Any other kind, mapped to requests by `map` (both states of an update are mapped).
  ControllerBuilder& watches(const ResourceType& type, MapFunc map,
                             const InformerScope& scope = {});
  // Filters the events of every source added after it (call before for_/owns/watches to
  // filter them all). Several filters must all pass.
  ControllerBuilder& with_event_filter(EventFilter filter);
  ControllerBuilder& workers(int n);
  ControllerBuilder& metrics(metrics::Registry& registry);
  ControllerBuilder& clock(Clock& clock);
  ControllerBuilder& rate_limiter(std::unique_ptr<RateLimiter> limiter);

  // Builds the controller. Throws std::logic_error without for_ (or with two).
  std::unique_ptr<Controller> build(std::shared_ptr<Reconciler> reconciler);
  // build() and hand the controller to the sink; returns the sink's reference. Throws
  // std::logic_error without a sink.
  Controller& complete(std::shared_ptr<Reconciler> reconciler);

 private:
  enum class Role { kFor, kOwns, kWatches };
  struct SourceSpec {
    Role role;
    ResourceType type;
    InformerScope scope;
    MapFunc map;                       // kWatches
    std::vector<EventFilter> filters;  // those set before this source
  };

  ControllerBuilder& add(SourceSpec spec);

  SharedInformerFactory& informers_;
  Sink sink_;
  ControllerOptions options_;
  std::vector<EventFilter> filters_;
  std::vector<SourceSpec> sources_;
};

// Filters for with_event_filter.
namespace filters {
// Passes updates only when metadata.generation changed (spec edits, not status or metadata).
// Adds and deletes pass.
bool generation_changed(const Object* old_object, const Object& object);
// Passes updates only when labels or annotations changed, or the generation did.
bool generation_or_metadata_changed(const Object* old_object, const Object& object);
}  // namespace filters

}  // namespace kube
