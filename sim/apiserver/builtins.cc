#include "sim/apiserver/builtins.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kube/api/quantity.h"
#include "sim/apiserver/defaults.h"
#include "sim/apiserver/meta.h"
#include "sim/apiserver/strategy.h"
#include "sim/apiserver/validation.h"

namespace berth::sim {

namespace json = kube::json;
using json::Allocator;
using json::Value;

namespace {

std::string go_json_type(const Value& v) {
  if (v.IsString()) return "string";
  if (v.IsNumber()) return "number";
  if (v.IsBool()) return "bool";
  if (v.IsArray()) return "array";
  if (v.IsObject()) return "object";
  return "null";
}

// map[string]<elem> fields whose values must be JSON strings.
std::optional<std::string> string_map_error(const Value& object, std::string_view kind,
                                            std::string_view field, std::string_view elem) {
  const Value* map = json::find(object, field);
  if (map == nullptr || map->IsNull()) return std::nullopt;
  std::string where = "Go struct field " + std::string(kind) + "." + std::string(field);
  if (!map->IsObject()) {
    return "json: cannot unmarshal " + go_json_type(*map) + " into " + where +
           " of type map[string]" + std::string(elem);
  }
  for (const auto& m : map->GetObject()) {
    if (!m.value.IsString() && !m.value.IsNull()) {
      return "json: cannot unmarshal " + go_json_type(m.value) + " into " + where + " of type " +
             std::string(elem);
    }
  }
  return std::nullopt;
}

void set_status(Value& object, const char* json_text, Allocator& a) {
  auto doc = json::parse(json_text);
  json::set(object, "status", Value(*doc, a), a);
}

class GenericStrategy : public Strategy {
 public:
  explicit GenericStrategy(bool drops_status = false, NameRule rule = NameRule::kSubdomain)
      : drops_status_(drops_status), rule_(rule) {}
  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  bool drops_status_on_create() const override { return drops_status_; }
  NameRule name_rule() const override { return rule_; }

 private:
  bool drops_status_;
  NameRule rule_;
};

// A strategy from plain functions, for kinds whose rules are only defaults, a fresh status
// and validation.
struct KindRules {
  void (*defaults)(Value&, Allocator&) = nullptr;
  const char* initial_status = nullptr;  // JSON set as status on create; null keeps status
  bool drop_status = false;
  FieldErrors (*validate)(const Value&) = nullptr;
  NameRule rule = NameRule::kSubdomain;
  std::vector<std::pair<std::string, std::string>> string_maps{};  // field, Go element type
  bool create_on_update = false;  // PUT of a missing object creates it
};

class RulesStrategy : public Strategy {
 public:
  RulesStrategy(std::string kind, KindRules rules)
      : kind_(std::move(kind)), rules_(std::move(rules)) {}
  std::optional<std::string> type_error(const Value& object) const override {
    if (auto e = metadata_type_error(object)) return e;
    for (const auto& [field, elem] : rules_.string_maps) {
      if (auto e = string_map_error(object, kind_, field, elem)) return e;
    }
    return std::nullopt;
  }
  void apply_defaults(Value& object, Allocator& a) const override {
    if (rules_.defaults != nullptr) rules_.defaults(object, a);
  }
  bool drops_status_on_create() const override { return rules_.drop_status; }
  void prepare_for_create(Value& object, Allocator& a) const override {
    if (rules_.drop_status) json::remove(object, "status");
    if (rules_.initial_status != nullptr) set_status(object, rules_.initial_status, a);
  }
  FieldErrors validate(const Value& object) const override {
    return rules_.validate != nullptr ? rules_.validate(object) : FieldErrors{};
  }
  NameRule name_rule() const override { return rules_.rule; }
  bool allow_create_on_update() const override { return rules_.create_on_update; }
  void canonicalize(Value& object, Allocator& a) const override {
    canonicalize_builtin(object, a);
    for (const auto& [field, elem] : rules_.string_maps)
      sort_map(object, field, a);
  }

