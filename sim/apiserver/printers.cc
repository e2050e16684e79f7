#include "sim/apiserver/printers.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "kube/core/strings.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

// Column descriptions are the API documentation of the field each column shows, as the
// apiserver serves them.
constexpr const char* kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "http://kubernetes.io/docs/user-guide/identifiers#names";
constexpr const char* kCreationTimestampDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";
constexpr const char* kNodeAddressesDescription =
    "List of addresses reachable to the node. Queried from cloud provider, if available. More "
    "info: https://kubernetes.io/docs/concepts/nodes/node/#addresses Note: This field is "
    "declared as mergeable, but the merge key is not sufficiently unique, which can cause data "
    "corruption when it is merged. Callers should instead use a full-replacement patch. See "
    "https://pr.k8s.io/79391 for an example.";

PrinterColumn column(std::string name, std::string description, int priority = 0,
                     std::string type = "string") {
  return {std::move(name), std::move(type), "", std::move(description), "", priority};
}
PrinterColumn name_column() {
  return {"Name", "string", "name", kNameDescription, "", 0};
}
PrinterColumn age_column() {
  return column("Age", kCreationTimestampDescription);
}

// Cell writers.
void put(Value& cells, json::Allocator& a, std::string_view s) {
  // An absent field reads as a null string_view, which RapidJSON rejects.
  cells.PushBack(json::make_string(s.empty() ? std::string_view("") : s, a), a);
}
void put(Value& cells, json::Allocator& a, std::int64_t n) {
  cells.PushBack(Value(n), a);
}

const Value& empty_object() {
  static const Value* empty = new Value(rapidjson::kObjectType);
  return *empty;
}
const Value& member(const Value& v, std::string_view key) {
  const Value* m = v.IsObject() ? json::find(v, key) : nullptr;
  return m != nullptr ? *m : empty_object();
}
const Value& meta(const Value& o) {
  return member(o, "metadata");
}
std::string_view name_of(const Value& o) {
  return json::get_string(meta(o), "name");
}
std::string age_of(const Value& o, kube::SystemTime now) {
  return age_since(json::get_string(meta(o), "creationTimestamp"), now);
}
bool deleting(const Value& o) {
  return json::find(meta(o), "deletionTimestamp") != nullptr;
}
std::int64_t count_members(const Value& o, std::string_view key) {
  const Value& v = member(o, key);
  if (v.IsObject()) return v.MemberCount();
  if (v.IsArray()) return v.Size();
  return 0;
}
std::string or_none(std::string s) {
  return s.empty() ? std::string("<none>") : s;
}
std::string join(const std::vector<std::string>& parts, std::string_view sep = ",") {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}
// Quantities and other scalars as text (capacity "1Gi", a port number).
std::string scalar_text(const Value* v) {
  if (v == nullptr || v->IsNull()) return {};
  if (v->IsString()) return std::string(json::as_string(*v));
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  return json::dump(*v);
}
// "k=v,k2=v2" sorted by key; "<none>" when empty (labels.FormatLabels).
std::string format_labels(const Value& map) {
  std::vector<std::string> parts;
  if (map.IsObject()) {
    for (const auto& m : map.GetObject())
      parts.push_back(std::string(json::as_string(m.name)) + "=" + scalar_text(&m.value));
  }
  std::sort(parts.begin(), parts.end());
  return or_none(join(parts));
}
// Container names and images of a pod spec (layoutContainerCells).
void containers_and_images(const Value& pod_spec, Value& cells, json::Allocator& a) {
  std::vector<std::string> names, images;
  const Value& containers = member(pod_spec, "containers");
  if (containers.IsArray()) {
    for (const auto& c : containers.GetArray()) {
      names.emplace_back(json::get_string(c, "name"));
      images.emplace_back(json::get_string(c, "image"));
    }
  }
  put(cells, a, join(names));
  put(cells, a, join(images));
}
std::string access_modes(const Value& spec) {
  static const std::pair<const char*, const char*> kModes[] = {{"ReadWriteOnce", "RWO"},
                                                               {"ReadOnlyMany", "ROX"},
                                                               {"ReadWriteMany", "RWX"},
                                                               {"ReadWriteOncePod", "RWOP"}};
  std::vector<std::string> out;
  const Value& modes = member(spec, "accessModes");
  for (const auto& [mode, abbreviation] : kModes) {
    if (!modes.IsArray()) break;
    for (const auto& m : modes.GetArray()) {
      if (json::as_string(m) == mode) {
        out.emplace_back(abbreviation);
        break;
      }
    }
  }
  return join(out);
}
std::string storage_class_of(const Value& o) {
  const Value& annotations = member(meta(o), "annotations");
  if (const Value* beta = json::find(annotations, "volume.beta.kubernetes.io/storage-class")) {
    return std::string(json::as_string(*beta));
  }
  return std::string(json::get_string(member(o, "spec"), "storageClassName"));
}
std::string volume_mode(const Value& spec) {
  std::string_view m = json::get_string(spec, "volumeMode");
  return m.empty() ? std::string("<unset>") : std::string(m);
}
std::string time_or_micro_age(const Value& o, std::string_view key, kube::SystemTime now) {
  std::string_view t = json::get_string(o, key);
  return t.empty() ? std::string() : age_since(t, now);
}

using CellsFn = void (*)(const TablePrinter&, const Value&, kube::SystemTime, Value&,
                         json::Allocator&, bool&);

