#include "webhooks/config/config.h"

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <tuple>
#include <utility>

#include "kube/api/quantity.h"
#include "kube/core/json.h"
#include "kube/core/yaml.h"
#include "webhooks/config/names.h"
#include "webhooks/images/image_reference.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;

// Walks one YAML mapping with its field path, so every error names the exact field.
class Section {
 public:
  Section(const json::Value* value, std::string path, std::string_view origin)
      : value_(value), path_(std::move(path)), origin_(origin) {}

  kube::Error error(std::string_view field, std::string_view problem) const {
    std::string where = field.empty()   ? path_
                        : path_.empty() ? std::string(field)
                                        : path_ + "." + std::string(field);
    return kube::Error::make(
        kube::Reason::kInvalid,
        std::string(origin_) + ": " + (where.empty() ? "" : where + ": ") + std::string(problem));
  }

  // Fails on keys outside `known` and when the section is not a mapping.
  kube::Status check(std::initializer_list<std::string_view> known) const {
    if (value_ == nullptr || value_->IsNull()) return kube::ok_status();
    if (!value_->IsObject()) return error("", "must be a mapping");
    for (const auto& m : value_->GetObject()) {
      std::string_view key = json::as_string(m.name);
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (std::string_view k : known)
          list += (list.empty() ? "" : ", ") + std::string(k);
        return error(key, "unknown field (known: " + list + ")");
      }
    }
    return kube::ok_status();
  }

  const json::Value* get(std::string_view key) const {
    if (value_ == nullptr || !value_->IsObject()) return nullptr;
    const json::Value* v = json::find(*value_, key);
    return v == nullptr || v->IsNull() ? nullptr : v;
  }

  Section child(std::string_view key) const {
    return Section(get(key), path_.empty() ? std::string(key) : path_ + "." + std::string(key),
                   origin_);
  }

  kube::Status read(std::string_view key, std::string& out) const {
    const json::Value* v = get(key);
    if (v == nullptr) return kube::ok_status();
    if (!v->IsString()) return error(key, "must be a string");
    out = std::string(json::as_string(*v));
    return kube::ok_status();
  }

  kube::Status read(std::string_view key, bool& out) const {
    const json::Value* v = get(key);
    if (v == nullptr) return kube::ok_status();
    if (!v->IsBool()) return error(key, "must be true or false");
    out = v->GetBool();
    return kube::ok_status();
  }

  kube::Status read(std::string_view key, std::int64_t& out) const {
    const json::Value* v = get(key);
    if (v == nullptr) return kube::ok_status();
    if (!v->IsInt64()) return error(key, "must be an integer");
    out = v->GetInt64();
    return kube::ok_status();
  }

  kube::Status read(std::string_view key, std::vector<std::string>& out) const {
    const json::Value* v = get(key);
    if (v == nullptr) return kube::ok_status();
    if (!v->IsArray()) return error(key, "must be a list of strings");
    out.clear();
    for (const auto& item : v->GetArray()) {
      if (!item.IsString()) return error(key, "must be a list of strings");
      out.emplace_back(json::as_string(item));
    }
    return kube::ok_status();
  }

  const json::Value* value() const { return value_; }
  const std::string& path() const { return path_; }

 private:
  const json::Value* value_;
  std::string path_;
  std::string_view origin_;
};

kube::Status read_resources(const Section& s, ResourceAmounts& out) {
  KUBE_RETURN_IF_ERROR(s.check({"cpu", "memory"}));
  for (auto [key, field] : {std::pair<std::string_view, std::string*>{"cpu", &out.cpu},
                            std::pair<std::string_view, std::string*>{"memory", &out.memory}}) {
    const json::Value* v = s.get(key);
    if (v == nullptr) continue;
    // YAML turns "1" into a number; a quantity may be written either way.
    std::string text = v->IsString()   ? std::string(json::as_string(*v))
                       : v->IsNumber() ? json::dump(*v)
                                       : std::string();
    auto q = kube::Quantity::parse(text);
    if (!q || q->milli() < 0) {
      return s.error(key, "must be a non-negative quantity (e.g. 100m, 64Mi)");
    }
    *field = text;
  }
  return kube::ok_status();
}

