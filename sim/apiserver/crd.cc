#include "sim/apiserver/crd.h"

#include "sim/apiserver/meta.h"
#include "sim/apiserver/schema.h"
#include "sim/apiserver/strategy.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

std::vector<std::string> strings(const Value* list) {
  std::vector<std::string> out;
  if (list == nullptr || !list->IsArray()) return out;
  for (const auto& v : list->GetArray()) {
    if (v.IsString()) out.emplace_back(json::as_string(v));
  }
  return out;
}

std::string go_type_name(const Value& v) {
  if (v.IsString()) return "string";
  if (v.IsBool()) return "bool";
  if (v.IsNumber()) return "float64";
  if (v.IsArray()) return "[]interface {}";
  if (v.IsObject()) return "map[string]interface {}";
  return "<nil>";
}

std::string go_print(const Value& v) {
  if (v.IsString()) return std::string(json::as_string(v));
  return json::dump(v);
}

class CustomResourceStrategy : public Strategy {
 public:
  CustomResourceStrategy(const Value* schema, std::optional<ScaleInfo> scale, bool status)
      : schema_(schema), scale_(std::move(scale)), status_(status) {}

  std::optional<std::string> type_error(const Value& object) const override {
    return metadata_type_error(object);
  }
  void apply_defaults(Value& object, json::Allocator& a) const override {
    schema_.apply_defaults(object, a);
  }
  bool drops_status_on_create() const override { return status_; }
  std::vector<std::string> prune_unknown_fields(Value& object) const override {
    return schema_.prune(object);
  }
  FieldErrors validate(const Value& object) const override {
    FieldErrors errs = schema_.validate(object);
    if (scale_) {
      // The scale subresource reads these paths as int64; anything else is rejected.
      for (const std::string& path : {scale_->spec_replicas_path, scale_->status_replicas_path}) {
        const Value* v = find_dotted(object, path);
        if (v == nullptr || v->IsNull() || v->IsInt64()) continue;
        errs.push_back(FieldError::invalid(path, "0",
                                           path + " accessor error: " + go_print(*v) +
                                               " is of the type " + go_type_name(*v) +
                                               ", expected int64"));
      }
    }
    return errs;
  }

 private:
  StructuralSchema schema_;
  std::optional<ScaleInfo> scale_;
  bool status_;
};

}  // namespace

CrdNames crd_names(const Value& crd) {
  CrdNames n;
  const Value* spec = json::find(crd, "spec");
  if (spec == nullptr) return n;
  n.group = std::string(json::get_string(*spec, "group"));
  if (const Value* names = json::find(*spec, "names")) {
    n.plural = std::string(json::get_string(*names, "plural"));
    n.singular = std::string(json::get_string(*names, "singular"));
    n.kind = std::string(json::get_string(*names, "kind"));
    n.list_kind = std::string(json::get_string(*names, "listKind"));
    if (n.list_kind.empty()) n.list_kind = n.kind + "List";
    n.short_names = strings(json::find(*names, "shortNames"));
    n.categories = strings(json::find(*names, "categories"));
  }
  return n;
}

std::vector<ResourceInfo> crd_resources(const Value& crd) {
  std::vector<ResourceInfo> out;
  const Value* spec = json::find(crd, "spec");
  if (spec == nullptr || !spec->IsObject()) return out;
  CrdNames names = crd_names(crd);
  bool namespaced = json::get_string(*spec, "scope") != "Cluster";
  const Value* versions = json::find(*spec, "versions");
  if (versions == nullptr || !versions->IsArray()) return out;
  std::string storage_version;
  for (const auto& v : versions->GetArray()) {
    if (json::get_bool(v, "storage")) storage_version = std::string(json::get_string(v, "name"));
  }
  for (const auto& v : versions->GetArray()) {
    if (!json::get_bool(v, "served")) continue;
    ResourceInfo r;
    r.group = names.group;
    r.version = std::string(json::get_string(v, "name"));
    r.plural = names.plural;
    r.singular = names.singular;
    r.kind = names.kind;
    r.list_kind = names.list_kind;
    r.namespaced = namespaced;
    r.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
    r.short_names = names.short_names;
    r.categories = names.categories;
    r.has_generation = true;
    r.custom = true;
    r.storage_table = names.group + "/" + names.plural;
    r.storage_version_hash = storage_version_hash(names.group, storage_version, names.kind);
    bool status = false;
    if (const Value* subs = json::find(v, "subresources"); subs != nullptr && subs->IsObject()) {
      if (json::find(*subs, "status") != nullptr) {
        status = true;
        r.subresources.push_back({"status", names.kind, "", "", {"get", "patch", "update"}, true});
      }
      if (const Value* scale = json::find(*subs, "scale"); scale != nullptr && scale->IsObject()) {
        ScaleInfo si;
        si.spec_replicas_path =
            std::string(json::get_string(*scale, "specReplicasPath", ".spec.replicas"));
        si.status_replicas_path =
            std::string(json::get_string(*scale, "statusReplicasPath", ".status.replicas"));
        si.label_selector_path = std::string(json::get_string(*scale, "labelSelectorPath"));
        r.scale = si;
        r.subresources.push_back(
            {"scale", "Scale", "autoscaling", "v1", {"get", "patch", "update"}, true});
      }
    }
    if (const Value* cols = json::find(v, "additionalPrinterColumns");
        cols != nullptr && cols->IsArray()) {
      for (const auto& c : cols->GetArray()) {
        PrinterColumn pc;
        pc.name = std::string(json::get_string(c, "name"));
        pc.type = std::string(json::get_string(c, "type"));
        pc.format = std::string(json::get_string(c, "format"));
        pc.description = std::string(json::get_string(c, "description"));
        pc.json_path = std::string(json::get_string(c, "jsonPath"));
        pc.priority = static_cast<int>(json::get_int(c, "priority", 0));
        r.printer_columns.push_back(std::move(pc));
      }
    }
    const Value* schema = json::find_path(v, {"schema", "openAPIV3Schema"});
    r.strategy = std::make_shared<CustomResourceStrategy>(schema, r.scale, status);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace berth::sim
