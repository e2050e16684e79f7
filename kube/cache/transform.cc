#include "kube/cache/transform.h"

#include "kube/core/json.h"

namespace kube {
namespace {

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

}  // namespace

Object strip_bulk(Object object) {
  const json::Value* metadata = object.metadata();
  if (metadata == nullptr) return object;
  bool managed = json::find(*metadata, "managedFields") != nullptr;
  const json::Value* annotations = object.annotations();
  bool last_applied = annotations != nullptr && json::find(*annotations, kLastApplied) != nullptr;
  if (!managed && !last_applied) return object;

  json::Document doc = object.copy();
  json::Value& meta = doc["metadata"];
  json::remove(meta, "managedFields");
  if (last_applied) {
    json::Value& a = meta["annotations"];
    json::remove(a, kLastApplied);
    if (a.ObjectEmpty()) json::remove(meta, "annotations");
  }
  return Object::from(doc);
}

}  // namespace kube