kube::Status read_log_sidecar(const Section& s, LogSidecarConfig& out) {
  KUBE_RETURN_IF_ERROR(s.check({"image", "containerName", "nativeSidecars", "configMap",
                                "defaultPaths", "resources", "runAsUser"}));
  KUBE_RETURN_IF_ERROR(s.read("image", out.image));
  if (auto ref = parse_image_reference(out.image); !ref.ok()) {
    return s.error("image", ref.error().message);
  }
  KUBE_RETURN_IF_ERROR(s.read("containerName", out.container_name));
  if (auto e = dns_label_error(out.container_name); !e.empty()) {
    return s.error("containerName", e);
  }
  if (const json::Value* v = s.get("nativeSidecars")) {
    if (v->IsBool()) {
      out.native_mode = v->GetBool() ? NativeSidecars::kAlways : NativeSidecars::kNever;
    } else if (v->IsString() && json::as_string(*v) == "auto") {
      out.native_mode = NativeSidecars::kAuto;
    } else {
      return s.error("nativeSidecars", "must be true, false or \"auto\"");
    }
    out.native = out.native_mode == NativeSidecars::kAlways;
  }
  KUBE_RETURN_IF_ERROR(s.read("configMap", out.config_map));
  if (auto e = dns_subdomain_error(out.config_map); !e.empty()) return s.error("configMap", e);
  KUBE_RETURN_IF_ERROR(s.read("defaultPaths", out.default_paths));
  if (out.default_paths.empty()) return s.error("defaultPaths", "must not be empty");
  for (const std::string& p : out.default_paths) {
    if (auto e = log_path_error(p); !e.empty()) return s.error("defaultPaths", e);
  }
  Section resources = s.child("resources");
  KUBE_RETURN_IF_ERROR(resources.check({"requests", "limits"}));
  KUBE_RETURN_IF_ERROR(read_resources(resources.child("requests"), out.requests));
  KUBE_RETURN_IF_ERROR(read_resources(resources.child("limits"), out.limits));
  for (auto [name, req, lim] : {std::tuple<std::string_view, std::string*, std::string*>{
                                    "cpu", &out.requests.cpu, &out.limits.cpu},
                                std::tuple<std::string_view, std::string*, std::string*>{
                                    "memory", &out.requests.memory, &out.limits.memory}}) {
    if (req->empty() || lim->empty()) continue;
    if (*kube::Quantity::parse(*req) > *kube::Quantity::parse(*lim)) {
      return resources.error("", "requests." + std::string(name) + " " + *req + " exceeds limits." +
                                     std::string(name) + " " + *lim);
    }
  }
  KUBE_RETURN_IF_ERROR(s.read("runAsUser", out.run_as_user));
  if (out.run_as_user < 1 || out.run_as_user > 2147483647) {
    return s.error("runAsUser", "must be a non-root user id (1..2147483647)");
  }
  return kube::ok_status();
}

kube::Status read_secret_mounts(const Section& s, SecretMountConfig& out) {
  KUBE_RETURN_IF_ERROR(s.check({"mountRoot", "maxSecrets"}));
  KUBE_RETURN_IF_ERROR(s.read("mountRoot", out.mount_root));
  if (auto e = absolute_path_error(out.mount_root); !e.empty()) return s.error("mountRoot", e);
  std::int64_t max = static_cast<std::int64_t>(out.max_secrets);
  KUBE_RETURN_IF_ERROR(s.read("maxSecrets", max));
  if (max < 1 || max > 256) return s.error("maxSecrets", "must be between 1 and 256");
  out.max_secrets = static_cast<std::size_t>(max);
  return kube::ok_status();
}

// "docker.io", "index.docker.io" and registry hosts; the normalized key.
std::optional<std::string> registry_key(std::string_view text) {
  if (text == kDockerHub || text == "index.docker.io") return std::string(kDockerHub);
  if (looks_like_registry_host(text)) return std::string(text);
  return std::nullopt;
}

