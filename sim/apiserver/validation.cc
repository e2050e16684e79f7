#include "sim/apiserver/validation.h"

#include <algorithm>
#include <set>
#include <string>

#include "kube/api/quantity.h"
#include "kube/api/selector.h"
#include "kube/core/strings.h"
#include "sim/apiserver/meta.h"

namespace berth::sim::validation {

namespace json = kube::json;

namespace {

const Value* array_at(const Value& object, std::string_view key) {
  const Value* v = json::find(object, key);
  return (v != nullptr && v->IsArray()) ? v : nullptr;
}

std::string index(const std::string& path, rapidjson::SizeType i) {
  return path + "[" + std::to_string(i) + "]";
}

void append(FieldErrors& into, FieldErrors more) {
  into.insert(into.end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
}

void check_enum(FieldErrors& errs, const Value& object, std::string_view key,
                const std::string& field, const std::vector<std::string_view>& allowed,
                bool required) {
  const Value* v = json::find(object, key);
  if (v == nullptr || v->IsNull() || (v->IsString() && v->GetStringLength() == 0)) {
    if (required) errs.push_back(FieldError::required(field));
    return;
  }
  std::string_view s = json::as_string(*v);
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    errs.push_back(FieldError::not_supported(field, go_value(*v), allowed));
  }
}

FieldErrors resources(const Value& res, const std::string& path) {
  FieldErrors errs;
  const Value* limits = json::find(res, "limits");
  const Value* requests = json::find(res, "requests");
  auto check_quantities = [&](const Value* list, const std::string& field) {
    if (list == nullptr || !list->IsObject()) return;
    for (const auto& m : list->GetObject()) {
      std::string name(json::as_string(m.name));
      std::string text =
          m.value.IsString() ? std::string(json::as_string(m.value)) : json::dump(m.value);
      auto q = kube::Quantity::parse(text);
      if (!q) {
        errs.push_back(FieldError::invalid(field + "[" + name + "]", go_quote(text),
                                           "must be a valid quantity"));
      } else if (q->milli() < 0) {
        errs.push_back(FieldError::invalid(field + "[" + name + "]", go_quote(text),
                                           "must be greater than or equal to 0"));
      }
    }
  };
  check_quantities(limits, path + ".limits");
  check_quantities(requests, path + ".requests");
  if (limits == nullptr || requests == nullptr || !limits->IsObject() || !requests->IsObject()) {
    return errs;
  }
  for (const auto& m : requests->GetObject()) {
    const Value* limit = json::find(*limits, json::as_string(m.name));
    if (limit == nullptr || !limit->IsString() || !m.value.IsString()) continue;
    auto req_q = kube::Quantity::parse(json::as_string(m.value));
    auto lim_q = kube::Quantity::parse(json::as_string(*limit));
    if (req_q && lim_q && *req_q > *lim_q) {
      errs.push_back(FieldError::invalid(
          path + ".requests", go_quote(json::as_string(m.value)),
          "must be less than or equal to " + std::string(json::as_string(m.name)) + " limit"));
    }
  }
  return errs;
}

FieldErrors containers(const Value* list, const std::string& path, bool required,
                       std::set<std::string>& names) {
  FieldErrors errs;
  if (list == nullptr || list->Empty()) {
    if (required) errs.push_back(FieldError::required(path));
    return errs;
  }
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const Value& c = (*list)[i];
    std::string base = index(path, i);
    if (!c.IsObject()) continue;
    std::string_view name = json::get_string(c, "name");
    if (name.empty()) {
      errs.push_back(FieldError::required(base + ".name"));
    } else {
      for (auto& p : name_problems(name, NameRule::kLabel)) {
        errs.push_back(FieldError::invalid(base + ".name", go_quote(name), p));
      }
      if (!names.insert(std::string(name)).second) {
        errs.push_back(FieldError::duplicate(base + ".name", go_quote(name)));
      }
    }
    if (json::get_string(c, "image").empty()) errs.push_back(FieldError::required(base + ".image"));
    if (const Value* ports = array_at(c, "ports")) {
      for (rapidjson::SizeType p = 0; p < ports->Size(); ++p) {
        const Value& port = (*ports)[p];
        std::int64_t cp = json::get_int(port, "containerPort", 0);
        if (cp < 1 || cp > 65535) {
          errs.push_back(FieldError::invalid(index(base + ".ports", p) + ".containerPort",
                                             std::to_string(cp),
                                             "must be between 1 and 65535, inclusive"));
        }
      }
    }
    if (const Value* res = json::find(c, "resources"); res != nullptr && res->IsObject()) {
      append(errs, resources(*res, base + ".resources"));
    }
    check_enum(errs, c, "imagePullPolicy", base + ".imagePullPolicy",
               {"Always", "IfNotPresent", "Never"}, false);
  }
  return errs;
}

}  // namespace