void pod_cells(const TablePrinter&, const Value& pod, kube::SystemTime now, Value& cells,
               json::Allocator& a, bool& completed) {
  PodSummary s = summarize_pod(pod, now);
  completed = s.completed;
  const Value& spec = member(pod, "spec");
  const Value& status = member(pod, "status");
  std::string ip;
  const Value& ips = member(status, "podIPs");
  if (ips.IsArray() && !ips.Empty()) ip = std::string(json::get_string(ips[0], "ip"));
  std::string gates = "<none>";
  const Value& readiness_gates = member(spec, "readinessGates");
  if (readiness_gates.IsArray() && !readiness_gates.Empty()) {
    int ok = 0;
    const Value& conditions = member(status, "conditions");
    for (const auto& g : readiness_gates.GetArray()) {
      if (!conditions.IsArray()) break;
      for (const auto& c : conditions.GetArray()) {
        if (json::get_string(c, "type") == json::get_string(g, "conditionType")) {
          if (json::get_string(c, "status") == "True") ++ok;
          break;
        }
      }
    }
    gates = std::to_string(ok) + "/" + std::to_string(readiness_gates.Size());
  }
  put(cells, a, name_of(pod));
  put(cells, a, s.ready);
  put(cells, a, s.status);
  put(cells, a, s.restarts);
  put(cells, a, age_of(pod, now));
  put(cells, a, or_none(ip));
  put(cells, a, or_none(std::string(json::get_string(spec, "nodeName"))));
  put(cells, a, or_none(std::string(json::get_string(status, "nominatedNodeName"))));
  put(cells, a, gates);
}

std::string node_address(const Value& node, std::string_view type) {
  const Value& addresses = member(member(node, "status"), "addresses");
  if (addresses.IsArray()) {
    for (const auto& addr : addresses.GetArray()) {
      if (json::get_string(addr, "type") == type)
        return std::string(json::get_string(addr, "address"));
    }
  }
  return "<none>";
}

void node_cells(const TablePrinter&, const Value& node, kube::SystemTime now, Value& cells,
                json::Allocator& a, bool&) {
  const Value& info = member(member(node, "status"), "nodeInfo");
  auto or_unknown = [&](std::string_view key) {
    std::string_view v = json::get_string(info, key);
    return v.empty() ? std::string("<unknown>") : std::string(v);
  };
  put(cells, a, name_of(node));
  put(cells, a, node_status(node));
  put(cells, a, node_roles(node));
  put(cells, a, age_of(node, now));
  put(cells, a, json::get_string(info, "kubeletVersion"));
  put(cells, a, node_address(node, "InternalIP"));
  put(cells, a, node_address(node, "ExternalIP"));
  put(cells, a, or_unknown("osImage"));
  put(cells, a, or_unknown("kernelVersion"));
  put(cells, a, or_unknown("containerRuntimeVersion"));
}

void deployment_cells(const TablePrinter&, const Value& d, kube::SystemTime now, Value& cells,
                      json::Allocator& a, bool&) {
  put(cells, a, name_of(d));
  const Value& spec = member(d, "spec");
  const Value& status = member(d, "status");
  put(cells, a,
      std::to_string(json::get_int(status, "readyReplicas")) + "/" +
          std::to_string(json::get_int(spec, "replicas")));
  put(cells, a, json::get_int(status, "updatedReplicas"));
  put(cells, a, json::get_int(status, "availableReplicas"));
  put(cells, a, age_of(d, now));
  containers_and_images(member(member(spec, "template"), "spec"), cells, a);
  put(cells, a, selector_string(json::find(spec, "selector")));
}

void replicaset_cells(const TablePrinter&, const Value& rs, kube::SystemTime now, Value& cells,
                      json::Allocator& a, bool&) {
  put(cells, a, name_of(rs));
  const Value& spec = member(rs, "spec");
  const Value& status = member(rs, "status");
  put(cells, a, json::get_int(spec, "replicas"));
  put(cells, a, json::get_int(status, "replicas"));
  put(cells, a, json::get_int(status, "readyReplicas"));
  put(cells, a, age_of(rs, now));
  containers_and_images(member(member(spec, "template"), "spec"), cells, a);
  put(cells, a, selector_string(json::find(spec, "selector")));
}

std::string service_external_ip(const Value& svc) {
  const Value& spec = member(svc, "spec");
  std::vector<std::string> external;
  const Value& ips = member(spec, "externalIPs");
  if (ips.IsArray()) {
    for (const auto& ip : ips.GetArray())
      external.emplace_back(json::as_string(ip));
  }
  std::string_view type = json::get_string(spec, "type");
  if (type == "ClusterIP" || type == "NodePort") return or_none(join(external));
  if (type == "ExternalName") return std::string(json::get_string(spec, "externalName"));
  if (type == "LoadBalancer") {
    std::vector<std::string> all;
    const Value& ingress = member(member(member(svc, "status"), "loadBalancer"), "ingress");
    if (ingress.IsArray()) {
      for (const auto& i : ingress.GetArray()) {
        std::string_view ip = json::get_string(i, "ip");
        std::string_view host = json::get_string(i, "hostname");
        if (!ip.empty())
          all.emplace_back(ip);
        else if (!host.empty())
          all.emplace_back(host);
      }
    }
    all.insert(all.end(), external.begin(), external.end());
    return all.empty() ? std::string("<pending>") : join(all);
  }
  return "<unknown>";
}