// Reads mirrors and pullSecrets; the caller checks for unknown keys.
kube::Status read_registry_policy(const Section& s, RegistryPolicy& out) {
  Section mirrors = s.child("mirrors");
  if (mirrors.value() != nullptr) {
    if (!mirrors.value()->IsObject()) return mirrors.error("", "must be a mapping");
    for (const auto& m : mirrors.value()->GetObject()) {
      std::string_view source = json::as_string(m.name);
      auto key = registry_key(source);
      if (!key) {
        return mirrors.error(source,
                             "is not a registry host (docker.io, quay.io, "
                             "registry.example.com:5000, ...)");
      }
      if (!m.value.IsString()) return mirrors.error(source, "must be a string host[/path]");
      std::string_view target = json::as_string(m.value);
      while (!target.empty() && target.back() == '/')
        target.remove_suffix(1);
      auto slash = target.find('/');
      Mirror mirror{
          std::string(target.substr(0, slash)),
          slash == std::string_view::npos ? std::string() : std::string(target.substr(slash + 1))};
      if (!looks_like_registry_host(mirror.host)) {
        return mirrors.error(source, "mirror \"" + std::string(target) +
                                         "\" must start with a registry host (with a '.' or "
                                         "a port, or localhost)");
      }
      if (!mirror.prefix.empty()) {
        // Validated as the repository of a reference on that host.
        auto ref = parse_image_reference(mirror.host + "/" + mirror.prefix + ":t");
        if (!ref.ok()) {
          return mirrors.error(
              source, "mirror path \"" + mirror.prefix + "\" must be lower-case path components");
        }
      }
      out.mirrors[*key] = std::move(mirror);
    }
    for (const auto& [source, mirror] : out.mirrors) {
      if (out.mirrors.count(mirror.host) != 0) {
        return mirrors.error(source, "mirror host " + mirror.host +
                                         " is itself rewritten; images would be rewritten twice");
      }
    }
  }
  KUBE_RETURN_IF_ERROR(s.read("pullSecrets", out.pull_secrets));
  for (const std::string& name : out.pull_secrets) {
    if (auto e = dns_subdomain_error(name); !e.empty()) return s.error("pullSecrets", e);
  }
  return kube::ok_status();
}

kube::Status read_registry(const Section& s, RegistryConfig& out) {
  // The global policy's fields sit directly under registry:, beside namespaces:.
  KUBE_RETURN_IF_ERROR(s.check({"mirrors", "pullSecrets", "namespaces"}));
  KUBE_RETURN_IF_ERROR(read_registry_policy(s, out.global));
  Section namespaces = s.child("namespaces");
  if (namespaces.value() != nullptr) {
    if (!namespaces.value()->IsObject()) return namespaces.error("", "must be a mapping");
    for (const auto& m : namespaces.value()->GetObject()) {
      std::string_view ns = json::as_string(m.name);
      if (auto e = dns_label_error(ns); !e.empty()) return namespaces.error(ns, e);
      RegistryPolicy p;
      Section policy = namespaces.child(ns);
      KUBE_RETURN_IF_ERROR(policy.check({"mirrors", "pullSecrets"}));
      KUBE_RETURN_IF_ERROR(read_registry_policy(policy, p));
      out.namespaces[std::string(ns)] = std::move(p);
    }
  }
  return kube::ok_status();
}

