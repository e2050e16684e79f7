#include "scheduler-extender/state/node_spec.h"

#include "scheduler-extender/state/pod_spec.h"

namespace berth::extender {

namespace json = kube::json;

TaintEffect taint_effect(std::string_view effect) {
  if (effect == "NoSchedule") return TaintEffect::kNoSchedule;
  if (effect == "PreferNoSchedule") return TaintEffect::kPreferNoSchedule;
  if (effect == "NoExecute") return TaintEffect::kNoExecute;
  return TaintEffect::kOther;
}

kube::Result<NodeSpec> decode_node(const json::Value& node) {
  if (!node.IsObject()) return kube::Error::parse("Node must be an object");
  const json::Value* meta = json::find(node, "metadata");
  std::string_view name = meta != nullptr ? json::get_string(*meta, "name") : std::string_view();
  if (name.empty()) return kube::Error::parse("Node has no metadata.name");
  NodeSpec out;
  out.name = std::string(name);
  out.labels = decode_string_map(json::find(*meta, "labels"));
  if (const json::Value* spec = json::find(node, "spec"); spec && spec->IsObject()) {
    out.unschedulable = json::get_bool(*spec, "unschedulable");
    if (const json::Value* taints = json::find(*spec, "taints"); taints && taints->IsArray()) {
      for (const auto& t : taints->GetArray()) {
        if (!t.IsObject()) continue;
        out.taints.push_back({std::string(json::get_string(t, "key")),
                              std::string(json::get_string(t, "value")),
                              std::string(json::get_string(t, "effect"))});
      }
    }
  }
  if (const json::Value* status = json::find(node, "status"); status && status->IsObject()) {
    const json::Value* alloc = json::find(*status, "allocatable");
    if (alloc == nullptr || !alloc->IsObject()) alloc = json::find(*status, "capacity");
    out.allocatable = decode_resource_list(alloc);
    if (const json::Value* images = json::find(*status, "images"); images && images->IsArray()) {
      for (const auto& img : images->GetArray()) {
        if (!img.IsObject()) continue;
        NodeImageSpec image;
        image.size_bytes = json::get_int(img, "sizeBytes");
        if (const json::Value* names = json::find(img, "names"); names && names->IsArray()) {
          for (const auto& n : names->GetArray()) {
            if (n.IsString()) image.names.emplace_back(json::as_string(n));
          }
        }
        if (!image.names.empty()) out.images.push_back(std::move(image));
      }
    }
  }
  return out;
}

}  // namespace berth::extender
