#include "scheduler-extender/state/pod_spec.h"

#include <algorithm>

#include "kube/api/quantity.h"
#include "kube/core/strings.h"
#include "scheduler-extender/state/well_known.h"

namespace berth::extender {

namespace json = kube::json;

StringLabels decode_string_map(const json::Value* map) {
  StringLabels out;
  if (map == nullptr || !map->IsObject()) return out;
  out.reserve(map->MemberCount());
  for (const auto& m : map->GetObject()) {
    if (m.value.IsString()) {
      out.emplace_back(std::string(json::as_string(m.name)), std::string(json::as_string(m.value)));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            out.end());
  return out;
}

std::string PodAffinityTermSpec::signature() const {
  std::string s = "ns=";
  for (const std::string& n : namespaces) {
    s += n;
    s += ',';
  }
  s += ";nss=";
  s += namespace_selector
           ? (namespace_selector->empty() ? "<all>" : namespace_selector->to_string())
           : "<nil>";
  s += ";sel=";
  s += selector.empty() ? "<all>"
                        : (selector.requirements().empty() ? "<none>" : selector.to_string());
  s += ";key=";
  s += topology_key;
  return s;
}

namespace {

// Keeps the first error only: one pod, one reason.
void decode_term(const json::Value& term, std::int32_t weight,
                 std::vector<PodAffinityTermSpec>& out, std::string& error) {
  if (!term.IsObject()) return;
  PodAffinityTermSpec t;
  t.weight = weight;
  if (const json::Value* sel = json::find(term, "labelSelector"); sel != nullptr) {
    auto parsed = kube::LabelSelector::from_json(*sel);
    if (!parsed.ok()) {
      if (error.empty()) error = parsed.error().message;
      return;
    }
    t.selector = std::move(*parsed);
  }
  if (const json::Value* ns = json::find(term, "namespaces"); ns && ns->IsArray()) {
    for (const auto& n : ns->GetArray()) {
      if (n.IsString()) t.namespaces.emplace_back(json::as_string(n));
    }
    std::sort(t.namespaces.begin(), t.namespaces.end());
    t.namespaces.erase(std::unique(t.namespaces.begin(), t.namespaces.end()), t.namespaces.end());
  }
  if (const json::Value* nss = json::find(term, "namespaceSelector"); nss && !nss->IsNull()) {
    auto parsed = kube::LabelSelector::from_json(*nss);
    if (!parsed.ok()) {
      if (error.empty()) error = parsed.error().message;
      return;
    }
    t.namespace_selector = std::move(*parsed);
  }
  t.topology_key = std::string(json::get_string(term, "topologyKey"));
  out.push_back(std::move(t));
}

void decode_required(const json::Value* list, std::vector<PodAffinityTermSpec>& out,
                     std::string& error) {
  if (list == nullptr || !list->IsArray()) return;
  for (const auto& t : list->GetArray())
    decode_term(t, 0, out, error);
}

void decode_preferred(const json::Value* list, std::vector<PodAffinityTermSpec>& out,
                      std::string& error) {
  if (list == nullptr || !list->IsArray()) return;
  for (const auto& w : list->GetArray()) {
    if (!w.IsObject()) continue;
    const json::Value* term = json::find(w, "podAffinityTerm");
    if (term == nullptr) continue;
    decode_term(*term, static_cast<std::int32_t>(json::get_int(w, "weight")), out, error);
  }
}

bool is_guaranteed_container(const json::Value& c) {
  const json::Value* limits = json::find_path(c, {"resources", "limits"});
  const json::Value* requests = json::find_path(c, {"resources", "requests"});
  for (std::string_view r : {"cpu", "memory"}) {
    const json::Value* l = limits ? json::find(*limits, r) : nullptr;
    if (l == nullptr) return false;
    const json::Value* q = requests ? json::find(*requests, r) : nullptr;
    if (q != nullptr) {
      auto lq = kube::Quantity::parse(json::as_string(*l));
      auto qq = kube::Quantity::parse(json::as_string(*q));
      if (!lq || !qq || *lq != *qq) return false;
    }
  }
  return true;
}

bool has_any_resources(const json::Value& c) {
  for (std::string_view part : {"limits", "requests"}) {
    const json::Value* list = json::find_path(c, {"resources", part});
    if (list != nullptr && list->IsObject()) {
      for (const auto& m : list->GetObject()) {
        std::string_view n = json::as_string(m.name);
        if (n == "cpu" || n == "memory") return true;
      }
    }
  }
  return false;
}

// status.qosClass when the apiserver set it; otherwise the kubelet's rule.
QosClass qos_class(const json::Value& pod, const json::Value* spec) {
  const json::Value* status_qos = json::find_path(pod, {"status", "qosClass"});
  std::string_view recorded = status_qos != nullptr ? json::as_string(*status_qos) : "";
  if (recorded == "Guaranteed") return QosClass::kGuaranteed;
  if (recorded == "Burstable") return QosClass::kBurstable;
  if (recorded == "BestEffort") return QosClass::kBestEffort;
  if (spec == nullptr) return QosClass::kBestEffort;
  bool any = false;
  bool guaranteed = true;
  for (std::string_view list : {"containers", "initContainers"}) {
    const json::Value* cs = json::find(*spec, list);
    if (cs == nullptr || !cs->IsArray()) continue;
    for (const auto& c : cs->GetArray()) {
      any = any || has_any_resources(c);
      guaranteed = guaranteed && is_guaranteed_container(c);
    }
  }
  if (!any) return QosClass::kBestEffort;
  return guaranteed ? QosClass::kGuaranteed : QosClass::kBurstable;
}

void decode_annotations(const json::Value* annotations, PodSpec& pod) {
  if (annotations == nullptr || !annotations->IsObject()) return;
  namespace wk = well_known;
  if (auto v = json::find(*annotations, wk::kMinMembersAnnotation); v && v->IsString()) {
    auto n = kube::parse_int(json::as_string(*v));
    if (n && *n > 0) {
      pod.min_members = *n;
    } else {
      pod.annotation_errors.push_back(std::string(wk::kMinMembersAnnotation) + ": \"" +
                                      std::string(json::as_string(*v)) +
                                      "\" is not a positive integer");
    }
  }
  if (auto v = json::find(*annotations, wk::kDeadlineAnnotation); v && v->IsString()) {
    auto t = kube::parse_time(json::as_string(*v));
    if (t) {
      pod.deadline = *t;
    } else {
      pod.annotation_errors.push_back(std::string(wk::kDeadlineAnnotation) + ": \"" +
                                      std::string(json::as_string(*v)) +
                                      "\" is not an RFC 3339 time");
    }
  }
  if (auto v = json::find(*annotations, wk::kDataLocalityAnnotation); v && v->IsString()) {
    std::string_view mode = json::as_string(*v);
    if (mode == "preferred") {
      pod.locality = LocalityMode::kPreferred;
    } else if (mode == "required") {
      pod.locality = LocalityMode::kNode;
    } else if (mode == "required-rack") {
      pod.locality = LocalityMode::kRack;
    } else if (mode == "required-zone") {
      pod.locality = LocalityMode::kZone;
    } else if (mode == "required-region") {
      pod.locality = LocalityMode::kRegion;
    } else {
      pod.annotation_errors.push_back(
          std::string(wk::kDataLocalityAnnotation) + ": \"" + std::string(mode) +
          "\" is not one of preferred, required, required-rack, required-zone, required-region");
    }
  }
}

}  // namespace

kube::Result<PodSpec> decode_pod(const json::Value& pod) {
  if (!pod.IsObject()) return kube::Error::parse("Pod must be an object");
  const json::Value* meta = json::find(pod, "metadata");
  if (meta == nullptr || !meta->IsObject()) return kube::Error::parse("Pod has no metadata");
  PodSpec out;
  out.name = std::string(json::get_string(*meta, "name"));
  out.namespace_ = std::string(json::get_string(*meta, "namespace"));
  out.uid = std::string(json::get_string(*meta, "uid"));
  out.labels = decode_string_map(json::find(*meta, "labels"));
  if (const json::Value* status = json::find(pod, "status"); status && status->IsObject()) {
    out.phase = std::string(json::get_string(*status, "phase"));
  }
  out.terminal = out.phase == "Succeeded" || out.phase == "Failed";

  const json::Value* spec = json::find(pod, "spec");
  if (spec != nullptr && !spec->IsObject()) spec = nullptr;
  out.qos = qos_class(pod, spec);
  if (spec == nullptr) return out;

  out.node_name = std::string(json::get_string(*spec, "nodeName"));
  out.priority = static_cast<std::int32_t>(json::get_int(*spec, "priority"));
  out.requests = pod_requests(*spec);
  out.node_selector = decode_string_map(json::find(*spec, "nodeSelector"));

  if (const json::Value* affinity = json::find(*spec, "affinity");
      affinity && affinity->IsObject()) {
    if (const json::Value* na = json::find(*affinity, "nodeAffinity"); na && na->IsObject()) {
      if (const json::Value* req =
              json::find(*na, "requiredDuringSchedulingIgnoredDuringExecution");
          req && req->IsObject()) {
        out.required_node_affinity = decode_node_selector(*req);
      }
      if (const json::Value* pref =
              json::find(*na, "preferredDuringSchedulingIgnoredDuringExecution");
          pref && pref->IsArray()) {
        for (const auto& p : pref->GetArray()) {
          if (!p.IsObject()) continue;
          PreferredSchedulingTermSpec t;
          t.weight = static_cast<std::int32_t>(json::get_int(p, "weight"));
          if (const json::Value* term = json::find(p, "preference")) {
            t.preference = decode_node_selector_term(*term);
          }
          out.preferred_node_affinity.push_back(std::move(t));
        }
      }
    }
    constexpr std::string_view kRequired = "requiredDuringSchedulingIgnoredDuringExecution";
    constexpr std::string_view kPreferred = "preferredDuringSchedulingIgnoredDuringExecution";
    if (const json::Value* pa = json::find(*affinity, "podAffinity"); pa && pa->IsObject()) {
      decode_required(json::find(*pa, kRequired), out.required_affinity, out.affinity_error);
      decode_preferred(json::find(*pa, kPreferred), out.preferred_affinity, out.affinity_error);
    }
    if (const json::Value* paa = json::find(*affinity, "podAntiAffinity"); paa && paa->IsObject()) {
      decode_required(json::find(*paa, kRequired), out.required_anti_affinity, out.affinity_error);
      decode_preferred(json::find(*paa, kPreferred), out.preferred_anti_affinity,
                       out.affinity_error);
    }
  }

  if (const json::Value* tols = json::find(*spec, "tolerations"); tols && tols->IsArray()) {
    for (const auto& t : tols->GetArray()) {
      if (!t.IsObject()) continue;
      out.tolerations.push_back(
          {std::string(json::get_string(t, "key")), std::string(json::get_string(t, "operator")),
           std::string(json::get_string(t, "value")), std::string(json::get_string(t, "effect"))});
    }
  }
  if (const json::Value* vols = json::find(*spec, "volumes"); vols && vols->IsArray()) {
    for (const auto& v : vols->GetArray()) {
      const json::Value* claim = v.IsObject() ? json::find(v, "persistentVolumeClaim") : nullptr;
      if (claim != nullptr && claim->IsObject()) {
        std::string_view name = json::get_string(*claim, "claimName");
        if (!name.empty()) out.claim_names.emplace_back(name);
      }
    }
  }
  for (std::string_view list : {"initContainers", "containers"}) {
    const json::Value* cs = json::find(*spec, list);
    if (cs == nullptr || !cs->IsArray()) continue;
    for (const auto& c : cs->GetArray()) {
      std::string_view image = c.IsObject() ? json::get_string(c, "image") : std::string_view();
      if (!image.empty()) out.images.emplace_back(image);
    }
  }

  if (const std::string* v = find_label(out.labels, well_known::kWorkloadClassLabel)) {
    out.workload_class = *v;
  }
  if (const std::string* v = find_label(out.labels, well_known::kPodGroupLabel)) {
    out.pod_group = *v;
  }
  decode_annotations(json::find(*meta, "annotations"), out);
  return out;
}

}  // namespace berth::extender