void service_cells(const TablePrinter&, const Value& svc, kube::SystemTime now, Value& cells,
                   json::Allocator& a, bool&) {
  put(cells, a, name_of(svc));
  const Value& spec = member(svc, "spec");
  std::string cluster_ip = "<none>";
  const Value& cluster_ips = member(spec, "clusterIPs");
  if (cluster_ips.IsArray() && !cluster_ips.Empty()) {
    cluster_ip = std::string(json::as_string(cluster_ips[0]));
  }
  std::vector<std::string> ports;
  const Value& port_list = member(spec, "ports");
  if (port_list.IsArray()) {
    for (const auto& p : port_list.GetArray()) {
      std::string text = std::to_string(json::get_int(p, "port"));
      if (std::int64_t node_port = json::get_int(p, "nodePort"); node_port > 0) {
        text += ":" + std::to_string(node_port);
      }
      ports.push_back(text + "/" + std::string(json::get_string(p, "protocol")));
    }
  }
  put(cells, a, json::get_string(spec, "type"));
  put(cells, a, cluster_ip);
  put(cells, a, service_external_ip(svc));
  put(cells, a, or_none(join(ports)));
  put(cells, a, age_of(svc, now));
  put(cells, a, format_labels(member(spec, "selector")));
}

void namespace_cells(const TablePrinter&, const Value& ns, kube::SystemTime now, Value& cells,
                     json::Allocator& a, bool&) {
  put(cells, a, name_of(ns));
  put(cells, a, json::get_string(member(ns, "status"), "phase"));
  put(cells, a, age_of(ns, now));
}

void configmap_cells(const TablePrinter&, const Value& cm, kube::SystemTime now, Value& cells,
                     json::Allocator& a, bool&) {
  put(cells, a, name_of(cm));
  put(cells, a, count_members(cm, "data") + count_members(cm, "binaryData"));
  put(cells, a, age_of(cm, now));
}

void secret_cells(const TablePrinter&, const Value& s, kube::SystemTime now, Value& cells,
                  json::Allocator& a, bool&) {
  put(cells, a, name_of(s));
  put(cells, a, json::get_string(s, "type"));
  put(cells, a, count_members(s, "data"));
  put(cells, a, age_of(s, now));
}

void serviceaccount_cells(const TablePrinter&, const Value& sa, kube::SystemTime now, Value& cells,
                          json::Allocator& a, bool&) {
  put(cells, a, name_of(sa));
  put(cells, a, count_members(sa, "secrets"));
  put(cells, a, age_of(sa, now));
}

void lease_cells(const TablePrinter&, const Value& l, kube::SystemTime now, Value& cells,
                 json::Allocator& a, bool&) {
  put(cells, a, name_of(l));
  put(cells, a, json::get_string(member(l, "spec"), "holderIdentity"));
  put(cells, a, age_of(l, now));
}

// At most three "ip:port" entries, then " + N more..." (formatEndpoints).
void endpoints_cells(const TablePrinter&, const Value& ep, kube::SystemTime now, Value& cells,
                     json::Allocator& a, bool&) {
  put(cells, a, name_of(ep));
  constexpr std::size_t kMax = 3;
  std::vector<std::string> shown;
  std::size_t count = 0;
  bool more = false;
  const Value& subsets = member(ep, "subsets");
  auto add = [&](const Value& addresses, const std::string& port) {
    if (!addresses.IsArray()) return;
    count += addresses.Size();
    for (const auto& addr : addresses.GetArray()) {
      if (shown.size() == kMax) {
        more = true;
        break;
      }
      std::string ip(json::get_string(addr, "ip"));
      if (port.empty()) {
        shown.push_back(ip);
      } else {
        shown.push_back(ip.find(':') != std::string::npos ? "[" + ip + "]:" + port
                                                          : ip + ":" + port);
      }
    }
  };
  if (subsets.IsArray()) {
    for (const auto& ss : subsets.GetArray()) {
      const Value& addresses = member(ss, "addresses");
      const Value& ports = member(ss, "ports");
      if (!ports.IsArray() || ports.Empty()) {
        add(addresses, "");
        continue;
      }
      for (const auto& p : ports.GetArray())
        add(addresses, std::to_string(json::get_int(p, "port")));
    }
  }
  std::string text = join(shown);
  if (more) {
    text += " + " + std::to_string(count - kMax) + " more...";
  } else if (text.empty()) {
    text = "<none>";
  }
  put(cells, a, text);
  put(cells, a, age_of(ep, now));
}

void pvc_cells(const TablePrinter&, const Value& pvc, kube::SystemTime now, Value& cells,
               json::Allocator& a, bool&) {
  put(cells, a, name_of(pvc));
  const Value& spec = member(pvc, "spec");
  const Value& status = member(pvc, "status");
  std::string_view volume = json::get_string(spec, "volumeName");
  std::string capacity, modes;
  if (!volume.empty()) {
    capacity = scalar_text(json::find(member(status, "capacity"), "storage"));
    modes = access_modes(status);
  }
  put(cells, a, deleting(pvc) ? "Terminating" : json::get_string(status, "phase"));
  put(cells, a, volume);
  put(cells, a, capacity);
  put(cells, a, modes);
  put(cells, a, storage_class_of(pvc));
  put(cells, a, age_of(pvc, now));
  put(cells, a, volume_mode(spec));
}

