#include "kube/config/config.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "kube/core/json.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/core/yaml.h"

namespace kube {
namespace {

namespace fs = std::filesystem;

Error config_error(std::string message) {
  return Error::parse(std::move(message));
}

std::string quote_name(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

Result<std::string> read_text_file(const fs::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return config_error("cannot read " + std::string(what) + " " + path.string());
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// One named entry of a kubeconfig list, with the folder of the file that defined it (relative
// paths inside it are relative to that file).
struct Entry {
  json::Document body;
  fs::path base_dir;
  std::string origin;
};

struct Merged {
  std::map<std::string, Entry, std::less<>> clusters;
  std::map<std::string, Entry, std::less<>> users;
  std::map<std::string, Entry, std::less<>> contexts;
  std::string current_context;
  std::string origin;  // all files, for messages
};

Status merge_entries(const json::Value& root, std::string_view list_key, std::string_view body_key,
                     const fs::path& base_dir, std::string_view origin,
                     std::map<std::string, Entry, std::less<>>& into) {
  const json::Value* list = json::find(root, list_key);
  if (list == nullptr || list->IsNull()) return ok_status();
  if (!list->IsArray()) {
    return config_error(std::string(list_key) + " in " + std::string(origin) + " is not a list");
  }
  for (const json::Value& item : list->GetArray()) {
    std::string_view name = json::get_string(item, "name");
    if (name.empty()) {
      return config_error("an entry of " + std::string(list_key) + " in " + std::string(origin) +
                          " has no name");
    }
    if (into.find(name) != into.end()) continue;  // the first definition wins
    const json::Value* body = json::find(item, body_key);
    Entry entry;
    if (body != nullptr && body->IsObject()) {
      entry.body.CopyFrom(*body, entry.body.GetAllocator());
    } else {
      entry.body.SetObject();
    }
    entry.base_dir = base_dir;
    entry.origin = std::string(origin);
    into.emplace(std::string(name), std::move(entry));
  }
  return ok_status();
}

Status merge_document(std::string_view text, const fs::path& base_dir, std::string_view origin,
                      Merged& merged) {
  auto doc = yaml::to_json(text);
  if (!doc.ok()) {
    return config_error("invalid kubeconfig " + std::string(origin) + ": " + doc.error().message);
  }
  if (doc->IsNull()) return ok_status();  // an empty file
  if (!doc->IsObject()) return config_error("invalid kubeconfig " + std::string(origin));
  KUBE_RETURN_IF_ERROR(
      merge_entries(*doc, "clusters", "cluster", base_dir, origin, merged.clusters));
  KUBE_RETURN_IF_ERROR(merge_entries(*doc, "users", "user", base_dir, origin, merged.users));
  KUBE_RETURN_IF_ERROR(
      merge_entries(*doc, "contexts", "context", base_dir, origin, merged.contexts));
  if (merged.current_context.empty()) {
    merged.current_context = std::string(json::get_string(*doc, "current-context"));
  }
  return ok_status();
}

fs::path resolve_path(const Entry& entry, std::string_view file) {
  fs::path p{std::string(file)};
  if (p.is_relative()) p = entry.base_dir / p;
  return p.lexically_normal();
}

// "<field>-data" (base64) takes precedence over "<field>" (a file).
Result<std::string> data_or_file(const Entry& entry, std::string_view field,
                                 std::string_view what) {
  std::string data_key = std::string(field) + "-data";
  std::string_view data = json::get_string(entry.body, data_key);
  if (!data.empty()) {
    auto decoded = base64_decode(trim(data));
    if (!decoded) {
      return config_error(std::string(what) + ": " + data_key + " is not valid base64 in " +
                          entry.origin);
    }
    return std::move(*decoded);
  }
  std::string_view file = json::get_string(entry.body, field);
  if (file.empty()) return std::string();
  auto text =
      read_text_file(resolve_path(entry, file), std::string(what) + " " + std::string(field));
  if (!text.ok())
    return config_error(text.error().message + " (referenced from " + entry.origin + ")");
  return std::move(text).value();
}

Result<Config> build_config(const Merged& merged, const KubeconfigOptions& options) {
  std::string context_name = options.context.empty() ? merged.current_context : options.context;
  if (context_name.empty()) {
    return config_error("no current-context in " + merged.origin + " (choose one with --context)");
  }
  auto ctx = merged.contexts.find(context_name);
  if (ctx == merged.contexts.end()) {
    return config_error("context " + quote_name(context_name) + " not found in " + merged.origin);
  }
  const json::Value& context = ctx->second.body;
  std::string_view cluster_name = json::get_string(context, "cluster");
  if (cluster_name.empty()) {
    return config_error("context " + quote_name(context_name) + " in " + ctx->second.origin +
                        " names no cluster");
  }
  auto cl = merged.clusters.find(cluster_name);
  if (cl == merged.clusters.end()) {
    return config_error("cluster " + quote_name(cluster_name) + " (of context " +
                        quote_name(context_name) + ") not found in " + merged.origin);
  }

  Config config;
  config.source = "kubeconfig " + merged.origin + " (context " + context_name + ")";
  std::string_view ns = json::get_string(context, "namespace");
  if (!ns.empty()) config.namespace_ = std::string(ns);

  const Entry& cluster = cl->second;
  std::string what = "cluster " + quote_name(cluster_name);
  config.server = std::string(trim(json::get_string(cluster.body, "server")));
  if (config.server.empty()) {
    return config_error(what + " in " + cluster.origin + " has no server");
  }
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return config_error(what + " in " + cluster.origin + ": server " + quote_name(config.server) +
                        " is not an http(s) URL");
  }
  while (config.server.size() > 1 && config.server.back() == '/')
    config.server.pop_back();
  config.insecure_skip_tls_verify = json::get_bool(cluster.body, "insecure-skip-tls-verify");
  config.tls_server_name = std::string(json::get_string(cluster.body, "tls-server-name"));
  KUBE_ASSIGN_OR_RETURN(config.ca_pem, data_or_file(cluster, "certificate-authority", what));
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    return config_error(what + " in " + cluster.origin +
                        ": a certificate authority together with insecure-skip-tls-verify is "
                        "not allowed");
  }
  if (!json::get_string(cluster.body, "proxy-url").empty()) {
    log::warn("kubeconfig proxy-url is not supported; connecting directly",
              {{"cluster", std::string(cluster_name)}});
  }

  std::string_view user_name = json::get_string(context, "user");
  if (user_name.empty()) return config;  // anonymous
  auto us = merged.users.find(user_name);
  if (us == merged.users.end()) {
    return config_error("user " + quote_name(user_name) + " (of context " +
                        quote_name(context_name) + ") not found in " + merged.origin);
  }
  const Entry& user = us->second;
  what = "user " + quote_name(user_name);
  if (json::find(user.body, "exec") != nullptr ||
      json::find(user.body, "auth-provider") != nullptr) {
    return config_error(what + " in " + user.origin +
                        " uses an exec or auth-provider credential plugin, which Berth does not "
                        "support; use a token, tokenFile or client certificate");
  }
  KUBE_ASSIGN_OR_RETURN(config.client_cert_pem, data_or_file(user, "client-certificate", what));
  KUBE_ASSIGN_OR_RETURN(config.client_key_pem, data_or_file(user, "client-key", what));
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return config_error(what + " in " + user.origin +
                        " has a client certificate without its key (or a key without its "
                        "certificate)");
  }
  config.bearer_token = std::string(trim(json::get_string(user.body, "token")));
  std::string_view token_file = json::get_string(user.body, "tokenFile");
  if (!token_file.empty()) {
    fs::path path = resolve_path(user, token_file);
    auto token = read_text_file(path, what + " tokenFile");
    if (!token.ok())
      return config_error(token.error().message + " (referenced from " + user.origin + ")");
    config.bearer_token_file = path.string();
  }
  config.username = std::string(json::get_string(user.body, "username"));
  config.password = std::string(json::get_string(user.body, "password"));
  bool has_token = !config.bearer_token.empty() || !config.bearer_token_file.empty();
  bool has_basic = !config.username.empty() || !config.password.empty();
  if (has_token && has_basic) {
    return config_error(what + " in " + user.origin +
                        " has both a token and a username/password; only one is allowed");
  }
  return config;
}

Result<Config> load_files(const std::vector<fs::path>& paths, const KubeconfigOptions& options,
                          bool skip_missing) {
  Merged merged;
  std::vector<std::string> names;
  for (const fs::path& path : paths) {
    std::error_code ec;
    if (skip_missing && !fs::exists(path, ec)) continue;
    KUBE_ASSIGN_OR_RETURN(std::string text, read_text_file(path, "kubeconfig"));
    fs::path absolute = fs::absolute(path, ec);
    if (ec) absolute = path;
    names.push_back(path.string());
    KUBE_RETURN_IF_ERROR(merge_document(text, absolute.parent_path(), path.string(), merged));
  }
  if (names.empty()) {
    std::vector<std::string> all;
    for (const fs::path& p : paths)
      all.push_back(p.string());
    return config_error("no kubeconfig file exists among " + join(all, ":"));
  }
  merged.origin = join(names, ":");
  return build_config(merged, options);
}

// "fd00::1" -> "[fd00::1]" so it can be followed by ":port".
std::string host_for_url(std::string_view host) {
  if (host.find(':') != std::string_view::npos && host.front() != '[') {
    return "[" + std::string(host) + "]";
  }
  return std::string(host);
}

}  // namespace

