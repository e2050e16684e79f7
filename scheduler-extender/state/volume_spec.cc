#include "scheduler-extender/state/volume_spec.h"

#include <algorithm>

#include "scheduler-extender/state/well_known.h"

namespace berth::extender {

namespace json = kube::json;

namespace {

// A record is a short list of node names; anything larger is not one.
constexpr std::size_t kMaxRecordBytes = 64 * 1024;

const json::Value* metadata_of(const json::Value& obj, std::string_view kind, std::string& error) {
  if (!obj.IsObject()) {
    error = std::string(kind) + " must be an object";
    return nullptr;
  }
  const json::Value* meta = json::find(obj, "metadata");
  if (meta == nullptr || !meta->IsObject() || json::get_string(*meta, "name").empty()) {
    error = std::string(kind) + " has no metadata.name";
    return nullptr;
  }
  return meta;
}

}  // namespace

kube::Result<DataLocationRecord> parse_data_location(std::string_view text) {
  auto doc = json::parse(text, {.max_depth = 8, .max_bytes = kMaxRecordBytes});
  if (!doc.ok()) return kube::Error::parse(doc.error().message);
  if (!doc->IsObject()) return kube::Error::parse("the record must be a JSON object");
  const json::Value* nodes = json::find(*doc, "nodes");
  if (nodes == nullptr || !nodes->IsArray()) {
    return kube::Error::parse("the record needs \"nodes\": a list of node names");
  }
  DataLocationRecord out;
  for (const auto& n : nodes->GetArray()) {
    if (!n.IsString() || n.GetStringLength() == 0) {
      return kube::Error::parse("\"nodes\" must hold non-empty strings");
    }
    out.nodes.emplace_back(json::as_string(n));
  }
  std::sort(out.nodes.begin(), out.nodes.end());
  out.nodes.erase(std::unique(out.nodes.begin(), out.nodes.end()), out.nodes.end());
  return out;
}

kube::Result<PvcSpec> decode_pvc(const json::Value& pvc) {
  std::string error;
  const json::Value* meta = metadata_of(pvc, "PersistentVolumeClaim", error);
  if (meta == nullptr) return kube::Error::parse(error);
  PvcSpec out;
  out.namespace_ = std::string(json::get_string(*meta, "namespace"));
  out.name = std::string(json::get_string(*meta, "name"));
  if (const json::Value* spec = json::find(pvc, "spec"); spec && spec->IsObject()) {
    out.volume_name = std::string(json::get_string(*spec, "volumeName"));
    out.storage_class = std::string(json::get_string(*spec, "storageClassName"));
  }
  if (const json::Value* ann = json::find(*meta, "annotations"); ann && ann->IsObject()) {
    if (const json::Value* rec = json::find(*ann, well_known::kDataLocationAnnotation);
        rec && rec->IsString()) {
      auto parsed = parse_data_location(json::as_string(*rec));
      if (parsed.ok()) {
        out.data_location = std::move(*parsed);
      } else {
        out.data_location_error = parsed.error().message;
      }
    }
  }
  return out;
}

kube::Result<PvSpec> decode_pv(const json::Value& pv) {
  std::string error;
  const json::Value* meta = metadata_of(pv, "PersistentVolume", error);
  if (meta == nullptr) return kube::Error::parse(error);
  PvSpec out;
  out.name = std::string(json::get_string(*meta, "name"));
  if (const json::Value* required = json::find_path(pv, {"spec", "nodeAffinity", "required"});
      required && required->IsObject()) {
    out.node_affinity = decode_node_selector(*required);
  }
  if (const json::Value* labels = json::find(*meta, "labels"); labels && labels->IsObject()) {
    out.zone = std::string(json::get_string(*labels, well_known::kZoneLabel));
    if (out.zone.empty())
      out.zone = std::string(json::get_string(*labels, well_known::kLegacyZoneLabel));
    out.region = std::string(json::get_string(*labels, well_known::kRegionLabel));
    if (out.region.empty()) {
      out.region = std::string(json::get_string(*labels, well_known::kLegacyRegionLabel));
    }
  }
  return out;
}

kube::Result<StorageClassSpec> decode_storage_class(const json::Value& sc) {
  std::string error;
  const json::Value* meta = metadata_of(sc, "StorageClass", error);
  if (meta == nullptr) return kube::Error::parse(error);
  StorageClassSpec out;
  out.name = std::string(json::get_string(*meta, "name"));
  out.wait_for_first_consumer = json::get_string(sc, "volumeBindingMode") == "WaitForFirstConsumer";
  if (const json::Value* topo = json::find(sc, "allowedTopologies");
      topo && topo->IsArray() && !topo->Empty()) {
    out.allowed_topologies = decode_topology_selector_terms(*topo);
  }
  return out;
}

}  // namespace berth::extender