void pv_cells(const TablePrinter&, const Value& pv, kube::SystemTime now, Value& cells,
              json::Allocator& a, bool&) {
  put(cells, a, name_of(pv));
  const Value& spec = member(pv, "spec");
  const Value& status = member(pv, "status");
  std::string claim;
  if (const Value* ref = json::find(spec, "claimRef")) {
    claim = std::string(json::get_string(*ref, "namespace")) + "/" +
            std::string(json::get_string(*ref, "name"));
  }
  put(cells, a, scalar_text(json::find(member(spec, "capacity"), "storage")));
  put(cells, a, access_modes(spec));
  put(cells, a, json::get_string(spec, "persistentVolumeReclaimPolicy"));
  put(cells, a, deleting(pv) ? "Terminating" : json::get_string(status, "phase"));
  put(cells, a, claim);
  put(cells, a, storage_class_of(pv));
  put(cells, a, json::get_string(status, "reason"));
  put(cells, a, age_of(pv, now));
  put(cells, a, volume_mode(spec));
}

void storageclass_cells(const TablePrinter&, const Value& sc, kube::SystemTime now, Value& cells,
                        json::Allocator& a, bool&) {
  std::string name(name_of(sc));
  const Value& annotations = member(meta(sc), "annotations");
  for (const char* key : {"storageclass.kubernetes.io/is-default-class",
                          "storageclass.beta.kubernetes.io/is-default-class"}) {
    if (json::get_string(annotations, key) == "true") {
      name += " (default)";
      break;
    }
  }
  std::string_view reclaim = json::get_string(sc, "reclaimPolicy", "Delete");
  std::string_view binding = json::get_string(sc, "volumeBindingMode", "Immediate");
  put(cells, a, name);
  put(cells, a, json::get_string(sc, "provisioner"));
  put(cells, a, reclaim);
  put(cells, a, binding);
  cells.PushBack(Value(json::get_bool(sc, "allowVolumeExpansion")), a);
  put(cells, a, age_of(sc, now));
}

// Core v1 and events.k8s.io/v1 Events (the latter's fields are the renamed core ones).
void event_cells(const TablePrinter&, const Value& e, kube::SystemTime now, Value& cells,
                 json::Allocator& a, bool&) {
  auto field = [&](std::string_view core, std::string_view events) -> const Value* {
    if (const Value* v = json::find(e, core); v != nullptr && !v->IsNull()) return v;
    const Value* v = json::find(e, events);
    return v != nullptr && !v->IsNull() ? v : nullptr;
  };
  auto text = [&](std::string_view core, std::string_view events) {
    const Value* v = field(core, events);
    return v != nullptr ? std::string(json::as_string(*v)) : std::string();
  };
  std::string first = text("firstTimestamp", "deprecatedFirstTimestamp");
  std::string first_seen =
      first.empty() ? time_or_micro_age(e, "eventTime", now) : age_since(first, now);
  if (first.empty() && first_seen.empty()) first_seen = "<unknown>";
  std::string last = text("lastTimestamp", "deprecatedLastTimestamp");
  std::string last_seen = last.empty() ? first_seen : age_since(last, now);
  std::int64_t count = 0;
  if (const Value* c = field("count", "deprecatedCount"); c != nullptr && c->IsInt64()) {
    count = c->GetInt64();
  }
  if (const Value* series = json::find(e, "series"); series != nullptr && series->IsObject()) {
    last_seen = time_or_micro_age(*series, "lastObservedTime", now);
    count = json::get_int(*series, "count");
  } else if (count == 0) {
    count = 1;
  }
  const Value* involved = field("involvedObject", "regarding");
  const Value& obj = involved != nullptr ? *involved : empty_object();
  std::string kind(json::get_string(obj, "kind"));
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view obj_name = json::get_string(obj, "name");
  std::string target = obj_name.empty() ? kind : kind + "/" + std::string(obj_name);
  const Value* source = field("source", "deprecatedSource");
  const Value& src = source != nullptr ? *source : empty_object();
  std::string component(json::get_string(src, "component"));
  if (component.empty()) {
    component = text("reportingComponent", "reportingController");
  }
  std::string host(json::get_string(src, "host"));
  if (host.empty()) host = std::string(json::get_string(e, "reportingInstance"));
  std::string source_text = host.empty() ? component : component + ", " + host;
  put(cells, a, last_seen);
  put(cells, a, json::get_string(e, "type"));
  put(cells, a, json::get_string(e, "reason"));
  put(cells, a, target);
  put(cells, a, json::get_string(obj, "fieldPath"));
  put(cells, a, source_text);
  put(cells, a, kube::trim(text("message", "note")));
  put(cells, a, first_seen);
  put(cells, a, count);
  put(cells, a, name_of(e));
}

void webhook_configuration_cells(const TablePrinter&, const Value& c, kube::SystemTime now,
                                 Value& cells, json::Allocator& a, bool&) {
  put(cells, a, name_of(c));
  put(cells, a, count_members(c, "webhooks"));
  put(cells, a, age_of(c, now));
}

void default_cells(const TablePrinter&, const Value& o, kube::SystemTime, Value& cells,
                   json::Allocator& a, bool&) {
  put(cells, a, name_of(o));
  put(cells, a, json::get_string(meta(o), "creationTimestamp"));
}