std::string Config::describe() const {
  std::string auth;
  if (!client_cert_pem.empty()) auth = "client-certificate";
  if (!bearer_token_file.empty()) {
    auth += (auth.empty() ? "" : "+") + std::string("token-file ") + bearer_token_file;
  } else if (!bearer_token.empty()) {
    auth += (auth.empty() ? "" : "+") + std::string("token");
  }
  if (!username.empty()) auth += (auth.empty() ? "" : "+") + std::string("basic user ") + username;
  if (auth.empty()) auth = "anonymous";
  std::string out = "server=" + server + " auth=" + auth + " namespace=" + namespace_;
  if (insecure_skip_tls_verify) out += " insecure-skip-tls-verify";
  if (!source.empty()) out += " source=" + source;
  return out;
}

std::optional<std::string> process_getenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<Config> parse_kubeconfig(std::string_view yaml_text, const fs::path& base_dir,
                                std::string_view origin, const KubeconfigOptions& options) {
  Merged merged;
  merged.origin = std::string(origin);
  KUBE_RETURN_IF_ERROR(merge_document(yaml_text, base_dir, origin, merged));
  return build_config(merged, options);
}

Result<Config> load_kubeconfig(const fs::path& path, const KubeconfigOptions& options) {
  return load_files({path}, options, /*skip_missing=*/false);
}

