#include "tests/e2e/deploy/deploy_test.h"

#include "kube/core/strings.h"

namespace berth::deploy_test {

namespace json = kube::json;

const json::Value& pod_spec(const json::Value& deployment) {
  static const json::Value kEmpty(rapidjson::kObjectType);
  const json::Value* spec = json::find_path(deployment, {"spec", "template", "spec"});
  return spec && spec->IsObject() ? *spec : kEmpty;
}

const json::Value* pod_labels(const json::Value& deployment) {
  return json::find_path(deployment, {"spec", "template", "metadata", "labels"});
}

std::vector<const json::Value*> containers(const json::Value& spec) {
  std::vector<const json::Value*> out;
  for (std::string_view list : {"initContainers", "containers"}) {
    const json::Value* items = json::find(spec, list);
    if (items == nullptr || !items->IsArray()) continue;
    for (const json::Value& c : items->GetArray())
      out.push_back(&c);
  }
  return out;
}

const json::Value* container_running(const json::Value& deployment, std::string_view binary) {
  for (const json::Value* c : containers(pod_spec(deployment))) {
    std::vector<std::string> command = strings(json::find(*c, "command"));
    if (!command.empty() &&
        (command[0] == binary || command[0].ends_with("/" + std::string(binary)))) {
      return c;
    }
  }
  return nullptr;
}

std::string mounted_config(const std::vector<json::Document>& objects,
                           const json::Value& deployment, const json::Value& container,
                           std::string_view path) {
  auto file = mounted_file(pod_spec(deployment), container, path);
  if (!file) {
    ADD_FAILURE() << describe(deployment) << ": no volume mount provides " << path;
    return {};
  }
  const json::Value* source = json::find(*file->volume, "configMap");
  if (source == nullptr) {
    ADD_FAILURE() << describe(deployment) << ": " << path << " is not from a ConfigMap";
    return {};
  }
  std::string_view name = json::get_string(*source, "name");
  const json::Value* config_map = find(objects, "ConfigMap", name, namespace_of(deployment));
  if (config_map == nullptr) {
    ADD_FAILURE() << describe(deployment) << ": ConfigMap " << name << " is not installed";
    return {};
  }
  const json::Value* data = json::find(*config_map, "data");
  const json::Value* text = data ? json::find(*data, file->key) : nullptr;
  if (text == nullptr || !text->IsString()) {
    ADD_FAILURE() << describe(*config_map) << " has no key " << file->key << " for " << path;
    return {};
  }
  return std::string(json::as_string(*text));
}

SecretFile mounted_secret(const json::Value& deployment, const json::Value& container,
                          std::string_view path) {
  auto file = mounted_file(pod_spec(deployment), container, path);
  if (!file) {
    ADD_FAILURE() << describe(deployment) << ": no volume mount provides " << path;
    return {};
  }
  const json::Value* source = json::find(*file->volume, "secret");
  if (source == nullptr) {
    ADD_FAILURE() << describe(deployment) << ": " << path << " is not from a Secret";
    return {};
  }
  return SecretFile{std::string(json::get_string(*source, "secretName")), file->key};
}

std::int64_t port_of(std::string_view host_port) {
  auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return -1;
  auto port = kube::parse_int(host_port.substr(colon + 1));
  return port && *port > 0 && *port <= 65535 ? *port : -1;
}

}  // namespace berth::deploy_test