 private:
  std::string kind_;
  KindRules rules_;
};

class PodStrategy : public Strategy {
 public:
  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  void apply_defaults(Value& object, Allocator& a) const override {
    defaults::pod(object, a);
    // Condition times are structs in the apiserver: always serialized, null when unset.
    Value* status = json::find(object, "status");
    Value* conditions = status != nullptr ? json::find(*status, "conditions") : nullptr;
    if (conditions != nullptr && conditions->IsArray()) {
      for (auto& c : conditions->GetArray()) {
        if (!c.IsObject()) continue;
        for (const char* key : {"lastProbeTime", "lastTransitionTime"}) {
          if (json::find(c, key) == nullptr) json::set(c, key, Value(rapidjson::kNullType), a);
        }
        order_keys(
            c, {"type", "status", "lastProbeTime", "lastTransitionTime", "reason", "message"}, a);
      }
    }
  }
  bool drops_status_on_create() const override { return true; }
  void prepare_for_create(Value& object, Allocator& a) const override {
    json::remove(object, "status");
    Value status(rapidjson::kObjectType);
    json::set_string(status, "phase", "Pending", a);
    json::set_string(status, "qosClass", pod_qos_class(object), a);
    json::set(object, "status", std::move(status), a);
    if (Value* spec = json::find(object, "spec")) defaults::order_pod_spec(*spec, a);
  }
  void prepare_for_update(Value& object, const Value&, Allocator& a) const override {
    if (Value* spec = json::find(object, "spec")) defaults::order_pod_spec(*spec, a);
  }
  FieldErrors validate(const Value& object) const override { return validation::pod(object); }
  FieldErrors validate_update(const Value& object, const Value& old) const override {
    return validation::pod_update(object, old);
  }
  void canonicalize(Value& object, Allocator& a) const override {
    canonicalize_builtin(object, a);
    if (Value* spec = json::find(object, "spec")) {
      defaults::order_pod_spec(*spec, a);
      sort_map(*spec, "nodeSelector", a);
    }
    if (Value* status = json::find(object, "status")) {
      defaults::order_pod_status(*status, a);
      for (const char* list :
           {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"}) {
        Value* statuses = json::find(*status, list);
        if (statuses == nullptr || !statuses->IsArray()) continue;
        for (auto& cs : statuses->GetArray()) {
          order_keys(cs,
                     {"name", "state", "lastState", "ready", "restartCount", "image", "imageID",
                      "containerID", "started"},
                     a);
        }
      }
    }
  }
  std::string field_value(const Value& object, std::string_view label) const override {
    if (label == "spec.hostNetwork") {
      return json::get_bool(*json::find(object, "spec"), "hostNetwork") ? "true" : "false";
    }
    return Strategy::field_value(object, label);
  }
  std::optional<std::int64_t> default_grace_period(const Value& object) const override {
    const Value* spec = json::find(object, "spec");
    std::string_view phase = json::get_string(*json::find(object, "status"), "phase");
    // An unscheduled or finished pod has nothing to stop: it goes at once.
    if (spec == nullptr || json::get_string(*spec, "nodeName").empty() || phase == "Failed" ||
        phase == "Succeeded") {
      return 0;
    }
    return json::get_int(*spec, "terminationGracePeriodSeconds", 30);
  }
};

class WorkloadStrategy : public Strategy {
 public:
  WorkloadStrategy(void (*defaults_fn)(Value&, Allocator&), const char* status, bool replicas)
      : defaults_(defaults_fn), status_(status), replicas_(replicas) {}
  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  void apply_defaults(Value& object, Allocator& a) const override { defaults_(object, a); }
  bool drops_status_on_create() const override { return true; }
  void prepare_for_create(Value& object, Allocator& a) const override {
    json::remove(object, "status");
    set_status(object, status_, a);
  }
  FieldErrors validate(const Value& object) const override {
    return validation::workload(object, replicas_);
  }
  FieldErrors validate_update(const Value& object, const Value& old) const override {
    return validation::workload_update(object, old, replicas_);
  }