// A CRD column's value by its declared type, as the apiextensions server converts it.
void custom_cells(const TablePrinter& printer, const Value& o, kube::SystemTime now, Value& cells,
                  json::Allocator& a, bool&) {
  put(cells, a, name_of(o));
  for (std::size_t i = 1; i < printer.columns.size(); ++i) {
    const PrinterColumn& c = printer.columns[i];
    const Value* v = evaluate_json_path(o, c.json_path);
    if (v == nullptr || v->IsNull()) {
      cells.PushBack(Value(rapidjson::kNullType), a);
      continue;
    }
    if (c.type == "string") {
      put(cells, a, scalar_text(v));
    } else if (c.type == "integer") {
      if (v->IsInt64()) {
        put(cells, a, v->GetInt64());
      } else if (v->IsNumber()) {
        put(cells, a, static_cast<std::int64_t>(v->GetDouble()));
      } else if (auto n = v->IsString() ? kube::parse_int(json::as_string(*v)) : std::nullopt) {
        put(cells, a, *n);
      } else {
        cells.PushBack(Value(rapidjson::kNullType), a);
      }
    } else if (c.type == "number") {
      if (v->IsNumber()) {
        cells.PushBack(Value(v->GetDouble()), a);
      } else {
        cells.PushBack(Value(rapidjson::kNullType), a);
      }
    } else if (c.type == "boolean") {
      cells.PushBack(v->IsBool() ? Value(v->GetBool()) : Value(rapidjson::kNullType), a);
    } else if (c.type == "date") {
      auto t = v->IsString() ? kube::parse_time(json::as_string(*v)) : std::nullopt;
      if (t) {
        put(cells, a, human_duration(now - *t));
      } else {
        cells.PushBack(Value(rapidjson::kNullType), a);
      }
    } else {
      json::Value copy;
      copy.CopyFrom(*v, a);
      cells.PushBack(std::move(copy), a);
    }
  }
}

struct BuiltinPrinter {
  const char* group;
  const char* plural;
  // Columns after Name.
  std::vector<PrinterColumn> columns;
  CellsFn cells;
};

