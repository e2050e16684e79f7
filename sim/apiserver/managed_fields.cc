#include "sim/apiserver/managed_fields.h"

#include "kube/patch/apply.h"

namespace berth::sim {

namespace json = kube::json;

namespace {

class PatchFieldManager : public FieldManager {
 public:
  explicit PatchFieldManager(const Registry& registry) : registry_(registry) {}

  ApiStatus update(json::Document& object, const json::Value* old,
                   const ManagerInfo& who) override {
    kube::patch::FieldManagerOptions options = options_for(object, who);
    json::Document tracked =
        kube::patch::track_update(object, old, who.manager, who.api_version, who.time, options);
    json::Value& meta = json::ensure_object(object, "metadata", object.GetAllocator());
    const json::Value* fields = json::find_path(tracked, {"metadata", "managedFields"});
    if (fields != nullptr) {
      json::set(meta, "managedFields", json::Value(*fields, object.GetAllocator()),
                object.GetAllocator());
    } else {
      json::remove(meta, "managedFields");
    }
    return {};
  }

  ApiResult<json::Document> apply(const json::Value* live, const json::Value& applied,
                                  const ManagerInfo& who, bool force) override {
    std::string kind(json::get_string(live != nullptr ? *live : applied, "kind"));
    kube::patch::FieldManagerOptions options = options_for(live != nullptr ? *live : applied, who);
    auto merged = kube::patch::server_side_apply(live, applied, who.manager, force, kind,
                                                 who.api_version, who.time, options);
    if (!merged.ok()) return ApiError(merged.error());
    return std::move(merged).value();
  }

 private:
  kube::patch::FieldManagerOptions options_for(const json::Value& object,
                                               const ManagerInfo& who) const {
    kube::patch::FieldManagerOptions options;
    options.subresource = who.subresource;
    options.kind = std::string(json::get_string(object, "kind"));
    std::string_view api_version = json::get_string(object, "apiVersion", who.api_version);
    auto slash = api_version.rfind('/');
    std::string group =
        slash == std::string_view::npos ? std::string() : std::string(api_version.substr(0, slash));
    std::string version(slash == std::string_view::npos ? api_version
                                                        : api_version.substr(slash + 1));
    ResourcePtr resource = registry_.find_kind(group, version, options.kind);
    if (resource && resource->has_status()) {
      if (who.subresource.empty() || who.subresource == "scale") {
        options.ignored_fields = {"status"};
      } else if (who.subresource == "status") {
        options.ignored_fields = {"spec", "metadata"};
      }
    }
    return options;
  }

  const Registry& registry_;
};

}  // namespace

std::shared_ptr<FieldManager> make_field_manager(const Registry& registry) {
  return std::make_shared<PatchFieldManager>(registry);
}

}  // namespace berth::sim
