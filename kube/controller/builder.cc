#include "kube/controller/builder.h"

#include <algorithm>
#include <stdexcept>

#include "kube/core/json.h"

namespace kube {
namespace {

// The group part of an apiVersion ("apps/v1" -> "apps", "v1" -> "").
std::string_view group_of(std::string_view api_version) {
  auto slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

bool same_labels_and_annotations(const Object& a, const Object& b) {
  auto eq = [](const json::Value* x, const json::Value* y) {
    if (x == nullptr || y == nullptr) return x == y;
    return json::equal(*x, *y);
  };
  return eq(a.labels(), b.labels()) && eq(a.annotations(), b.annotations());
}

}  // namespace

std::vector<Request> controller_owner_requests(const Object& object,
                                               const ResourceType& owner_type) {
  std::vector<Request> out;
  const json::Value* metadata = object.metadata();
  const json::Value* refs =
      metadata != nullptr ? json::find(*metadata, "ownerReferences") : nullptr;
  if (refs == nullptr || !refs->IsArray()) return out;
  for (const auto& ref : refs->GetArray()) {
    if (!ref.IsObject() || !json::get_bool(ref, "controller")) continue;
    if (json::get_string(ref, "kind") != owner_type.kind) continue;
    if (group_of(json::get_string(ref, "apiVersion")) != owner_type.group) continue;
    std::string_view name = json::get_string(ref, "name");
    if (name.empty()) continue;
    out.push_back({owner_type.namespaced ? std::string(object.namespace_()) : std::string(),
                   std::string(name)});
  }
  return out;
}

namespace filters {

bool generation_changed(const Object* old_object, const Object& object) {
  return old_object == nullptr || old_object->generation() != object.generation();
}

bool generation_or_metadata_changed(const Object* old_object, const Object& object) {
  return generation_changed(old_object, object) ||
         !same_labels_and_annotations(*old_object, object);
}

}  // namespace filters

ControllerBuilder::ControllerBuilder(SharedInformerFactory& informers, std::string name, Sink sink)
    : informers_(informers), sink_(std::move(sink)) {
  options_.name = std::move(name);
}

ControllerBuilder& ControllerBuilder::add(SourceSpec spec) {
  spec.filters = filters_;
  sources_.push_back(std::move(spec));
  return *this;
}

ControllerBuilder& ControllerBuilder::for_(const ResourceType& type, const InformerScope& scope) {
  return add({Role::kFor, type, scope, {}, {}});
}

ControllerBuilder& ControllerBuilder::owns(const ResourceType& type, const InformerScope& scope) {
  return add({Role::kOwns, type, scope, {}, {}});
}

ControllerBuilder& ControllerBuilder::watches(const ResourceType& type, MapFunc map,
                                              const InformerScope& scope) {
  if (!map) throw std::invalid_argument("kube::ControllerBuilder::watches: null map function");
  return add({Role::kWatches, type, scope, std::move(map), {}});
}

ControllerBuilder& ControllerBuilder::with_event_filter(EventFilter filter) {
  if (filter) filters_.push_back(std::move(filter));
  return *this;
}

ControllerBuilder& ControllerBuilder::workers(int n) {
  options_.workers = n;
  return *this;
}

ControllerBuilder& ControllerBuilder::metrics(metrics::Registry& registry) {
  options_.metrics = &registry;
  return *this;
}

ControllerBuilder& ControllerBuilder::clock(Clock& clock) {
  options_.clock = &clock;
  return *this;
}

ControllerBuilder& ControllerBuilder::rate_limiter(std::unique_ptr<RateLimiter> limiter) {
  options_.rate_limiter = std::move(limiter);
  return *this;
}

std::unique_ptr<Controller> ControllerBuilder::build(std::shared_ptr<Reconciler> reconciler) {
  const SourceSpec* primary = nullptr;
  for (const SourceSpec& s : sources_) {
    if (s.role != Role::kFor) continue;
    if (primary != nullptr) {
      throw std::logic_error("kube::ControllerBuilder: for_ called twice for controller " +
                             options_.name);
    }
    primary = &s;
  }
  if (primary == nullptr) {
    throw std::logic_error("kube::ControllerBuilder: controller " + options_.name +
                           " needs for_(kind)");
  }
  const ResourceType owner_type = primary->type;
  auto controller = std::make_unique<Controller>(std::move(options_), std::move(reconciler));
  for (SourceSpec& s : sources_) {
    EventMapper mapper;
    switch (s.role) {
      case Role::kFor:
        mapper = [](const Object*, const Object& o, std::vector<Request>& out) {
          out.push_back(Request::of(o));
        };
        break;
      case Role::kOwns:
        mapper = [owner_type](const Object* old_o, const Object& o, std::vector<Request>& out) {
          for (Request& r : controller_owner_requests(o, owner_type))
            out.push_back(std::move(r));
          if (old_o == nullptr) return;
          for (Request& r : controller_owner_requests(*old_o, owner_type)) {
            if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(std::move(r));
          }
        };
        break;
      case Role::kWatches:
        mapper = [map = std::move(s.map)](const Object* old_o, const Object& o,
                                          std::vector<Request>& out) {
          for (Request& r : map(o))
            out.push_back(std::move(r));
          if (old_o == nullptr) return;
          for (Request& r : map(*old_o)) {
            if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(std::move(r));
          }
        };
        break;
    }
    if (!s.filters.empty()) {
      mapper = [filters = std::move(s.filters), inner = std::move(mapper)](
                   const Object* old_o, const Object& o, std::vector<Request>& out) {
        for (const EventFilter& f : filters) {
          if (!f(old_o, o)) return;
        }
        inner(old_o, o, out);
      };
    }
    controller->watch(informers_.informer(s.type, s.scope), std::move(mapper));
  }
  sources_.clear();
  return controller;
}

Controller& ControllerBuilder::complete(std::shared_ptr<Reconciler> reconciler) {
  if (!sink_) {
    throw std::logic_error("kube::ControllerBuilder::complete needs a sink (use build())");
  }
  return sink_(build(std::move(reconciler)));
}

}  // namespace kube