FieldErrors pod_spec(const Value& spec, const std::string& path) {
  FieldErrors errs;
  std::set<std::string> volume_names;
  if (const Value* volumes = array_at(spec, "volumes")) {
    for (rapidjson::SizeType i = 0; i < volumes->Size(); ++i) {
      std::string_view name = json::get_string((*volumes)[i], "name");
      std::string field = index(path + ".volumes", i) + ".name";
      if (name.empty()) {
        errs.push_back(FieldError::required(field));
      } else if (!volume_names.insert(std::string(name)).second) {
        errs.push_back(FieldError::duplicate(field, go_quote(name)));
      }
    }
  }
  std::set<std::string> names;
  append(errs, containers(array_at(spec, "containers"), path + ".containers", true, names));
  append(errs,
         containers(array_at(spec, "initContainers"), path + ".initContainers", false, names));
  check_enum(errs, spec, "restartPolicy", path + ".restartPolicy", {"Always", "OnFailure", "Never"},
             false);
  check_enum(errs, spec, "dnsPolicy", path + ".dnsPolicy",
             {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"}, false);
  if (const Value* t = json::find(spec, "terminationGracePeriodSeconds");
      t != nullptr && t->IsInt64() && t->GetInt64() < 0) {
    errs.push_back(FieldError::invalid(path + ".terminationGracePeriodSeconds",
                                       std::to_string(t->GetInt64()),
                                       "must be greater than or equal to 0"));
  }
  return errs;
}

FieldErrors pod(const Value& pod) {
  const Value* spec = json::find(pod, "spec");
  if (spec == nullptr || !spec->IsObject()) return {FieldError::required("spec.containers")};
  return pod_spec(*spec, "spec");
}

namespace {

// PodSpec fields in Go order with their Go names, for the update diff.
constexpr std::pair<std::string_view, std::string_view> kPodSpecFields[] = {
    {"volumes", "Volumes"},
    {"initContainers", "InitContainers"},
    {"containers", "Containers"},
    {"ephemeralContainers", "EphemeralContainers"},
    {"restartPolicy", "RestartPolicy"},
    {"terminationGracePeriodSeconds", "TerminationGracePeriodSeconds"},
    {"activeDeadlineSeconds", "ActiveDeadlineSeconds"},
    {"dnsPolicy", "DNSPolicy"},
    {"nodeSelector", "NodeSelector"},
    {"serviceAccountName", "ServiceAccountName"},
    {"automountServiceAccountToken", "AutomountServiceAccountToken"},
    {"nodeName", "NodeName"},
    {"hostNetwork", "SecurityContext.HostNetwork"},
    {"securityContext", "SecurityContext"},
    {"imagePullSecrets", "ImagePullSecrets"},
    {"hostname", "Hostname"},
    {"subdomain", "Subdomain"},
    {"affinity", "Affinity"},
    {"schedulerName", "SchedulerName"},
    {"tolerations", "Tolerations"},
    {"hostAliases", "HostAliases"},
    {"priorityClassName", "PriorityClassName"},
    {"priority", "Priority"},
    {"dnsConfig", "DNSConfig"},
    {"readinessGates", "ReadinessGates"},
    {"runtimeClassName", "RuntimeClassName"},
    {"enableServiceLinks", "EnableServiceLinks"},
    {"preemptionPolicy", "PreemptionPolicy"},
    {"overhead", "Overhead"},
    {"topologySpreadConstraints", "TopologySpreadConstraints"},
};

std::string render(const Value* v) {
  return v == nullptr ? "nil" : json::dump(*v);
}

}  // namespace

FieldErrors pod_update(const Value& pod_value, const Value& old) {
  FieldErrors errs = pod(pod_value);
  const Value* spec = json::find(pod_value, "spec");
  const Value* old_spec = json::find(old, "spec");
  if (spec == nullptr || old_spec == nullptr || !spec->IsObject() || !old_spec->IsObject()) {
    return errs;
  }
  // Mask what may change, then compare.
  json::Document masked = json::copy(*spec);
  auto& a = masked.GetAllocator();
  for (std::string_view list : {"containers", "initContainers"}) {
    json::Value* now = json::find(masked, list);
    const json::Value* before = json::find(*old_spec, list);
    if (now == nullptr || before == nullptr || !now->IsArray() || !before->IsArray() ||
        now->Size() != before->Size()) {
      continue;
    }
    for (rapidjson::SizeType i = 0; i < now->Size(); ++i) {
      if (const json::Value* image = json::find((*before)[i], "image")) {
        json::set((*now)[i], "image", json::Value(*image, a), a);
      }
    }
  }
  for (std::string_view key :
       {"activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"}) {
    json::remove(masked, key);
    if (const json::Value* v = json::find(*old_spec, key))
      json::set(masked, key, json::Value(*v, a), a);
  }
  if (json::equal(masked, *old_spec)) return errs;
  std::string diff = "  core.PodSpec{\n";
  for (const auto& [key, go_name] : kPodSpecFields) {
    const json::Value* now = json::find(masked, key);
    const json::Value* before = json::find(*old_spec, key);
    bool same = (now == nullptr && before == nullptr) ||
                (now != nullptr && before != nullptr && json::equal(*now, *before));
    if (same) continue;
    diff += "- \t" + std::string(go_name) + ": " + render(before) + ",\n";
    diff += "+ \t" + std::string(go_name) + ": " + render(now) + ",\n";
  }
  diff += "  }\n";
  errs.push_back(FieldError::forbidden(
      "spec",
      "pod updates may not change fields other than `spec.containers[*].image`, "
      "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only "
      "additions to existing tolerations) or `spec.terminationGracePeriodSeconds` (allow it to "
      "be set to 1 if it was previously negative)\n" +
          diff));
  return errs;
}

FieldErrors workload(const Value& object, bool replicas) {
  FieldErrors errs;
  const Value* spec = json::find(object, "spec");
  if (spec == nullptr || !spec->IsObject()) {
    errs.push_back(FieldError::required("spec.selector"));
    return errs;
  }
  if (replicas) {
    if (const Value* r = json::find(*spec, "replicas");
        r != nullptr && r->IsInt64() && r->GetInt64() < 0) {
      errs.push_back(FieldError::invalid("spec.replicas", std::to_string(r->GetInt64()),
                                         "must be greater than or equal to 0"));
    }
  }
  const Value* selector = json::find(*spec, "selector");
  const Value* tmpl = json::find(*spec, "template");
  const Value* labels = tmpl != nullptr ? json::find_path(*tmpl, {"metadata", "labels"}) : nullptr;
  if (selector == nullptr || !selector->IsObject() || selector->MemberCount() == 0) {
    errs.push_back(FieldError::required("spec.selector"));
  } else {
    auto parsed = kube::LabelSelector::from_json(*selector);
    if (!parsed.ok()) {
      errs.push_back(
          FieldError::invalid("spec.selector", json::dump(*selector), parsed.error().message));
    } else if (parsed->empty()) {
      errs.push_back(FieldError::invalid("spec.selector", json::dump(*selector),
                                         "empty selector is invalid for deployment"));
    } else if (!parsed->matches(labels)) {
      errs.push_back(FieldError::invalid("spec.template.metadata.labels",
                                         labels != nullptr ? json::dump(*labels) : "null",
                                         "`selector` does not match template `labels`"));
    }
  }
  if (tmpl != nullptr && tmpl->IsObject()) {
    if (const Value* ps = json::find(*tmpl, "spec"); ps != nullptr && ps->IsObject()) {
      append(errs, pod_spec(*ps, "spec.template.spec"));
    } else {
      errs.push_back(FieldError::required("spec.template.spec.containers"));
    }
  }
  return errs;
}

FieldErrors workload_update(const Value& object, const Value& old, bool replicas) {
  FieldErrors errs = workload(object, replicas);
  const Value* sel = json::find_path(object, {"spec", "selector"});
  const Value* old_sel = json::find_path(old, {"spec", "selector"});
  if (sel != nullptr && old_sel != nullptr && !json::equal(*sel, *old_sel)) {
    errs.push_back(FieldError::invalid("spec.selector", json::dump(*sel), "field is immutable"));
  }
  return errs;
}

FieldErrors service(const Value& object) {
  FieldErrors errs;
  const Value* spec = json::find(object, "spec");
  if (spec == nullptr || !spec->IsObject()) return errs;
  std::string_view type = json::get_string(*spec, "type", "ClusterIP");
  check_enum(errs, *spec, "type", "spec.type",
             {"ClusterIP", "ExternalName", "NodePort", "LoadBalancer"}, false);
  const Value* ports = array_at(*spec, "ports");
  bool headless = json::get_string(*spec, "clusterIP") == "None";
  if ((ports == nullptr || ports->Empty()) && type != "ExternalName" && !headless) {
    errs.push_back(FieldError::required("spec.ports"));
  }
  if (ports != nullptr) {
    std::set<std::string> names;
    for (rapidjson::SizeType i = 0; i < ports->Size(); ++i) {
      const Value& p = (*ports)[i];
      std::string base = index("spec.ports", i);
      std::int64_t port = json::get_int(p, "port", 0);
      if (port < 1 || port > 65535) {
        errs.push_back(FieldError::invalid(base + ".port", std::to_string(port),
                                           "must be between 1 and 65535, inclusive"));
      }
      std::string_view name = json::get_string(p, "name");
      if (ports->Size() > 1 && name.empty()) errs.push_back(FieldError::required(base + ".name"));
      if (!name.empty() && !names.insert(std::string(name)).second) {
        errs.push_back(FieldError::duplicate(base + ".name", go_quote(name)));
      }
      check_enum(errs, p, "protocol", base + ".protocol", {"SCTP", "TCP", "UDP"}, false);
    }
  }
  if (type == "ExternalName" && json::get_string(*spec, "externalName").empty()) {
    errs.push_back(FieldError::required("spec.externalName"));
  }
  return errs;
}

namespace {

bool config_key_ok(std::string_view key) {
  if (key.empty() || key.size() > 253 || key == "." || key == "..") return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

constexpr std::string_view kConfigKeyMsg =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')";

FieldErrors data_keys(const Value& object, std::initializer_list<std::string_view> fields,
                      std::size_t max_total) {
  FieldErrors errs;
  std::size_t total = 0;
  std::set<std::string> seen;
  for (std::string_view field : fields) {
    const Value* data = json::find(object, field);
    if (data == nullptr || !data->IsObject()) continue;
    for (const auto& m : data->GetObject()) {
      std::string_view key = json::as_string(m.name);
      if (!config_key_ok(key)) {
        errs.push_back(
            FieldError::invalid(std::string(field), go_quote(key), std::string(kConfigKeyMsg)));
      }
      if (!seen.insert(std::string(key)).second) {
        errs.push_back(FieldError::invalid(
            std::string(field), go_quote(key),
            "duplicate of key present in " + std::string(field == "data" ? "binaryData" : "data")));
      }
      if (m.value.IsString()) total += m.value.GetStringLength();
    }
  }
  if (total > max_total) {
    errs.push_back({FieldError::Type::kTooLong, "", "",
                    "must have at most " + std::to_string(max_total) + " bytes"});
  }
  return errs;
}

}  // namespace

FieldErrors config_map(const Value& object) {
  return data_keys(object, {"data", "binaryData"}, 1024 * 1024);
}

FieldErrors secret(const Value& object) {
  FieldErrors errs = data_keys(object, {"data"}, 1024 * 1024);
  if (const Value* data = json::find(object, "data"); data != nullptr && data->IsObject()) {
    for (const auto& m : data->GetObject()) {
      if (m.value.IsString() && !kube::base64_decode(json::as_string(m.value))) {
        errs.push_back(FieldError::invalid("data[" + std::string(json::as_string(m.name)) + "]",
                                           "\"<secret contents redacted>\"",
                                           "illegal base64 data"));
      }
    }
  }
  return errs;
}

FieldErrors events_v1_event(const Value& object) {
  FieldErrors errs;
  const Value* et = json::find(object, "eventTime");
  if (et == nullptr || et->IsNull()) errs.push_back(FieldError::required("eventTime"));
  if (json::get_string(object, "reportingController").empty()) {
    errs.push_back(FieldError::required("reportingController"));
  }
  if (json::get_string(object, "reportingInstance").empty()) {
    errs.push_back(FieldError::required("reportingInstance"));
  }
  if (json::get_string(object, "action").empty()) errs.push_back(FieldError::required("action"));
  if (json::get_string(object, "reason").empty()) errs.push_back(FieldError::required("reason"));
  check_enum(errs, object, "type", "type", {"Normal", "Warning"}, false);
  return errs;
}

FieldErrors custom_resource_definition(const Value& object) {
  FieldErrors errs;
  const Value* spec = json::find(object, "spec");
  if (spec == nullptr || !spec->IsObject()) {
    errs.push_back(FieldError::required("spec"));
    return errs;
  }
  std::string_view group = json::get_string(*spec, "group");
  if (group.empty()) {
    errs.push_back(FieldError::required("spec.group"));
  } else if (group.find('.') == std::string_view::npos) {
    errs.push_back(FieldError::invalid("spec.group", go_quote(group),
                                       "should be a domain with at least one dot"));
  }
  const Value* names = json::find(*spec, "names");
  std::string_view plural = names != nullptr ? json::get_string(*names, "plural") : "";
  std::string_view kind = names != nullptr ? json::get_string(*names, "kind") : "";
  if (plural.empty()) errs.push_back(FieldError::required("spec.names.plural"));
  if (kind.empty()) errs.push_back(FieldError::required("spec.names.kind"));
  std::string_view name = json::get_string(*json::find(object, "metadata"), "name");
  if (!plural.empty() && !group.empty() && name != std::string(plural) + "." + std::string(group)) {
    errs.push_back(FieldError::invalid("metadata.name", go_quote(name),
                                       "must be spec.names.plural+\".\"+spec.group"));
  }
  check_enum(errs, *spec, "scope", "spec.scope", {"Cluster", "Namespaced"}, true);
  const Value* versions = array_at(*spec, "versions");
  if (versions == nullptr || versions->Empty()) {
    errs.push_back(FieldError::invalid("spec.versions", "null",
                                       "must have exactly one version marked as storage version"));
    return errs;
  }
  int storage = 0;
  for (const auto& v : versions->GetArray()) {
    if (json::get_bool(v, "storage")) ++storage;
  }
  if (storage != 1) {
    errs.push_back(FieldError::invalid("spec.versions", json::dump(*versions),
                                       "must have exactly one version marked as storage version"));
  }
  return errs;
}

FieldErrors webhook_configuration(const Value& object) {
  FieldErrors errs;
  const Value* hooks = array_at(object, "webhooks");
  if (hooks == nullptr) return errs;
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < hooks->Size(); ++i) {
    const Value& h = (*hooks)[i];
    std::string base = index("webhooks", i);
    std::string_view name = json::get_string(h, "name");
    if (name.empty()) {
      errs.push_back(FieldError::required(base + ".name"));
    } else if (!names.insert(std::string(name)).second) {
      errs.push_back(FieldError::duplicate(base + ".name", go_quote(name)));
    }
    check_enum(errs, h, "sideEffects", base + ".sideEffects", {"None", "NoneOnDryRun"}, true);
    if (array_at(h, "admissionReviewVersions") == nullptr) {
      errs.push_back(FieldError::required(base + ".admissionReviewVersions",
                                          "must specify one of v1, v1beta1"));
    }
    const Value* cc = json::find(h, "clientConfig");
    bool has_url = cc != nullptr && !json::get_string(*cc, "url").empty();
    bool has_service = cc != nullptr && json::find(*cc, "service") != nullptr;
    if (has_url == has_service) {
      errs.push_back(FieldError::required(base + ".clientConfig",
                                          "exactly one of url or service is required"));
    }
    check_enum(errs, h, "failurePolicy", base + ".failurePolicy", {"Fail", "Ignore"}, false);
  }
  return errs;
}

FieldErrors priority_class(const Value& object) {
  FieldErrors errs;
  if (json::find(object, "value") == nullptr) errs.push_back(FieldError::required("value"));
  check_enum(errs, object, "preemptionPolicy", "preemptionPolicy",
             {"Never", "PreemptLowerPriority"}, false);
  return errs;
}

}  // namespace berth::sim::validation
