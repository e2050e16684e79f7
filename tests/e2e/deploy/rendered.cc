#include "tests/e2e/deploy/rendered.h"

#include <cstdlib>

#include "kube/api/selector.h"
#include "kube/core/strings.h"
#include "kube/core/yaml.h"

namespace berth::deploy_test {

namespace json = kube::json;

std::filesystem::path deploy_dir() {
  if (const char* dir = std::getenv("BERTH_DEPLOY_DIR"); dir && *dir) return dir;
  return std::filesystem::path(BERTH_SOURCE_DIR) / "deploy";
}

kube::Result<Rendered> render(const std::string& kubectl, const std::filesystem::path& dir) {
  KUBE_ASSIGN_OR_RETURN(CommandResult run, run_command({kubectl, "kustomize", dir.string()}));
  if (run.exit_code != 0) {
    return kube::Error::make(kube::Reason::kInvalid,
                             "kubectl kustomize " + dir.string() + " exited with " +
                                 std::to_string(run.exit_code) + ": " + run.err);
  }
  auto documents = kube::yaml::to_json_all(run.out);
  if (!documents.ok()) {
    return kube::Error::parse("kubectl kustomize " + dir.string() +
                              " printed invalid YAML: " + documents.error().message);
  }
  return Rendered{std::move(documents).value(), std::move(run.err)};
}

std::vector<const json::Value*> of_kind(const std::vector<json::Document>& objects,
                                        std::string_view kind) {
  std::vector<const json::Value*> out;
  for (const json::Document& o : objects) {
    if (o.IsObject() && json::get_string(o, "kind") == kind) out.push_back(&o);
  }
  return out;
}

const json::Value* find(const std::vector<json::Document>& objects, std::string_view kind,
                        std::string_view name, std::string_view namespace_) {
  for (const json::Value* o : of_kind(objects, kind)) {
    if (name_of(*o) == name && (namespace_.empty() || namespace_of(*o) == namespace_)) return o;
  }
  return nullptr;
}

std::string_view name_of(const json::Value& object) {
  const json::Value* name = json::find_path(object, {"metadata", "name"});
  return name ? json::as_string(*name) : std::string_view();
}

std::string_view namespace_of(const json::Value& object) {
  const json::Value* ns = json::find_path(object, {"metadata", "namespace"});
  return ns ? json::as_string(*ns) : std::string_view();
}

std::string describe(const json::Value& object) {
  std::string out(json::get_string(object, "kind", "<no kind>"));
  out += ' ';
  if (!namespace_of(object).empty()) out += std::string(namespace_of(object)) + "/";
  out += name_of(object);
  return out;
}

std::vector<std::string> strings(const json::Value* array) {
  std::vector<std::string> out;
  if (array == nullptr || !array->IsArray()) return out;
  for (const json::Value& v : array->GetArray()) {
    if (v.IsString()) out.emplace_back(json::as_string(v));
  }
  return out;
}

bool selects(const json::Value& selector, const json::Value* labels) {
  auto parsed = kube::LabelSelector::from_json(selector);
  return parsed.ok() && !parsed.value().empty() && parsed.value().matches(labels);
}

bool map_selects(const json::Value& selector, const json::Value* labels) {
  if (!selector.IsObject() || selector.MemberCount() == 0) return false;
  json::Document wrapped(rapidjson::kObjectType);
  json::set(wrapped, "matchLabels", json::Value(selector, wrapped.GetAllocator()),
            wrapped.GetAllocator());
  return selects(wrapped, labels);
}

namespace {

std::vector<std::string> command_line(const json::Value& container) {
  std::vector<std::string> all = strings(json::find(container, "command"));
  for (std::string& a : strings(json::find(container, "args")))
    all.push_back(std::move(a));
  return all;
}

}  // namespace

std::optional<std::string> flag_value(const json::Value& container, std::string_view name) {
  std::string prefix = std::string(name) + "=";
  for (const std::string& arg : command_line(container)) {
    if (arg.starts_with(prefix)) return arg.substr(prefix.size());
  }
  return std::nullopt;
}

bool has_flag(const json::Value& container, std::string_view name) {
  for (const std::string& arg : command_line(container)) {
    if (arg == name || arg.starts_with(std::string(name) + "=")) return true;
  }
  return false;
}

std::optional<MountedFile> mounted_file(const json::Value& pod_spec, const json::Value& container,
                                        std::string_view path) {
  const json::Value* mounts = json::find(container, "volumeMounts");
  const json::Value* volumes = json::find(pod_spec, "volumes");
  if (mounts == nullptr || !mounts->IsArray() || volumes == nullptr || !volumes->IsArray()) {
    return std::nullopt;
  }
  for (const json::Value& mount : mounts->GetArray()) {
    std::string dir(json::get_string(mount, "mountPath"));
    if (dir.empty() || !path.starts_with(dir + "/")) continue;
    std::string file(path.substr(dir.size() + 1));
    for (const json::Value& volume : volumes->GetArray()) {
      if (json::get_string(volume, "name") != json::get_string(mount, "name")) continue;
      // A configMap or secret volume holds one file per key, unless `items` picks the keys
      // and names their files.
      const json::Value* source = json::find(volume, "configMap");
      if (source == nullptr) source = json::find(volume, "secret");
      const json::Value* items = source ? json::find(*source, "items") : nullptr;
      if (items == nullptr || !items->IsArray()) return MountedFile{&volume, file};
      for (const json::Value& item : items->GetArray()) {
        if (json::get_string(item, "path") == file) {
          return MountedFile{&volume, std::string(json::get_string(item, "key"))};
        }
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> resolve_port(const json::Value& container, const json::Value& port) {
  if (port.IsInt64()) return port.GetInt64();
  if (!port.IsString()) return std::nullopt;
  const json::Value* ports = json::find(container, "ports");
  if (ports == nullptr || !ports->IsArray()) return std::nullopt;
  for (const json::Value& p : ports->GetArray()) {
    if (json::get_string(p, "name") == json::as_string(port)) {
      return json::get_int(p, "containerPort", -1);
    }
  }
  return std::nullopt;
}

}  // namespace berth::deploy_test