const std::vector<BuiltinPrinter>& builtin_printers() {
  static const auto* printers = new std::vector<BuiltinPrinter>{
      {"",
       "pods",
       {column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
        column("Status", "The aggregate status of the containers in this pod."),
        column("Restarts",
               "The number of times the containers in this pod have been restarted and when the "
               "last container in this pod has restarted."),
        age_column(),
        column("IP",
               "IP address allocated to the pod. Routable at least within the cluster. Empty if "
               "not yet allocated.",
               1),
        column("Node",
               "NodeName is a request to schedule this pod onto a specific node. If it is "
               "non-empty, the scheduler simply schedules this pod onto that node, assuming "
               "that it fits resource requirements.",
               1),
        column("Nominated Node",
               "nominatedNodeName is set only when this pod preempts other pods on the node, but "
               "it cannot be scheduled right away as preemption victims receive their graceful "
               "termination periods. This field does not guarantee that the pod will be "
               "scheduled on this node. Scheduler may decide to place the pod elsewhere if "
               "other nodes become available sooner. Scheduler may also decide to give the "
               "resources on this node to a higher priority pod that is created after "
               "preemption. As a result, this field may be different than PodSpec.nodeName when "
               "the pod is scheduled.",
               1),
        column("Readiness Gates",
               "If specified, all readiness gates will be evaluated for pod readiness. A pod is "
               "ready when all its containers are ready AND all conditions specified in the "
               "readiness gates have status equal to \"True\" More info: "
               "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
               1)},
       pod_cells},
      {"",
       "nodes",
       {column("Status", "The status of the node"), column("Roles", "The roles of the node"),
        age_column(), column("Version", "Kubelet Version reported by the node."),
        column("Internal-IP", kNodeAddressesDescription, 1),
        column("External-IP", kNodeAddressesDescription, 1),
        column("OS-Image",
               "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
               "(wheezy)).",
               1),
        column("Kernel-Version",
               "Kernel Version reported by the node from 'uname -r' (e.g. "
               "3.16.0-0.bpo.4-amd64).",
               1),
        column("Container-Runtime",
               "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
               "containerd://1.4.2).",
               1)},
       node_cells},
      {"apps",
       "deployments",
       {column("Ready", "Number of the pod with ready state"),
        column("Up-to-date",
               "Total number of non-terminated pods targeted by this deployment that have the "
               "desired template spec."),
        column("Available",
               "Total number of available pods (ready for at least minReadySeconds) targeted by "
               "this deployment."),
        age_column(), column("Containers", "Names of each container in the template.", 1),
        column("Images", "Images referenced by each container in the template.", 1),
        column("Selector",
               "Label selector for pods. Existing ReplicaSets whose pods are selected by this "
               "will be the ones affected by this deployment.",
               1)},
       deployment_cells},
      {"apps",
       "replicasets",
       {column("Desired",
               "Replicas is the number of desired replicas. This is a pointer to distinguish "
               "between explicit zero and unspecified. Defaults to 1. More info: "
               "https://kubernetes.io/docs/concepts/workloads/controllers/"
               "replicationcontroller/#what-is-a-replicationcontroller",
               0, "integer"),
        column("Current",
               "Replicas is the most recently observed number of replicas. More info: "
               "https://kubernetes.io/docs/concepts/workloads/controllers/"
               "replicationcontroller/#what-is-a-replicationcontroller",
               0, "integer"),
        column("Ready",
               "readyReplicas is the number of pods targeted by this ReplicaSet with a "
               "Ready Condition.",
               0, "integer"),
        age_column(), column("Containers", "Names of each container in the template.", 1),
        column("Images", "Images referenced by each container in the template.", 1),
        column("Selector",
               "Selector is a label query over pods that should match the replica count. Label "
               "keys and values that must match in order to be controlled by this replica set. "
               "It must match the pod template's labels. More info: "
               "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
               "labels/#label-selectors",
               1)},
       replicaset_cells},
      {"",
       "services",
       {column("Type",
               "type determines how the Service is exposed. Defaults to ClusterIP. Valid options "
               "are ExternalName, ClusterIP, NodePort, and LoadBalancer."),
        column("Cluster-IP",
               "clusterIP is the IP address of the service and is usually "
               "assigned randomly."),
        column("External-IP",
               "externalIPs is a list of IP addresses for which nodes in the "
               "cluster will also accept traffic for this service."),
        column("Port(s)", "The list of ports that are exposed by this service."), age_column(),
        column("Selector",
               "Route service traffic to pods with label keys and values matching this "
               "selector. If empty or not present, the service is assumed to have an external "
               "process managing its endpoints, which Kubernetes will not modify.",
               1)},
       service_cells},
      {"",
       "namespaces",
       {column("Status", "The status of the namespace"), age_column()},
       namespace_cells},
      {"",
       "configmaps",
       {column("Data",
               "Data contains the configuration data. Each key must consist of alphanumeric "
               "characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the "
               "BinaryData field. The keys stored in Data must not overlap with the keys in the "
               "BinaryData field, this is enforced during validation process."),
        age_column()},
       configmap_cells},
      {"",
       "secrets",
       {column("Type", "The type of the secret"),
        column("Data", "The number of entries in the data field"), age_column()},
       secret_cells},
      {"",
       "serviceaccounts",
       {column("Secrets",
               "Secrets is a list of the secrets in the same namespace that pods running using "
               "this ServiceAccount are allowed to use."),
        age_column()},
       serviceaccount_cells},
      {"coordination.k8s.io",
       "leases",
       {column("Holder",
               "HolderIdentity contains the identity of the holder of a current "
               "lease."),
        age_column()},
       lease_cells},
      {"",
       "endpoints",
       {column("Endpoints", "Endpoints is the list of endpoints in this service."), age_column()},
       endpoints_cells},
      {"",
       "persistentvolumeclaims",
       {column("Status", "The phase of the claim"),
        column("Volume", "The name of the volume bound to the claim"),
        column("Capacity", "The capacity of the volume bound to the claim"),
        column("Access Modes", "The access modes of the volume bound to the claim"),
        column("StorageClass", "The name of the storage class of the claim"), age_column(),
        column("VolumeMode", "The volume mode of the claim", 1)},
       pvc_cells},
      {"",
       "persistentvolumes",
       {column("Capacity", "The size of the volume"),
        column("Access Modes", "The ways the volume can be mounted"),
        column("Reclaim Policy",
               "What happens to the volume when it is released from its "
               "claim"),
        column("Status", "The phase of the volume"),
        column("Claim", "The claim the volume is bound to"),
        column("StorageClass", "The name of the storage class of the volume"),
        column("Reason", "A human-readable reason for a failed volume"), age_column(),
        column("VolumeMode", "The volume mode of the volume", 1)},
       pv_cells},
      {"storage.k8s.io",
       "storageclasses",
       {column("Provisioner", "Indicates the type of the provisioner."),
        column("ReclaimPolicy", "Indicates the type of the reclaim policy."),
        column("VolumeBindingMode", "Indicates when volume binding should occur."),
        column("AllowVolumeExpansion", "Indicates whether the storage class allow volume expand.",
               0, "boolean"),
        age_column()},
       storageclass_cells},
      {"admissionregistration.k8s.io",
       "mutatingwebhookconfigurations",
       {column("Webhooks", "Webhooks indicates the number of webhooks in this configuration.", 0,
               "integer"),
        age_column()},
       webhook_configuration_cells},
      {"admissionregistration.k8s.io",
       "validatingwebhookconfigurations",
       {column("Webhooks", "Webhooks indicates the number of webhooks in this configuration.", 0,
               "integer"),
        age_column()},
       webhook_configuration_cells},
  };
  return *printers;
}

std::vector<PrinterColumn> event_columns() {
  return {column("Last Seen", "Time when this Event was last observed."),
          column("Type",
                 "Type of this event (Normal, Warning), new types could be added in the "
                 "future."),
          column("Reason",
                 "This should be a short, machine understandable string that gives the reason "
                 "for the transition into the object's current status."),
          column("Object", "The object that this event is about."),
          column("Subobject", "The subobject (field path) this event is about.", 1),
          column("Source", "The component reporting this event.", 1),
          column("Message", "A human-readable description of the status of this operation."),
          column("First Seen", "The time at which the event was first recorded.", 1),
          column("Count", "The number of times this event has occurred.", 1, "integer"),
          {"Name", "string", "name", kNameDescription, "", 1}};
}

}  // namespace

