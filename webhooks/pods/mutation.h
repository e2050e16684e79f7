// PodMutation: what one mutating admission of a pod works on. The injectors edit `pod` (a copy
// of the object kube-apiserver sent) and record warnings and the features the pod now carries;
// the PodMutator turns the difference into the JSON patch.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"
#include "webhooks/admission/review.h"

namespace berth::webhooks {

struct PodMutation {
  kube::json::Document& pod;
  // The object as received; annotations are read from here.
  const kube::json::Value& original;
  // UPDATE: the stored pod; nullptr at CREATE.
  const kube::json::Value* old_pod = nullptr;
  Operation operation = Operation::kCreate;
  std::string_view namespace_{};
  std::vector<std::string> warnings{};
  // Entries of the berth.dev/injected marker.
  std::set<std::string, std::less<>> features{};
};

// A step of the pod mutation. Idempotent: applied to its own output it changes nothing, which
// makes reinvocation (reinvocationPolicy IfNeeded) and copies of injected pods safe. An error
// means the pod asks for something invalid (a bad annotation value); it is answered with a
// denial quoting the error's message.
class PodInjector {
 public:
  virtual ~PodInjector() = default;
  virtual kube::Status apply(PodMutation& mutation) const = 0;
};

// Helpers shared by the injectors.

// kBadRequest error for a bad annotation: "<annotation>: <problem>".
kube::Error annotation_error(std::string_view annotation, std::string_view problem);

// Ensures pod.spec.volumes has a volume called `name` (appending `volume`, which carries the
// name, when absent). Returns false when a volume of that name exists already.
bool ensure_volume(kube::json::Document& pod, std::string_view name, kube::json::Value volume);

enum class MountResult { kAdded, kPresent, kConflict };
// Ensures `container.volumeMounts` mounts `volume` at `mount_path`. kConflict when another
// volume is mounted there (nothing is changed then).
MountResult ensure_mount(kube::json::Value& container, std::string_view volume,
                         std::string_view mount_path, bool read_only, kube::json::Allocator& a);

}  // namespace berth::webhooks
