// Config: where the Kubernetes API server is and how to authenticate to it, loaded from a
// kubeconfig file or from a pod's service account (in-cluster), in the order Kubernetes
// components use: --kubeconfig, else in-cluster, else $KUBECONFIG, else ~/.kube/config.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"

namespace kube {

struct Config {
  // "https://10.96.0.1:443"; may carry a path prefix ("https://host/k8s/clusters/c-1").
  std::string server{};

  // TLS. ca_pem empty = the system trust store.
  std::string ca_pem{};
  bool insecure_skip_tls_verify = false;
  // Name the server certificate must carry (and SNI), when it differs from the URL's host.
  std::string tls_server_name{};
  std::string client_cert_pem{};
  std::string client_key_pem{};  // secret

  // Credentials. A token file takes precedence over a literal token: it is re-read every
  // token_refresh and right after a 401, because bound service account tokens rotate.
  std::string bearer_token{};  // secret
  std::string bearer_token_file{};
  std::chrono::seconds token_refresh{60};
  std::string username{};
  std::string password{};  // secret

  // The namespace of the kubeconfig context, or the pod's own namespace in-cluster.
  std::string namespace_ = "default";

  // Where this came from, for messages: "kubeconfig /home/u/.kube/config (context dev)" or
  // "in-cluster service account".
  std::string source{};

  // One line safe for logs: server, source and the kind of credentials, never their values.
  std::string describe() const;
};

using Getenv = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment.
std::optional<std::string> process_getenv(const std::string& name);

struct KubeconfigOptions {
  // Overrides current-context (kubectl --context).
  std::string context{};
};

// Loads one kubeconfig file. Relative file references (certificate-authority, client-certificate,
// client-key, tokenFile) are resolved against the file's folder. Errors name the missing piece
// and the file: `context "x" not found in /path`.
Result<Config> load_kubeconfig(const std::filesystem::path& path,
                               const KubeconfigOptions& options = {});
// Several files merged as kubectl merges a $KUBECONFIG list: the first file that defines a
// cluster, user or context name wins, and the first non-empty current-context is used.
// Missing files are skipped; it is an error when none exists.
Result<Config> load_kubeconfig(const std::vector<std::filesystem::path>& paths,
                               const KubeconfigOptions& options = {});
// Parses kubeconfig text; `base_dir` resolves relative file references and `origin` names the
// text in errors.
Result<Config> parse_kubeconfig(std::string_view yaml_text, const std::filesystem::path& base_dir,
                                std::string_view origin, const KubeconfigOptions& options = {});

struct InClusterOptions {
  Getenv getenv = process_getenv;
  // Holds token, ca.crt and namespace.
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// True when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are both set.
bool in_cluster_available(const Getenv& getenv = process_getenv);
// The pod's service account: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (IPv6
// hosts bracketed), the token file (re-read periodically), ca.crt and the namespace file.
Result<Config> in_cluster_config(const InClusterOptions& options = {});

struct LoadOptions {
  std::string kubeconfig{};  // --kubeconfig; when set, nothing else is consulted
  std::string context{};     // --context
  Getenv getenv = process_getenv;
  // Overrides $HOME for ~/.kube/config.
  std::optional<std::filesystem::path> home{};
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// --kubeconfig, else in-cluster when its environment is present, else $KUBECONFIG (a ':'
// separated list), else ~/.kube/config.
Result<Config> load_config(const LoadOptions& options = {});

}  // namespace kube