kube::Status read_policy(const Section& s, PolicyConfig& out) {
  KUBE_RETURN_IF_ERROR(s.check({"mode", "allowedRegistries", "digestPinning", "forbidLatest",
                                "checks", "requiredRequests", "requiredLimits"}));
  std::string mode(policy_mode_name(out.mode));
  KUBE_RETURN_IF_ERROR(s.read("mode", mode));
  if (mode == "warn") {
    out.mode = PolicyMode::kWarn;
  } else if (mode == "enforce") {
    out.mode = PolicyMode::kEnforce;
  } else {
    return s.error("mode", "must be \"enforce\" or \"warn\", got \"" + mode + "\"");
  }
  KUBE_RETURN_IF_ERROR(s.read("allowedRegistries", out.allowed_registries));
  for (std::string& entry : out.allowed_registries) {
    while (!entry.empty() && entry.back() == '/')
      entry.pop_back();
    auto slash = entry.find('/');
    auto host = registry_key(std::string_view(entry).substr(0, slash));
    if (!host) {
      return s.error("allowedRegistries", "\"" + entry +
                                              "\" must be a registry host, optionally followed "
                                              "by a path (ghcr.io/my-org)");
    }
    entry = *host + (slash == std::string::npos ? "" : entry.substr(slash));
  }
  if (const json::Value* v = s.get("digestPinning")) {
    std::string_view d = v->IsString() ? json::as_string(*v) : std::string_view();
    if (v->IsBool() && !v->GetBool()) d = "off";
    if (d == "off") {
      out.digest_pinning = DigestPinning::kOff;
    } else if (d == "warn") {
      out.digest_pinning = DigestPinning::kWarn;
    } else if (d == "required") {
      out.digest_pinning = DigestPinning::kRequired;
    } else {
      return s.error("digestPinning", "must be \"off\", \"warn\" or \"required\"");
    }
  }
  KUBE_RETURN_IF_ERROR(s.read("forbidLatest", out.forbid_latest));
  Section checks = s.child("checks");
  KUBE_RETURN_IF_ERROR(
      checks.check({"privileged", "hostPath", "hostNamespaces", "resources", "runAsNonRoot"}));
  KUBE_RETURN_IF_ERROR(checks.read("privileged", out.checks.privileged));
  KUBE_RETURN_IF_ERROR(checks.read("hostPath", out.checks.host_path));
  KUBE_RETURN_IF_ERROR(checks.read("hostNamespaces", out.checks.host_namespaces));
  KUBE_RETURN_IF_ERROR(checks.read("resources", out.checks.resources));
  KUBE_RETURN_IF_ERROR(checks.read("runAsNonRoot", out.checks.run_as_non_root));
  for (auto [key, list] : {std::pair<std::string_view, std::vector<std::string>*>{
                               "requiredRequests", &out.required_requests},
                           std::pair<std::string_view, std::vector<std::string>*>{
                               "requiredLimits", &out.required_limits}}) {
    KUBE_RETURN_IF_ERROR(s.read(key, *list));
    for (const std::string& r : *list) {
      if (r != "cpu" && r != "memory" && r != "ephemeral-storage") {
        return s.error(key, "\"" + r + "\" is not cpu, memory or ephemeral-storage");
      }
    }
  }
  return kube::ok_status();
}

}  // namespace

std::string_view policy_mode_name(PolicyMode mode) {
  return mode == PolicyMode::kEnforce ? "enforce" : "warn";
}

const RegistryPolicy& RegistryConfig::for_namespace(std::string_view namespace_) const {
  auto it = namespaces.find(namespace_);
  return it != namespaces.end() ? it->second : global;
}

bool WebhooksConfig::excluded(std::string_view namespace_) const {
  if (namespace_ == own_namespace) return true;
  return std::find(excluded_namespaces.begin(), excluded_namespaces.end(), namespace_) !=
         excluded_namespaces.end();
}

kube::Result<WebhooksConfig> parse_config(std::string_view text, std::string_view origin) {
  auto doc = kube::yaml::to_json(text);
  if (!doc.ok()) {
    return kube::Error::make(kube::Reason::kInvalid,
                             std::string(origin) + ": " + doc.error().message);
  }
  WebhooksConfig config;
  const json::Value* root = doc->IsNull() ? nullptr : &*doc;
  Section s(root, "", origin);
  KUBE_RETURN_IF_ERROR(s.check({"apiVersion", "kind", "excludedNamespaces", "logSidecar",
                                "secretMounts", "registry", "policy"}));
  std::string api_version, kind;
  KUBE_RETURN_IF_ERROR(s.read("apiVersion", api_version));
  KUBE_RETURN_IF_ERROR(s.read("kind", kind));
  if (!api_version.empty() && api_version != "berth.dev/v1alpha1") {
    return s.error("apiVersion", "must be berth.dev/v1alpha1, got \"" + api_version + "\"");
  }
  if (!kind.empty() && kind != "WebhooksConfiguration") {
    return s.error("kind", "must be WebhooksConfiguration, got \"" + kind + "\"");
  }
  KUBE_RETURN_IF_ERROR(s.read("excludedNamespaces", config.excluded_namespaces));
  for (const std::string& ns : config.excluded_namespaces) {
    if (auto e = dns_label_error(ns); !e.empty()) return s.error("excludedNamespaces", e);
  }
  KUBE_RETURN_IF_ERROR(read_log_sidecar(s.child("logSidecar"), config.log_sidecar));
  KUBE_RETURN_IF_ERROR(read_secret_mounts(s.child("secretMounts"), config.secrets));
  KUBE_RETURN_IF_ERROR(read_registry(s.child("registry"), config.registry));
  KUBE_RETURN_IF_ERROR(read_policy(s.child("policy"), config.policy));
  return config;
}

kube::Result<WebhooksConfig> load_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return kube::Error::make(kube::Reason::kInvalid, "cannot read config file " + path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path.string());
}

}  // namespace berth::webhooks