 private:
  void (*defaults_)(Value&, Allocator&);
  const char* status_;
  bool replicas_;
};

class JobStrategy : public Strategy {
 public:
  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  void apply_defaults(Value& object, Allocator& a) const override { defaults::job(object, a); }
  bool drops_status_on_create() const override { return true; }
  void prepare_for_create(Value& object, Allocator& a) const override {
    json::remove(object, "status");
    set_status(object, "{}", a);
    // Without manualSelector the apiserver selects the job's pods by its uid.
    Value* spec = json::find(object, "spec");
    if (spec == nullptr || json::get_bool(*spec, "manualSelector")) return;
    std::string uid(json::get_string(*json::find(object, "metadata"), "uid"));
    std::string name(json::get_string(*json::find(object, "metadata"), "name"));
    Value& selector = json::ensure_object(*spec, "selector", a);
    json::set_string(json::ensure_object(selector, "matchLabels", a), "controller-uid", uid, a);
    if (Value* t = json::find(*spec, "template"); t != nullptr && t->IsObject()) {
      Value& labels = json::ensure_object(json::ensure_object(*t, "metadata", a), "labels", a);
      json::set_string(labels, "controller-uid", uid, a);
      json::set_string(labels, "job-name", name, a);
      sort_keys(labels, a);
    }
  }
  FieldErrors validate(const Value& object) const override {
    FieldErrors errs;
    const Value* ps = json::find_path(object, {"spec", "template", "spec"});
    if (ps == nullptr || !ps->IsObject()) {
      errs.push_back(FieldError::required("spec.template.spec.containers"));
      return errs;
    }
    errs = validation::pod_spec(*ps, "spec.template.spec");
    std::string_view rp = json::get_string(*ps, "restartPolicy");
    if (rp != "OnFailure" && rp != "Never") {
      errs.push_back(FieldError::not_supported("spec.template.spec.restartPolicy", go_quote(rp),
                                               {"OnFailure", "Never"}));
    }
    return errs;
  }
};

class NamespaceStrategy : public Strategy {
 public:
  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  void apply_defaults(Value& object, Allocator& a) const override {
    defaults::namespace_(object, a);
  }
  bool drops_status_on_create() const override { return true; }
  void prepare_for_create(Value& object, Allocator& a) const override {
    json::remove(object, "status");
    Value& spec = json::ensure_object(object, "spec", a);
    Value finalizers(rapidjson::kArrayType);
    finalizers.PushBack(json::make_string("kubernetes", a), a);
    json::set(spec, "finalizers", std::move(finalizers), a);
    set_status(object, R"({"phase":"Active"})", a);
  }
  void prepare_for_update(Value& object, const Value& old, Allocator& a) const override {
    // spec.finalizers change only through /finalize.
    if (const Value* spec = json::find(old, "spec")) {
      json::set(object, "spec", Value(*spec, a), a);
    }
  }
  NameRule name_rule() const override { return NameRule::kLabel; }
  bool delay_delete(Value& object, Allocator& a) const override {
    json::set_string(json::ensure_object(object, "status", a), "phase", "Terminating", a);
    return true;
  }
};

class CrdStrategy : public Strategy {
 public:
  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  void apply_defaults(Value& object, Allocator& a) const override {
    defaults::custom_resource_definition(object, a);
  }
  bool drops_status_on_create() const override { return true; }
  void prepare_for_create(Value& object, Allocator& a) const override {
    json::remove(object, "status");
    Value status(rapidjson::kObjectType);
    json::set(status, "conditions", Value(rapidjson::kNullType), a);
    Value accepted(rapidjson::kObjectType);
    json::set_string(accepted, "plural", "", a);
    json::set_string(accepted, "kind", "", a);
    json::set(status, "acceptedNames", std::move(accepted), a);
    Value stored(rapidjson::kArrayType);
    if (const Value* versions = json::find_path(object, {"spec", "versions"});
        versions != nullptr && versions->IsArray()) {
      for (const auto& v : versions->GetArray()) {
        if (json::get_bool(v, "storage"))
          stored.PushBack(json::make_string(json::get_string(v, "name"), a), a);
      }
    }
    json::set(status, "storedVersions", std::move(stored), a);
    json::set(object, "status", std::move(status), a);
  }
  FieldErrors validate(const Value& object) const override {
    return validation::custom_resource_definition(object);
  }
  std::vector<std::string> finalizers_on_delete() const override {
    return {"customresourcecleanup.apiextensions.k8s.io"};
  }
};

// events.k8s.io/v1 Event, stored as a core/v1 Event (one table, two views).
class EventsV1Strategy : public Strategy {
 public:
  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  FieldErrors validate(const Value& object) const override {
    return validation::events_v1_event(object);
  }
  bool converts() const override { return true; }
  void to_storage(Value& object, Allocator& a) const override {
    Value out(rapidjson::kObjectType);
    auto move = [&](std::string_view from, std::string_view to) {
      if (Value* v = json::find(object, from)) json::set(out, to, Value(*v, a), a);
    };
    json::set_string(out, "kind", "Event", a);
    json::set_string(out, "apiVersion", "v1", a);
    move("metadata", "metadata");
    move("regarding", "involvedObject");
    move("reason", "reason");
    move("note", "message");
    move("deprecatedSource", "source");
    move("deprecatedFirstTimestamp", "firstTimestamp");
    move("deprecatedLastTimestamp", "lastTimestamp");
    move("deprecatedCount", "count");
    move("type", "type");
    move("eventTime", "eventTime");
    move("series", "series");
    move("action", "action");
    move("related", "related");
    move("reportingController", "reportingComponent");
    move("reportingInstance", "reportingInstance");
    defaults::core_event(out, a);
    object = std::move(out);
  }
  void from_storage(Value& object, Allocator& a) const override {
    Value out(rapidjson::kObjectType);
    auto move = [&](std::string_view from, std::string_view to, bool keep_empty) {
      Value* v = json::find(object, from);
      if (v == nullptr) return;
      if (!keep_empty &&
          ((v->IsString() && v->GetStringLength() == 0) || (v->IsInt64() && v->GetInt64() == 0))) {
        return;
      }
      json::set(out, to, Value(*v, a), a);
    };
    json::set_string(out, "kind", "Event", a);
    json::set_string(out, "apiVersion", "events.k8s.io/v1", a);
    if (Value* ref = json::find(object, "involvedObject")) defaults::object_reference(*ref, a);
    move("metadata", "metadata", true);
    if (json::find(object, "eventTime") == nullptr) {
      json::set(out, "eventTime", Value(rapidjson::kNullType), a);
    } else {
      move("eventTime", "eventTime", true);
    }
    move("series", "series", false);
    move("reportingComponent", "reportingController", false);
    move("reportingInstance", "reportingInstance", false);
    move("action", "action", false);
    move("reason", "reason", false);
    move("involvedObject", "regarding", true);
    move("related", "related", false);
    move("message", "note", false);
    move("type", "type", false);
    if (json::find(object, "source") == nullptr) {
      json::set(out, "deprecatedSource", Value(rapidjson::kObjectType), a);
    } else {
      move("source", "deprecatedSource", true);
    }
    for (auto [from, to] : {std::pair{"firstTimestamp", "deprecatedFirstTimestamp"},
                            std::pair{"lastTimestamp", "deprecatedLastTimestamp"}}) {
      if (json::find(object, from) == nullptr) {
        json::set(out, to, Value(rapidjson::kNullType), a);
      } else {
        move(from, to, true);
      }
    }
    move("count", "deprecatedCount", false);
    object = std::move(out);
  }
};

class ServiceStrategy : public Strategy {
 public:
  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  void apply_defaults(Value& object, Allocator& a) const override { defaults::service(object, a); }
  bool drops_status_on_create() const override { return true; }
  void prepare_for_create(Value& object, Allocator& a) const override {
    json::remove(object, "status");
    set_status(object, R"({"loadBalancer":{}})", a);
    if (Value* spec = json::find(object, "spec")) defaults::order_service_spec(*spec, a);
  }
  void prepare_for_update(Value& object, const Value& old, Allocator& a) const override {
    // Allocated addresses survive an update that leaves them out.
    Value* spec = json::find(object, "spec");
    const Value* old_spec = json::find(old, "spec");
    if (spec == nullptr || old_spec == nullptr) return;
    for (std::string_view key : {"clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"}) {
      const Value* before = json::find(*old_spec, key);
      if (before != nullptr && json::find(*spec, key) == nullptr) {
        json::set(*spec, key, Value(*before, a), a);
      }
    }
    defaults::order_service_spec(*spec, a);
  }
  FieldErrors validate(const Value& object) const override { return validation::service(object); }
  void canonicalize(Value& object, Allocator& a) const override {
    canonicalize_builtin(object, a);
    if (Value* spec = json::find(object, "spec")) sort_map(*spec, "selector", a);
  }
  FieldErrors validate_update(const Value& object, const Value& old) const override {
    FieldErrors errs = validation::service(object);
    std::string_view ip = json::get_string(*json::find(object, "spec"), "clusterIP");
    std::string_view old_ip = json::get_string(*json::find(old, "spec"), "clusterIP");
    if (!old_ip.empty() && ip != old_ip) {
      errs.push_back(
          FieldError::invalid("spec.clusterIPs[0]", go_quote(ip), "may not change once set"));
    }
    return errs;
  }
  NameRule name_rule() const override { return NameRule::kDns1035Label; }
};

FieldErrors validate_webhooks(const Value& v) {
  return validation::webhook_configuration(v);
}
void mutating_defaults(Value& v, Allocator& a) {
  defaults::webhook_configuration(v, a, true);
}
void validating_defaults(Value& v, Allocator& a) {
  defaults::webhook_configuration(v, a, false);
}

const std::vector<std::string> kAllVerbs{"create", "delete", "deletecollection", "get",
                                         "list",   "patch",  "update",           "watch"};

SubresourceInfo status_sub(const std::string& kind) {
  return {"status", kind, "", "", {"get", "patch", "update"}, true};
}
SubresourceInfo scale_sub() {
  return {"scale", "Scale", "autoscaling", "v1", {"get", "patch", "update"}, true};
}
SubresourceInfo listed(std::string name, std::string kind, std::vector<std::string> verbs,
                       std::string group = {}, std::string version = {}) {
  return {std::move(name),    std::move(kind),  std::move(group),
          std::move(version), std::move(verbs), false};
}

struct Def {
  std::string group;
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;
  std::vector<std::string> short_names{};
  std::vector<std::string> categories{};
  std::vector<SubresourceInfo> subresources{};
  std::shared_ptr<const Strategy> strategy{};
  bool generation = false;
  std::string storage_gv{};  // group/version the hash uses when it differs
  std::vector<std::string> field_labels{};
  bool scale = false;
  bool return_deleted = false;
  std::vector<std::string> verbs = kAllVerbs;
  std::string table{};
  bool virtual_only = false;  // POST-only kinds answered without storage
};

void add(Registry& registry, Def d) {
  ResourceInfo r;
  r.group = d.group;
  r.version = d.version;
  r.plural = d.plural;
  r.kind = d.kind;
  r.list_kind = d.kind + "List";
  r.namespaced = d.namespaced;
  r.verbs = d.verbs;
  r.short_names = d.short_names;
  r.categories = d.categories;
  r.subresources = d.subresources;
  r.has_generation = d.generation;
  r.field_labels = d.field_labels;
  r.return_deleted_object = d.return_deleted;
  r.strategy = d.strategy ? d.strategy : std::make_shared<GenericStrategy>();
  r.storage_table = d.table;
  r.virtual_only = d.virtual_only;
  if (d.scale) r.scale = ScaleInfo{".spec.replicas", ".status.replicas", "", true};
  // Only kinds stored and watchable have a storage version.
  if (r.allows("watch")) {
    std::string gv = d.storage_gv.empty() ? (d.group + "/" + d.version) : d.storage_gv;
    auto slash = gv.rfind('/');
    r.storage_version_hash =
        storage_version_hash(gv.substr(0, slash), gv.substr(slash + 1), d.kind);
  }
  registry.add(std::move(r));
}

std::shared_ptr<const Strategy> rules(std::string kind, KindRules k) {
  return std::make_shared<RulesStrategy>(std::move(kind), std::move(k));
}

}  // namespace

std::string_view pod_qos_class(const Value& pod) {
  const Value* spec = json::find(pod, "spec");
  if (spec == nullptr) return "BestEffort";
  bool any = false;
  bool guaranteed = true;
  for (std::string_view list : {"initContainers", "containers"}) {
    const Value* cs = json::find(*spec, list);
    if (cs == nullptr || !cs->IsArray()) continue;
    for (const auto& c : cs->GetArray()) {
      const Value* res = json::find(c, "resources");
      const Value* req = res != nullptr ? json::find(*res, "requests") : nullptr;
      const Value* lim = res != nullptr ? json::find(*res, "limits") : nullptr;
      auto quantity = [](const Value* values,
                         std::string_view name) -> std::optional<kube::Quantity> {
        if (values == nullptr) return std::nullopt;
        const Value* q = json::find(*values, name);
        if (q == nullptr || !q->IsString()) return std::nullopt;
        return kube::Quantity::parse(json::as_string(*q));
      };
      for (std::string_view name : {"cpu", "memory"}) {
        auto r = quantity(req, name);
        auto l = quantity(lim, name);
        if ((r && r->milli() != 0) || (l && l->milli() != 0)) any = true;
        if (!l || !r || *l != *r) guaranteed = false;
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

void register_builtins(Registry& registry) {
  auto path_names = std::make_shared<GenericStrategy>(false, NameRule::kPathSegment);
  std::vector<std::string> create_only{"create"};

  // core/v1, in discovery order.
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "bindings",
                 .kind = "Binding",
                 .verbs = create_only,
                 .virtual_only = true});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "componentstatuses",
                 .kind = "ComponentStatus",
                 .namespaced = false,
                 .short_names = {"cs"},
                 .verbs = {"get", "list"}});
  add(registry,
      {.group = "",
       .version = "v1",
       .plural = "configmaps",
       .kind = "ConfigMap",
       .short_names = {"cm"},
       .strategy =
           rules("ConfigMap", {.validate = validation::config_map,
                               .string_maps = {{"data", "string"}, {"binaryData", "[]uint8"}}})});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "endpoints",
                 .kind = "Endpoints",
                 .short_names = {"ep"},
                 .strategy = rules("Endpoints", {.create_on_update = true})});
  add(registry,
      {.group = "",
       .version = "v1",
       .plural = "events",
       .kind = "Event",
       .short_names = {"ev"},
       .strategy = rules("Event", {.defaults = defaults::core_event, .create_on_update = true}),
       .field_labels = {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                        "involvedObject.uid", "involvedObject.apiVersion",
                        "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                        "reportingComponent", "source", "type"}});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "limitranges",
                 .kind = "LimitRange",
                 .short_names = {"limits"}});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "namespaces",
                 .kind = "Namespace",
                 .namespaced = false,
                 .short_names = {"ns"},
                 .subresources = {{"finalize", "Namespace", "", "", {"update"}, true},
                                  status_sub("Namespace")},
                 .strategy = std::make_shared<NamespaceStrategy>(),
                 .field_labels = {"status.phase"},
                 .return_deleted = true,
                 .verbs = {"create", "delete", "get", "list", "patch", "update", "watch"}});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "nodes",
                 .kind = "Node",
                 .namespaced = false,
                 .short_names = {"no"},
                 .subresources = {listed("proxy", "NodeProxyOptions",
                                         {"create", "delete", "get", "patch", "update"}),
                                  status_sub("Node")},
                 .field_labels = {"spec.unschedulable"}});
  add(registry,
      {.group = "",
       .version = "v1",
       .plural = "persistentvolumeclaims",
       .kind = "PersistentVolumeClaim",
       .short_names = {"pvc"},
       .subresources = {status_sub("PersistentVolumeClaim")},
       .strategy = rules("PersistentVolumeClaim", {.defaults = defaults::persistent_volume_claim,
                                                   .initial_status = R"({"phase":"Pending"})",
                                                   .drop_status = true}),
       .field_labels = {"status.phase"},
       .return_deleted = true});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "persistentvolumes",
                 .kind = "PersistentVolume",
                 .namespaced = false,
                 .short_names = {"pv"},
                 .subresources = {status_sub("PersistentVolume")},
                 .strategy = rules("PersistentVolume", {.defaults = defaults::persistent_volume,
                                                        .initial_status = R"({"phase":"Pending"})",
                                                        .drop_status = true}),
                 .field_labels = {"status.phase"},
                 .return_deleted = true});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "pods",
                 .kind = "Pod",
                 .short_names = {"po"},
                 .categories = {"all"},
                 .subresources = {listed("attach", "PodAttachOptions", {"create", "get"}),
                                  {"binding", "Binding", "", "", {"create"}, true},
                                  listed("ephemeralcontainers", "Pod", {"get", "patch", "update"}),
                                  {"eviction", "Eviction", "policy", "v1", {"create"}, true},
                                  listed("exec", "PodExecOptions", {"create", "get"}),
                                  listed("log", "Pod", {"get"}),
                                  listed("portforward", "PodPortForwardOptions", {"create", "get"}),
                                  listed("proxy", "PodProxyOptions",
                                         {"create", "delete", "get", "patch", "update"}),
                                  status_sub("Pod")},
                 .strategy = std::make_shared<PodStrategy>(),
                 .field_labels = {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                                  "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                                  "status.podIP", "status.nominatedNodeName"},
                 .return_deleted = true});
  add(registry, {.group = "", .version = "v1", .plural = "podtemplates", .kind = "PodTemplate"});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "replicationcontrollers",
                 .kind = "ReplicationController",
                 .short_names = {"rc"},
                 .categories = {"all"},
                 .subresources = {scale_sub(), status_sub("ReplicationController")},
                 .strategy = std::make_shared<WorkloadStrategy>(defaults::replication_controller,
                                                                R"({"replicas":0})", true),
                 .generation = true,
                 .field_labels = {"status.replicas"},
                 .scale = true});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "resourcequotas",
                 .kind = "ResourceQuota",
                 .short_names = {"quota"},
                 .subresources = {status_sub("ResourceQuota")}});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "secrets",
                 .kind = "Secret",
                 .strategy = rules(
                     "Secret", {.defaults = defaults::secret,
                                .validate = validation::secret,
                                .string_maps = {{"data", "[]uint8"}, {"stringData", "string"}}}),
                 .field_labels = {"type"}});
  add(registry,
      {.group = "",
       .version = "v1",
       .plural = "serviceaccounts",
       .kind = "ServiceAccount",
       .short_names = {"sa"},
       .subresources = {listed("token", "TokenRequest", {"create"}, "authentication.k8s.io", "v1")},
       .return_deleted = true});
  add(registry, {.group = "",
                 .version = "v1",
                 .plural = "services",
                 .kind = "Service",
                 .short_names = {"svc"},
                 .categories = {"all"},
                 .subresources = {listed("proxy", "ServiceProxyOptions",
                                         {"create", "delete", "get", "patch", "update"}),
                                  status_sub("Service")},
                 .strategy = std::make_shared<ServiceStrategy>(),
                 .return_deleted = true});

  // apiregistration.k8s.io/v1
  add(registry, {.group = "apiregistration.k8s.io",
                 .version = "v1",
                 .plural = "apiservices",
                 .kind = "APIService",
                 .namespaced = false,
                 .categories = {"api-extensions"},
                 .subresources = {status_sub("APIService")}});

  // apps/v1
  add(registry, {.group = "apps",
                 .version = "v1",
                 .plural = "controllerrevisions",
                 .kind = "ControllerRevision"});
  add(registry,
      {.group = "apps",
       .version = "v1",
       .plural = "daemonsets",
       .kind = "DaemonSet",
       .short_names = {"ds"},
       .categories = {"all"},
       .subresources = {status_sub("DaemonSet")},
       .strategy = std::make_shared<WorkloadStrategy>(
           defaults::daemon_set,
           R"({"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0})",
           false),
       .generation = true});
  add(registry, {.group = "apps",
                 .version = "v1",
                 .plural = "deployments",
                 .kind = "Deployment",
                 .short_names = {"deploy"},
                 .categories = {"all"},
                 .subresources = {scale_sub(), status_sub("Deployment")},
                 .strategy = std::make_shared<WorkloadStrategy>(defaults::deployment, "{}", true),
                 .generation = true,
                 .scale = true});
  add(registry, {.group = "apps",
                 .version = "v1",
                 .plural = "replicasets",
                 .kind = "ReplicaSet",
                 .short_names = {"rs"},
                 .categories = {"all"},
                 .subresources = {scale_sub(), status_sub("ReplicaSet")},
                 .strategy = std::make_shared<WorkloadStrategy>(defaults::replica_set,
                                                                R"({"replicas":0})", true),
                 .generation = true,
                 .field_labels = {"status.replicas"},
                 .scale = true});
  add(registry, {.group = "apps",
                 .version = "v1",
                 .plural = "statefulsets",
                 .kind = "StatefulSet",
                 .short_names = {"sts"},
                 .categories = {"all"},
                 .subresources = {scale_sub(), status_sub("StatefulSet")},
                 .strategy = std::make_shared<WorkloadStrategy>(
                     defaults::stateful_set, R"({"replicas":0,"availableReplicas":0})", true),
                 .generation = true,
                 .scale = true});

  // events.k8s.io/v1 shares core events' storage.
  add(registry, {.group = "events.k8s.io",
                 .version = "v1",
                 .plural = "events",
                 .kind = "Event",
                 .short_names = {"ev"},
                 .strategy = std::make_shared<EventsV1Strategy>(),
                 .storage_gv = "/v1",
                 .table = "/events"});

  add(registry, {.group = "authentication.k8s.io",
                 .version = "v1",
                 .plural = "tokenreviews",
                 .kind = "TokenReview",
                 .namespaced = false,
                 .verbs = create_only,
                 .virtual_only = true});
  for (auto [plural, kind, ns] :
       {std::tuple{"localsubjectaccessreviews", "LocalSubjectAccessReview", true},
        std::tuple{"selfsubjectaccessreviews", "SelfSubjectAccessReview", false},
        std::tuple{"selfsubjectrulesreviews", "SelfSubjectRulesReview", false},
        std::tuple{"subjectaccessreviews", "SubjectAccessReview", false}}) {
    add(registry, {.group = "authorization.k8s.io",
                   .version = "v1",
                   .plural = plural,
                   .kind = kind,
                   .namespaced = ns,
                   .verbs = create_only,
                   .virtual_only = true});
  }
  for (auto version : {"v2", "v1"}) {
    add(registry, {.group = "autoscaling",
                   .version = version,
                   .plural = "horizontalpodautoscalers",
                   .kind = "HorizontalPodAutoscaler",
                   .short_names = {"hpa"},
                   .categories = {"all"},
                   .subresources = {status_sub("HorizontalPodAutoscaler")},
                   .generation = true,
                   .storage_gv = "autoscaling/v1",
                   .table = "autoscaling/horizontalpodautoscalers"});
  }
  add(registry, {.group = "batch",
                 .version = "v1",
                 .plural = "cronjobs",
                 .kind = "CronJob",
                 .short_names = {"cj"},
                 .categories = {"all"},
                 .subresources = {status_sub("CronJob")},
                 .strategy = rules(
                     "CronJob",
                     {.defaults = defaults::cron_job, .initial_status = "{}", .drop_status = true}),
                 .generation = true});
  add(registry, {.group = "batch",
                 .version = "v1",
                 .plural = "jobs",
                 .kind = "Job",
                 .categories = {"all"},
                 .subresources = {status_sub("Job")},
                 .strategy = std::make_shared<JobStrategy>(),
                 .generation = true,
                 .field_labels = {"status.successful"}});
  add(registry,
      {.group = "certificates.k8s.io",
       .version = "v1",
       .plural = "certificatesigningrequests",
       .kind = "CertificateSigningRequest",
       .namespaced = false,
       .short_names = {"csr"},
       .subresources = {listed("approval", "CertificateSigningRequest", {"get", "patch", "update"}),
                        status_sub("CertificateSigningRequest")},
       .field_labels = {"spec.signerName"}});
  add(registry, {.group = "networking.k8s.io",
                 .version = "v1",
                 .plural = "ingressclasses",
                 .kind = "IngressClass",
                 .namespaced = false,
                 .generation = true});
  add(registry, {.group = "networking.k8s.io",
                 .version = "v1",
                 .plural = "ingresses",
                 .kind = "Ingress",
                 .short_names = {"ing"},
                 .subresources = {status_sub("Ingress")},
                 .generation = true});
  add(registry, {.group = "networking.k8s.io",
                 .version = "v1",
                 .plural = "networkpolicies",
                 .kind = "NetworkPolicy",
                 .short_names = {"netpol"},
                 .strategy = rules("NetworkPolicy", {.defaults = defaults::network_policy}),
                 .generation = true});
  add(registry,
      {.group = "policy",
       .version = "v1",
       .plural = "poddisruptionbudgets",
       .kind = "PodDisruptionBudget",
       .short_names = {"pdb"},
       .subresources = {status_sub("PodDisruptionBudget")},
       .strategy = rules(
           "PodDisruptionBudget",
           {.initial_status =
                R"({"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0})",
            .drop_status = true}),
       .generation = true,
       .storage_gv = "policy/v1beta1"});
  for (auto [plural, kind, ns] :
       {std::tuple{"clusterrolebindings", "ClusterRoleBinding", false},
        std::tuple{"clusterroles", "ClusterRole", false},
        std::tuple{"rolebindings", "RoleBinding", true}, std::tuple{"roles", "Role", true}}) {
    add(registry, {.group = "rbac.authorization.k8s.io",
                   .version = "v1",
                   .plural = plural,
                   .kind = kind,
                   .namespaced = ns,
                   .strategy = path_names});
  }
  for (auto version : {"v1", "v1beta1"}) {
    std::string v(version);
    if (v == "v1") {
      add(registry, {.group = "storage.k8s.io",
                     .version = v,
                     .plural = "csidrivers",
                     .kind = "CSIDriver",
                     .namespaced = false});
      add(registry, {.group = "storage.k8s.io",
                     .version = v,
                     .plural = "csinodes",
                     .kind = "CSINode",
                     .namespaced = false});
    }
    add(registry, {.group = "storage.k8s.io",
                   .version = v,
                   .plural = "csistoragecapacities",
                   .kind = "CSIStorageCapacity",
                   .storage_gv = "storage.k8s.io/v1",
                   .table = "storage.k8s.io/csistoragecapacities"});
    if (v == "v1") {
      add(registry, {.group = "storage.k8s.io",
                     .version = v,
                     .plural = "storageclasses",
                     .kind = "StorageClass",
                     .namespaced = false,
                     .short_names = {"sc"},
                     .strategy = rules("StorageClass", {.defaults = defaults::storage_class}),
                     .return_deleted = true});
      add(registry, {.group = "storage.k8s.io",
                     .version = v,
                     .plural = "volumeattachments",
                     .kind = "VolumeAttachment",
                     .namespaced = false,
                     .subresources = {status_sub("VolumeAttachment")}});
    }
  }
  add(registry, {.group = "admissionregistration.k8s.io",
                 .version = "v1",
                 .plural = "mutatingwebhookconfigurations",
                 .kind = "MutatingWebhookConfiguration",
                 .namespaced = false,
                 .categories = {"api-extensions"},
                 .strategy = rules("MutatingWebhookConfiguration",
                                   {.defaults = mutating_defaults, .validate = validate_webhooks}),
                 .generation = true});
  add(registry,
      {.group = "admissionregistration.k8s.io",
       .version = "v1",
       .plural = "validatingwebhookconfigurations",
       .kind = "ValidatingWebhookConfiguration",
       .namespaced = false,
       .categories = {"api-extensions"},
       .strategy = rules("ValidatingWebhookConfiguration",
                         {.defaults = validating_defaults, .validate = validate_webhooks}),
       .generation = true});
  add(registry, {.group = "apiextensions.k8s.io",
                 .version = "v1",
                 .plural = "customresourcedefinitions",
                 .kind = "CustomResourceDefinition",
                 .namespaced = false,
                 .short_names = {"crd", "crds"},
                 .categories = {"api-extensions"},
                 .subresources = {status_sub("CustomResourceDefinition")},
                 .strategy = std::make_shared<CrdStrategy>(),
                 .generation = true,
                 .storage_gv = "apiextensions.k8s.io/v1beta1"});
  add(registry, {.group = "scheduling.k8s.io",
                 .version = "v1",
                 .plural = "priorityclasses",
                 .kind = "PriorityClass",
                 .namespaced = false,
                 .short_names = {"pc"},
                 .strategy = rules("PriorityClass", {.defaults = defaults::priority_class,
                                                     .validate = validation::priority_class,
                                                     .rule = NameRule::kSubdomain}),
                 .generation = true});
  add(registry, {.group = "coordination.k8s.io",
                 .version = "v1",
                 .plural = "leases",
                 .kind = "Lease",
                 .strategy = rules("Lease", {.create_on_update = true})});
  add(registry, {.group = "node.k8s.io",
                 .version = "v1",
                 .plural = "runtimeclasses",
                 .kind = "RuntimeClass",
                 .namespaced = false});
  add(registry, {.group = "discovery.k8s.io",
                 .version = "v1",
                 .plural = "endpointslices",
                 .kind = "EndpointSlice",
                 .strategy = rules("EndpointSlice", {.defaults = defaults::endpoint_slice}),
                 .generation = true});
  for (auto version : {"v1beta3", "v1beta2"}) {
    add(registry, {.group = "flowcontrol.apiserver.k8s.io",
                   .version = version,
                   .plural = "flowschemas",
                   .kind = "FlowSchema",
                   .namespaced = false,
                   .subresources = {status_sub("FlowSchema")},
                   .generation = true,
                   .storage_gv = "flowcontrol.apiserver.k8s.io/v1beta3",
                   .table = "flowcontrol.apiserver.k8s.io/flowschemas"});
    add(registry, {.group = "flowcontrol.apiserver.k8s.io",
                   .version = version,
                   .plural = "prioritylevelconfigurations",
                   .kind = "PriorityLevelConfiguration",
                   .namespaced = false,
                   .subresources = {status_sub("PriorityLevelConfiguration")},
                   .generation = true,
                   .storage_gv = "flowcontrol.apiserver.k8s.io/v1beta3",
                   .table = "flowcontrol.apiserver.k8s.io/prioritylevelconfigurations"});
  }

  registry.set_group_order(
      {"apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
       "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io",
       "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
       "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
       "discovery.k8s.io", "flowcontrol.apiserver.k8s.io"});
  registry.set_preferred_version("autoscaling", "v2");
}

}  // namespace berth::sim