std::string human_duration(std::chrono::system_clock::duration d) {
  using std::chrono::duration_cast;
  auto seconds = duration_cast<std::chrono::seconds>(d).count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return std::to_string(seconds) + "s";
  std::int64_t minutes = seconds / 60;
  if (minutes < 10) {
    std::int64_t s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m"
                  : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3) return std::to_string(minutes) + "m";
  std::int64_t hours = minutes / 60;
  if (hours < 8) {
    std::int64_t m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h"
                  : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  std::int64_t days = hours / 24;
  if (hours < 24 * 8) {
    std::int64_t h = hours % 24;
    return h == 0 ? std::to_string(days) + "d"
                  : std::to_string(days) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(days) + "d";
  std::int64_t years = days / 365;
  if (hours < 24 * 365 * 8) {
    std::int64_t dy = days % 365;
    return dy == 0 ? std::to_string(years) + "y"
                   : std::to_string(years) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(years) + "y";
}

std::string age_since(std::string_view timestamp, kube::SystemTime now) {
  auto t = timestamp.empty() ? std::nullopt : kube::parse_time(timestamp);
  if (!t) return "<unknown>";
  return human_duration(now - *t);
}

PodSummary summarize_pod(const Value& pod, kube::SystemTime now) {
  const Value& spec = member(pod, "spec");
  const Value& status = member(pod, "status");
  PodSummary out;
  std::string reason(json::get_string(status, "phase"));
  if (std::string_view r = json::get_string(status, "reason"); !r.empty()) reason = r;
  std::string_view phase = json::get_string(status, "phase");
  out.completed = phase == "Succeeded" || phase == "Failed";
  std::int64_t restarts = 0;
  int ready = 0;
  std::optional<kube::SystemTime> last_restart;
  auto note_termination = [&](const Value& container) {
    const Value& finished =
        member(member(member(container, "lastState"), "terminated"), "finishedAt");
    if (auto t = finished.IsString() ? kube::parse_time(json::as_string(finished)) : std::nullopt;
        t && (!last_restart || *last_restart < *t)) {
      last_restart = t;
    }
  };
  bool initializing = false;
  const Value& init_statuses = member(status, "initContainerStatuses");
  std::size_t init_total =
      member(spec, "initContainers").IsArray() ? member(spec, "initContainers").Size() : 0;
  if (init_statuses.IsArray()) {
    for (rapidjson::SizeType i = 0; i < init_statuses.Size(); ++i) {
      const Value& c = init_statuses[i];
      restarts += json::get_int(c, "restartCount");
      note_termination(c);
      const Value& state = member(c, "state");
      const Value* terminated = json::find(state, "terminated");
      const Value* waiting = json::find(state, "waiting");
      if (terminated != nullptr && json::get_int(*terminated, "exitCode") == 0) continue;
      if (terminated != nullptr) {
        std::string_view r = json::get_string(*terminated, "reason");
        if (!r.empty()) {
          reason = "Init:" + std::string(r);
        } else if (std::int64_t sig = json::get_int(*terminated, "signal"); sig != 0) {
          reason = "Init:Signal:" + std::to_string(sig);
        } else {
          reason = "Init:ExitCode:" + std::to_string(json::get_int(*terminated, "exitCode"));
        }
      } else if (waiting != nullptr && !json::get_string(*waiting, "reason").empty() &&
                 json::get_string(*waiting, "reason") != "PodInitializing") {
        reason = "Init:" + std::string(json::get_string(*waiting, "reason"));
      } else {
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(init_total);
      }
      initializing = true;
      break;
    }
  }
  if (!initializing) {
    restarts = 0;
    bool has_running = false;
    const Value& statuses = member(status, "containerStatuses");
    if (statuses.IsArray()) {
      for (rapidjson::SizeType n = statuses.Size(); n > 0; --n) {
        const Value& c = statuses[n - 1];
        restarts += json::get_int(c, "restartCount");
        note_termination(c);
        const Value& state = member(c, "state");
        const Value* terminated = json::find(state, "terminated");
        const Value* waiting = json::find(state, "waiting");
        if (waiting != nullptr && !json::get_string(*waiting, "reason").empty()) {
          reason = json::get_string(*waiting, "reason");
        } else if (terminated != nullptr && !json::get_string(*terminated, "reason").empty()) {
          reason = json::get_string(*terminated, "reason");
        } else if (terminated != nullptr) {
          std::int64_t sig = json::get_int(*terminated, "signal");
          reason = sig != 0 ? "Signal:" + std::to_string(sig)
                            : "ExitCode:" + std::to_string(json::get_int(*terminated, "exitCode"));
        } else if (json::get_bool(c, "ready") && json::find(state, "running") != nullptr) {
          has_running = true;
          ++ready;
        }
      }
    }
    if (reason == "Completed" && has_running) {
      bool pod_ready = false;
      const Value& conditions = member(status, "conditions");
      if (conditions.IsArray()) {
        for (const auto& c : conditions.GetArray()) {
          if (json::get_string(c, "type") == "Ready" && json::get_string(c, "status") == "True") {
            pod_ready = true;
          }
        }
      }
      reason = pod_ready ? "Running" : "NotReady";
    }
  }
  if (deleting(pod)) {
    reason = json::get_string(status, "reason") == "NodeLost" ? "Unknown" : "Terminating";
  }
  const Value& containers = member(spec, "containers");
  out.ready =
      std::to_string(ready) + "/" + std::to_string(containers.IsArray() ? containers.Size() : 0);
  out.status = reason;
  out.restarts = std::to_string(restarts);
  if (last_restart) {
    out.restarts += " (" + human_duration(now - *last_restart) + " ago)";
  }
  return out;
}

std::string node_status(const Value& node) {
  std::string out;
  const Value& conditions = member(member(node, "status"), "conditions");
  if (conditions.IsArray()) {
    for (const auto& c : conditions.GetArray()) {
      if (json::get_string(c, "type") == "Ready") {
        out = json::get_string(c, "status") == "True" ? "Ready" : "NotReady";
      }
    }
  }
  if (out.empty()) out = "Unknown";
  if (json::get_bool(member(node, "spec"), "unschedulable")) out += ",SchedulingDisabled";
  return out;
}

std::string node_roles(const Value& node) {
  constexpr std::string_view kRolePrefix = "node-role.kubernetes.io/";
  std::set<std::string> roles;
  const Value& labels = member(meta(node), "labels");
  if (labels.IsObject()) {
    for (const auto& m : labels.GetObject()) {
      std::string_view key = json::as_string(m.name);
      if (key.starts_with(kRolePrefix) && key.size() > kRolePrefix.size()) {
        roles.emplace(key.substr(kRolePrefix.size()));
      } else if (key == "kubernetes.io/role" && !json::as_string(m.value).empty()) {
        roles.emplace(json::as_string(m.value));
      }
    }
  }
  return or_none(join(std::vector<std::string>(roles.begin(), roles.end())));
}

std::string selector_string(const Value* selector) {
  if (selector == nullptr || !selector->IsObject()) return "";
  // Requirements sorted by key, values of set operators sorted (labels.Selector.String()).
  std::vector<std::pair<std::string, std::string>> parts;
  const Value& labels = member(*selector, "matchLabels");
  if (labels.IsObject()) {
    for (const auto& m : labels.GetObject()) {
      std::string key(json::as_string(m.name));
      parts.emplace_back(key, key + "=" + scalar_text(&m.value));
    }
  }
  const Value& expressions = member(*selector, "matchExpressions");
  if (expressions.IsArray()) {
    for (const auto& e : expressions.GetArray()) {
      std::string key(json::get_string(e, "key"));
      std::string_view op = json::get_string(e, "operator");
      std::set<std::string> values;
      const Value& vs = member(e, "values");
      if (vs.IsArray()) {
        for (const auto& v : vs.GetArray())
          values.emplace(json::as_string(v));
      }
      std::string list = "(" + join(std::vector<std::string>(values.begin(), values.end())) + ")";
      if (op == "In") parts.emplace_back(key, key + " in " + list);
      if (op == "NotIn") parts.emplace_back(key, key + " notin " + list);
      if (op == "Exists") parts.emplace_back(key, key);
      if (op == "DoesNotExist") parts.emplace_back(key, "!" + key);
    }
  }
  std::stable_sort(parts.begin(), parts.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (auto& p : parts)
    out.push_back(std::move(p.second));
  return join(out);
}

const Value* evaluate_json_path(const Value& object, std::string_view path) {
  // Accepts the forms kubectl and CRDs use: ".a.b", "{.a.b}", ".a[0].b", ".a['b.c']".
  if (path.starts_with('{') && path.ends_with('}')) path = path.substr(1, path.size() - 2);
  const Value* cur = &object;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      std::size_t end = path.find_first_of(".[", i);
      if (end == std::string_view::npos) end = path.size();
      std::string_view key = path.substr(i, end - i);
      i = end;
      if (key.empty()) continue;
      cur = cur->IsObject() ? json::find(*cur, key) : nullptr;
    } else if (path[i] == '[') {
      std::size_t end = path.find(']', i);
      if (end == std::string_view::npos) return nullptr;
      std::string_view inner = path.substr(i + 1, end - i - 1);
      i = end + 1;
      if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') &&
          inner.back() == inner.front()) {
        cur = cur->IsObject() ? json::find(*cur, inner.substr(1, inner.size() - 2)) : nullptr;
      } else {
        auto index = kube::parse_int(inner);
        if (!index || !cur->IsArray()) return nullptr;
        std::int64_t n = *index < 0 ? static_cast<std::int64_t>(cur->Size()) + *index : *index;
        if (n < 0 || n >= static_cast<std::int64_t>(cur->Size())) return nullptr;
        cur = &(*cur)[static_cast<rapidjson::SizeType>(n)];
      }
    } else {
      return nullptr;
    }
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

TablePrinter printer_for(const ResourceInfo& resource) {
  TablePrinter printer;
  printer.columns.push_back(name_column());
  if (resource.custom) {
    if (resource.printer_columns.empty()) {
      printer.columns.push_back(
          {"Age", "date", "", kCreationTimestampDescription, ".metadata.creationTimestamp", 0});
    }
    for (const PrinterColumn& c : resource.printer_columns) {
      PrinterColumn col = c;
      if (col.description.empty()) {
        col.description = "Custom resource definition column (in JSONPath format): " + c.json_path;
      }
      printer.columns.push_back(std::move(col));
    }
    printer.cells = custom_cells;
    return printer;
  }
  if (resource.plural == "events" &&
      (resource.group.empty() || resource.group == "events.k8s.io")) {
    printer.columns = event_columns();
    printer.cells = event_cells;
    return printer;
  }
  for (const auto& p : builtin_printers()) {
    if (resource.group == p.group && resource.plural == p.plural) {
      printer.columns.insert(printer.columns.end(), p.columns.begin(), p.columns.end());
      printer.cells = p.cells;
      return printer;
    }
  }
  printer.columns.push_back({"Created At", "date", "", kCreationTimestampDescription, "", 0});
  printer.cells = default_cells;
  return printer;
}

}  // namespace berth::sim