Result<Config> load_kubeconfig(const std::vector<fs::path>& paths,
                               const KubeconfigOptions& options) {
  return load_files(paths, options, /*skip_missing=*/true);
}

bool in_cluster_available(const Getenv& getenv) {
  auto host = getenv("KUBERNETES_SERVICE_HOST");
  auto port = getenv("KUBERNETES_SERVICE_PORT");
  return host && !host->empty() && port && !port->empty();
}

Result<Config> in_cluster_config(const InClusterOptions& options) {
  auto host = options.getenv("KUBERNETES_SERVICE_HOST");
  auto port = options.getenv("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return config_error(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
        "set");
  }
  auto port_number = parse_int(*port);
  if (!port_number || *port_number <= 0 || *port_number > 65535) {
    return config_error("KUBERNETES_SERVICE_PORT " + quote_name(*port) + " is not a port number");
  }
  Config config;
  config.source = "in-cluster service account " + options.service_account_dir.string();
  config.server = "https://" + host_for_url(*host) + ":" + std::to_string(*port_number);

  fs::path token_path = options.service_account_dir / "token";
  KUBE_ASSIGN_OR_RETURN(std::string token, read_text_file(token_path, "service account token"));
  if (trim(token).empty())
    return config_error("service account token " + token_path.string() + " is empty");
  config.bearer_token_file = token_path.string();

  fs::path ca_path = options.service_account_dir / "ca.crt";
  auto ca = read_text_file(ca_path, "service account CA");
  if (ca.ok()) {
    config.ca_pem = std::move(ca).value();
  } else {
    log::warn(
        "in-cluster CA bundle unreadable; verifying the API server with the system trust store",
        {{"path", ca_path.string()}});
  }
  auto ns = read_text_file(options.service_account_dir / "namespace", "namespace");
  if (ns.ok() && !trim(*ns).empty()) config.namespace_ = std::string(trim(*ns));
  return config;
}

Result<Config> load_config(const LoadOptions& options) {
  KubeconfigOptions kubeconfig_options{options.context};
  if (!options.kubeconfig.empty())
    return load_kubeconfig(fs::path(options.kubeconfig), kubeconfig_options);
  if (in_cluster_available(options.getenv)) {
    return in_cluster_config({options.getenv, options.service_account_dir});
  }
  if (auto env = options.getenv("KUBECONFIG"); env && !env->empty()) {
    std::vector<fs::path> paths;
    for (std::string_view part : split(*env, ':')) {
      if (!part.empty()) paths.emplace_back(std::string(part));
    }
    if (!paths.empty()) return load_kubeconfig(paths, kubeconfig_options);
  }
  std::optional<fs::path> home = options.home;
  if (!home) {
    if (auto h = options.getenv("HOME"); h && !h->empty()) home = fs::path(*h);
  }
  if (home) {
    fs::path path = *home / ".kube" / "config";
    std::error_code ec;
    if (fs::exists(path, ec)) return load_kubeconfig(path, kubeconfig_options);
  }
  return config_error(
      "no Kubernetes configuration: pass --kubeconfig, run in a cluster, set $KUBECONFIG, or "
      "create ~/.kube/config");
}

}  // namespace kube
