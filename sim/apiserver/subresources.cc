// ObjectApi: the scale, binding and eviction subresources.
#include <algorithm>

#include "kube/api/selector.h"
#include "kube/core/strings.h"
#include "kube/core/time.h"
#include "kube/patch/patch.h"
#include "sim/apiserver/object_api.h"
#include "sim/apiserver/strategy.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

// Sets the value at a ".a.b.c" path, creating objects on the way.
void set_dotted(Value& object, std::string_view path, Value value, json::Allocator& a) {
  if (!path.empty() && path.front() == '.') path.remove_prefix(1);
  auto parts = kube::split(path, '.');
  Value* node = &object;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    node = &json::ensure_object(*node, parts[i], a);
  json::set(*node, parts.back(), std::move(value), a);
}

std::int64_t replicas_at(const Value& object, std::string_view path) {
  const Value* v = find_dotted(object, path);
  return (v != nullptr && v->IsInt64()) ? v->GetInt64() : 0;
}

std::string selector_string(const Value* selector) {
  if (selector == nullptr || !selector->IsObject()) return {};
  auto parsed = kube::LabelSelector::from_json(*selector);
  return parsed.ok() ? parsed->to_string() : std::string();
}

}  // namespace

ApiResult<kube::Object> ObjectApi::get_scale(const ResourceInfo& resource,
                                             std::string_view namespace_,
                                             std::string_view name) const {
  if (!resource.scale) return errors::resource_not_found();
  KUBE_ASSIGN_OR_RETURN(kube::Object object, get(resource, namespace_, name));
  const ScaleInfo& si = *resource.scale;
  json::Document scale(rapidjson::kObjectType);
  auto& a = scale.GetAllocator();
  json::set_string(scale, "kind", "Scale", a);
  json::set_string(scale, "apiVersion", "autoscaling/v1", a);
  Value meta(rapidjson::kObjectType);
  const Value& om = *object.metadata();
  for (std::string_view key :
       {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (const Value* v = json::find(om, key)) json::set(meta, key, Value(*v, a), a);
  }
  json::set(scale, "metadata", std::move(meta), a);
  Value spec(rapidjson::kObjectType);
  std::int64_t want = replicas_at(object.json(), si.spec_replicas_path);
  if (want != 0) json::set(spec, "replicas", Value(want), a);
  json::set(scale, "spec", std::move(spec), a);
  Value status(rapidjson::kObjectType);
  json::set(status, "replicas", Value(replicas_at(object.json(), si.status_replicas_path)), a);
  std::string selector;
  if (si.label_selector_from_spec) {
    selector = selector_string(json::find_path(object.json(), {"spec", "selector"}));
  } else if (!si.label_selector_path.empty()) {
    const Value* v = find_dotted(object.json(), si.label_selector_path);
    if (v != nullptr && v->IsString()) selector = std::string(json::as_string(*v));
  }
  if (!selector.empty()) json::set_string(status, "selector", selector, a);
  json::set(scale, "status", std::move(status), a);
  return kube::Object::adopt(std::move(scale));
}

ApiResult<WriteResult> ObjectApi::update_scale(const ResourcePtr& resource,
                                               std::string_view namespace_, std::string_view name,
                                               json::Document scale, const WriteOptions& options) {
  const ResourceInfo& r = *resource;
  if (!r.scale) return errors::resource_not_found();
  if (!scale.IsObject()) return errors::bad_request("the object provided is not a Scale");
  std::string_view kind = json::get_string(scale, "kind");
  if (!kind.empty() && kind != "Scale") {
    return errors::bad_request(std::string(kind) +
                               " in version \"v1\" cannot be handled as a Scale");
  }
  const Value* replicas = json::find_path(scale, {"spec", "replicas"});
  std::int64_t want = 0;
  if (replicas != nullptr && !replicas->IsNull()) {
    if (!replicas->IsInt64()) {
      return errors::bad_request(
          "Scale in version \"v1\" cannot be handled as a Scale: json: cannot unmarshal " +
          std::string(replicas->IsString() ? "string" : "value") +
          " into Go struct field ScaleSpec.spec.replicas of type int32");
    }
    want = replicas->GetInt64();
  }
  if (want < 0) {
    return errors::invalid("Scale", "autoscaling", name,
                           {FieldError::invalid("spec.replicas", std::to_string(want),
                                                "must be greater than or equal to 0")});
  }
  std::string wanted_rv;
  if (const Value* meta = json::find(scale, "metadata")) {
    wanted_rv = std::string(json::get_string(*meta, "resourceVersion"));
  }
  std::string path = r.scale->spec_replicas_path;
  KUBE_ASSIGN_OR_RETURN(WriteResult written,
                        guaranteed_update(
                            resource, namespace_, name, "scale",
                            [&](const kube::Object& current) -> ApiResult<json::Document> {
                              if (!wanted_rv.empty() && wanted_rv != current.resource_version()) {
                                return errors::conflict_modified(r.group_resource(), name);
                              }
                              json::Document doc = current.copy();
                              set_dotted(doc, path, Value(want), doc.GetAllocator());
                              return doc;
                            },
                            options));
  KUBE_ASSIGN_OR_RETURN(kube::Object result, get_scale(r, namespace_, name));
  if (options.dry_run) {
    // The dry-run object was not stored; describe it instead.
    json::Document doc = result.copy();
    json::set(json::ensure_object(doc, "spec", doc.GetAllocator()), "replicas", Value(want),
              doc.GetAllocator());
    result = kube::Object::adopt(std::move(doc));
  }
  return WriteResult{result, false, std::move(written.warnings)};
}

ApiResult<WriteResult> ObjectApi::patch_scale(const ResourcePtr& resource,
                                              std::string_view namespace_, std::string_view name,
                                              PatchType type, std::string_view body,
                                              const PatchOptions& options) {
  KUBE_ASSIGN_OR_RETURN(kube::Object scale, get_scale(*resource, namespace_, name));
  auto parsed = json::parse(body);
  if (!parsed.ok())
    return errors::bad_request("error decoding patch: unexpected end of JSON input");
  json::Document doc = scale.copy();
  switch (type) {
    case PatchType::kJson: {
      if (!kube::patch::apply_json_patch(doc, *parsed).ok()) return errors::json_patch_failed();
      break;
    }
    case PatchType::kMerge:
    case PatchType::kApply: {
      if (!parsed->IsObject()) return errors::bad_request("error decoding patch: not an object");
      auto st = kube::patch::apply_merge_patch(doc, *parsed);
      if (!st.ok()) return ApiError(st.error());
      break;
    }
    case PatchType::kStrategic: {
      auto st = kube::patch::apply_strategic_merge_patch(doc, *parsed, "Scale");
      if (!st.ok()) {
        // Scale has no list fields; a JSON merge gives the same result.
        if (!kube::patch::apply_merge_patch(doc, *parsed).ok()) return ApiError(st.error());
      }
      break;
    }
  }
  return update_scale(resource, namespace_, name, std::move(doc), options);
}

ApiStatus ObjectApi::bind(std::string_view namespace_, std::string_view name, const Value& binding,
                          const WriteOptions& options) {
  ResourcePtr pods = registry_.find("", "v1", "pods");
  GroupResource binding_gr{"", "pods/binding"};
  const Value* target = json::find(binding, "target");
  std::string node = target != nullptr ? std::string(json::get_string(*target, "name")) : "";
  if (node.empty()) {
    return errors::invalid("Binding", "", name, {FieldError::required("target.name")});
  }
  json::Document binding_doc = json::copy(binding);
  AdmissionRequest admission;
  admission.operation = Operation::kCreate;
  admission.resource = pods;
  admission.subresource = "binding";
  admission.namespace_ = std::string(namespace_);
  admission.name = std::string(name);
  admission.object = &binding_doc;
  admission.options = options.options;
  admission.dry_run = options.dry_run;
  admission.user = options.user;
  std::vector<std::string> warnings;
  admission.warnings = &warnings;
  KUBE_RETURN_IF_ERROR(run_admit(admission));
  KUBE_RETURN_IF_ERROR(run_validate(admission));
  const Value* annotations = json::find_path(binding, {"metadata", "annotations"});
  WriteOptions internal = options;
  internal.field_manager.clear();
  auto result = guaranteed_update(
      pods, namespace_, name, "binding",
      [&](const kube::Object& current) -> ApiResult<json::Document> {
        if (current.being_deleted()) {
          return errors::conflict(
              binding_gr, name,
              "pod " + std::string(name) + " is being deleted, cannot be assigned to a host");
        }
        std::string_view bound = json::get_string(*current.spec(), "nodeName");
        if (!bound.empty()) {
          return errors::conflict(
              binding_gr, name,
              "pod " + std::string(name) + " is already assigned to node " + go_quote(bound));
        }
        json::Document doc = current.copy();
        auto& a = doc.GetAllocator();
        json::set_string(json::ensure_object(doc, "spec", a), "nodeName", node, a);
        if (annotations != nullptr && annotations->IsObject()) {
          Value& ann =
              json::ensure_object(json::ensure_object(doc, "metadata", a), "annotations", a);
          for (const auto& m : annotations->GetObject()) {
            json::set(ann, json::as_string(m.name), Value(m.value, a), a);
          }
        }
        Value& status = json::ensure_object(doc, "status", a);
        Value& conditions = json::ensure_array(status, "conditions", a);
        Value* scheduled = nullptr;
        for (auto& c : conditions.GetArray()) {
          if (json::get_string(c, "type") == "PodScheduled") scheduled = &c;
        }
        if (scheduled == nullptr) {
          conditions.PushBack(Value(rapidjson::kObjectType), a);
          scheduled = &conditions[conditions.Size() - 1];
          json::set_string(*scheduled, "type", "PodScheduled", a);
        }
        json::set_string(*scheduled, "status", "True", a);
        json::set(*scheduled, "lastProbeTime", Value(rapidjson::kNullType), a);
        json::set_string(*scheduled, "lastTransitionTime", now_rfc3339(), a);
        return doc;
      },
      internal);
  if (!result.ok()) return result.error();
  return {};
}

ApiStatus ObjectApi::evict(std::string_view namespace_, std::string_view name,
                           const Value& eviction, const WriteOptions& options) {
  ResourcePtr pods = registry_.find("", "v1", "pods");
  KUBE_ASSIGN_OR_RETURN(kube::Object pod, get(*pods, namespace_, name));
  DeleteOptions del;
  del.user = options.user;
  del.dry_run = options.dry_run;
  if (const Value* opts = json::find(eviction, "deleteOptions");
      opts != nullptr && opts->IsObject()) {
    if (const Value* g = json::find(*opts, "gracePeriodSeconds"); g != nullptr && g->IsInt64()) {
      del.grace_period_seconds = g->GetInt64();
    }
    if (const Value* pre = json::find(*opts, "preconditions"); pre != nullptr && pre->IsObject()) {
      del.precondition_uid = std::string(json::get_string(*pre, "uid"));
      del.precondition_resource_version = std::string(json::get_string(*pre, "resourceVersion"));
    }
  }
  if (pod.being_deleted()) return {};
  std::string_view phase = json::get_string(*pod.status(), "phase");
  bool ignore_budgets = phase == "Succeeded" || phase == "Failed" || phase == "Pending";
  if (!ignore_budgets) {
    ResourcePtr pdbs = registry_.find("policy", "v1", "poddisruptionbudgets");
    KUBE_ASSIGN_OR_RETURN(ListResult budgets, list(*pdbs, namespace_, {}));
    std::vector<kube::Object> matching;
    for (const auto& b : budgets.items) {
      const Value* selector = json::find_path(b.json(), {"spec", "selector"});
      if (selector == nullptr) continue;
      auto sel = kube::LabelSelector::from_json(*selector);
      if (sel.ok() && !sel->empty() && sel->matches(pod)) matching.push_back(b);
    }
    if (matching.size() > 1) {
      return ApiError(500, "",
                      "This pod has more than one PodDisruptionBudget, which the eviction "
                      "subresource does not support.");
    }
    if (matching.size() == 1) {
      const kube::Object& budget = matching.front();
      std::string budget_name(budget.name());
      std::string pod_name(name);
      bool blocked = false;
      std::int64_t desired = 0;
      std::int64_t healthy = 0;
      auto updated = guaranteed_update(
          pdbs, namespace_, budget_name, "status",
          [&](const kube::Object& current) -> ApiResult<json::Document> {
            const Value* status = current.status();
            std::int64_t allowed = status ? json::get_int(*status, "disruptionsAllowed", 0) : 0;
            desired = status ? json::get_int(*status, "desiredHealthy", 0) : 0;
            healthy = status ? json::get_int(*status, "currentHealthy", 0) : 0;
            if (allowed <= 0) {
              blocked = true;
              return errors::too_many_requests("", {});
            }
            json::Document doc = current.copy();
            auto& a = doc.GetAllocator();
            Value& st = json::ensure_object(doc, "status", a);
            json::set(st, "disruptionsAllowed", Value(allowed - 1), a);
            Value& disrupted = json::ensure_object(st, "disruptedPods", a);
            json::set_string(disrupted, pod_name, now_rfc3339(), a);
            return doc;
          },
          WriteOptions{"", options.dry_run, FieldValidation::kIgnore, options.user, nullptr});
      if (blocked) {
        return errors::too_many_requests(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            {{"DisruptionBudget",
              "The disruption budget " + budget_name + " needs " + std::to_string(desired) +
                  " healthy pods and has " + std::to_string(healthy) + " currently",
              ""}});
      }
      if (!updated.ok()) return updated.error();
    }
  }
  auto deleted = remove(pods, namespace_, name, del);
  if (!deleted.ok()) return deleted.error();
  return {};
}

}  // namespace berth::sim
