#include "scheduler-extender/protocol/extender_args.h"

namespace berth::extender::protocol {

namespace json = kube::json;

namespace {

kube::Error bad_request(std::string message) {
  return kube::Error::make(kube::Reason::kBadRequest, std::move(message), 400);
}

kube::Result<json::Document> parse_body(std::string_view body, const ParseLimits& limits,
                                        std::string_view what) {
  if (body.empty()) return bad_request(std::string(what) + ": empty request body");
  auto doc = json::parse(body, {.max_depth = limits.max_depth});
  if (!doc.ok()) return bad_request(std::string(what) + ": " + doc.error().message);
  if (!doc->IsObject()) return bad_request(std::string(what) + " must be a JSON object");
  return doc;
}

kube::Result<PodSpec> parse_pod(const json::Value& root, std::string_view what) {
  const json::Value* pod = json::find(root, "Pod");
  if (pod == nullptr || pod->IsNull()) return bad_request(std::string(what) + " has no Pod");
  auto spec = decode_pod(*pod);
  if (!spec.ok()) return bad_request(std::string(what) + ": " + spec.error().message);
  return spec;
}

}  // namespace

kube::Result<ExtenderArgs> parse_extender_args(std::string_view body, const ParseLimits& limits) {
  KUBE_ASSIGN_OR_RETURN(json::Document doc, parse_body(body, limits, "ExtenderArgs"));
  ExtenderArgs args;
  KUBE_ASSIGN_OR_RETURN(args.pod, parse_pod(doc, "ExtenderArgs"));

  const json::Value* nodes = json::find(doc, "Nodes");
  const json::Value* names = json::find(doc, "NodeNames");
  if (nodes != nullptr && !nodes->IsNull()) {
    if (!nodes->IsObject()) return bad_request("ExtenderArgs.Nodes must be a NodeList object");
    const json::Value* items = json::find(*nodes, "items");
    if (items != nullptr && !items->IsNull() && !items->IsArray()) {
      return bad_request("ExtenderArgs.Nodes.items must be a list");
    }
    args.nodes_sent_as_list = true;
    if (items != nullptr && items->IsArray()) {
      args.node_names.reserve(items->Size());
      args.node_objects.reserve(items->Size());
      for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
        const json::Value& node = (*items)[i];
        const json::Value* meta = node.IsObject() ? json::find(node, "metadata") : nullptr;
        std::string_view name =
            meta != nullptr && meta->IsObject() ? json::get_string(*meta, "name") : "";
        if (name.empty()) {
          return bad_request("ExtenderArgs.Nodes.items[" + std::to_string(i) +
                             "] has no metadata.name");
        }
        args.node_names.push_back(name);
        args.node_objects.push_back(&node);
      }
    }
  } else if (names != nullptr && !names->IsNull()) {
    if (!names->IsArray()) return bad_request("ExtenderArgs.NodeNames must be a list of strings");
    args.node_names.reserve(names->Size());
    for (rapidjson::SizeType i = 0; i < names->Size(); ++i) {
      const json::Value& n = (*names)[i];
      if (!n.IsString() || n.GetStringLength() == 0) {
        return bad_request("ExtenderArgs.NodeNames[" + std::to_string(i) +
                           "] must be a non-empty string");
      }
      args.node_names.push_back(json::as_string(n));
    }
  } else {
    return bad_request("ExtenderArgs has neither NodeNames nor Nodes");
  }
  args.document = std::move(doc);
  return args;
}

kube::Result<PreemptionArgs> parse_preemption_args(std::string_view body,
                                                   const ParseLimits& limits) {
  KUBE_ASSIGN_OR_RETURN(json::Document doc, parse_body(body, limits, "ExtenderPreemptionArgs"));
  PreemptionArgs args;
  KUBE_ASSIGN_OR_RETURN(args.pod, parse_pod(doc, "ExtenderPreemptionArgs"));

  // nodeCacheCapable extenders get UIDs only (MetaVictims); the others full victim Pods.
  const json::Value* meta = json::find(doc, "NodeNameToMetaVictims");
  const json::Value* full = json::find(doc, "NodeNameToVictims");
  bool use_meta = meta != nullptr && !meta->IsNull();
  const json::Value* map = use_meta ? meta : full;
  std::string_view member = use_meta ? "NodeNameToMetaVictims" : "NodeNameToVictims";
  if (map != nullptr && !map->IsNull()) {
    if (!map->IsObject()) {
      return bad_request("ExtenderPreemptionArgs." + std::string(member) + " must be an object");
    }
    for (const auto& entry : map->GetObject()) {
      std::string_view node = json::as_string(entry.name);
      std::string where =
          "ExtenderPreemptionArgs." + std::string(member) + "[\"" + std::string(node) + "\"]";
      if (node.empty()) return bad_request("ExtenderPreemptionArgs: empty node name");
      if (!entry.value.IsObject()) return bad_request(where + " must be an object");
      Victims victims;
      const json::Value& num = entry.value;
      if (const json::Value* n = json::find(num, "NumPDBViolations"); n && !n->IsNull()) {
        if (!n->IsInt64()) return bad_request(where + ".NumPDBViolations must be an integer");
        victims.num_pdb_violations = n->GetInt64();
      }
      const json::Value* pods = json::find(entry.value, "Pods");
      if (pods != nullptr && !pods->IsNull()) {
        if (!pods->IsArray()) return bad_request(where + ".Pods must be a list");
        for (rapidjson::SizeType i = 0; i < pods->Size(); ++i) {
          const json::Value& p = (*pods)[i];
          std::string_view uid;
          if (use_meta) {
            uid = p.IsObject() ? json::get_string(p, "UID") : "";
          } else if (const json::Value* m = p.IsObject() ? json::find(p, "metadata") : nullptr;
                     m && m->IsObject()) {
            uid = json::get_string(*m, "uid");
          }
          if (uid.empty()) {
            return bad_request(where + ".Pods[" + std::to_string(i) + "] has no UID");
          }
          victims.pod_uids.push_back(uid);
        }
      }
      args.nodes.emplace_back(node, std::move(victims));
    }
  }
  args.document = std::move(doc);
  return args;
}

kube::Result<BindingArgs> parse_binding_args(std::string_view body, const ParseLimits& limits) {
  KUBE_ASSIGN_OR_RETURN(json::Document doc, parse_body(body, limits, "ExtenderBindingArgs"));
  BindingArgs args;
  auto member = [&](std::string_view key, std::string& out, bool required) -> kube::Status {
    const json::Value* v = json::find(doc, key);
    if (v != nullptr && !v->IsNull() && !v->IsString()) {
      return bad_request("ExtenderBindingArgs." + std::string(key) + " must be a string");
    }
    out = v != nullptr ? std::string(json::as_string(*v)) : std::string();
    if (required && out.empty()) {
      return bad_request("ExtenderBindingArgs." + std::string(key) + " is required");
    }
    return {};
  };
  KUBE_RETURN_IF_ERROR(member("PodName", args.pod_name, true));
  KUBE_RETURN_IF_ERROR(member("PodNamespace", args.pod_namespace, true));
  KUBE_RETURN_IF_ERROR(member("PodUID", args.pod_uid, false));
  KUBE_RETURN_IF_ERROR(member("Node", args.node, true));
  return args;
}

}  // namespace berth::extender::protocol
