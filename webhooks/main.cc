// berth-webhooks: Berth's admission webhooks over HTTPS (see webhooks/README.md).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/client/client.h"
#include "kube/config/config.h"
#include "kube/core/json.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/health/health_server.h"
#include "kube/manager/signals.h"
#include "kube/metrics/process.h"
#include "webhooks/certs/cert_manager.h"
#include "webhooks/config/config.h"
#include "webhooks/config/names.h"
#include "webhooks/pods/pod_json.h"
#include "webhooks/server/cluster_version.h"
#include "webhooks/server/namespace_cache.h"
#include "webhooks/server/routes.h"
#include "webhooks/server/webhook_server.h"

namespace {

using namespace berth::webhooks;

constexpr const char* kUsage =
    "Usage: berth-webhooks [flags]\n"
    "\n"
    "Berth's admission webhooks over HTTPS: log-sidecar, secret and registry-mirror injection\n"
    "(/mutate/pods), pod policy (/validate/pods) and Berth resource validation\n"
    "(/validate/berth).\n"
    "\n"
    "Flags:\n"
    "  --kubeconfig PATH              kubeconfig (default: in-cluster, then $KUBECONFIG,\n"
    "                                 then ~/.kube/config)\n"
    "  --bind-address HOST:PORT       HTTPS listener (default 0.0.0.0:9443)\n"
    "  --metrics-bind-address HOST:PORT\n"
    "                                 plain HTTP /healthz /readyz /metrics (default\n"
    "                                 0.0.0.0:8080; \"0\" turns it off)\n"
    "  --config FILE                  policy file (YAML; default: built-in defaults)\n"
    "  --tls-cert-file FILE           serve this certificate (PEM, reloaded when it changes)\n"
    "  --tls-private-key-file FILE    and its key; without both, certificates are managed\n"
    "                                 in the --cert-secret Secret\n"
    "  --cert-secret NAME             Secret holding the managed CA and serving certificate\n"
    "                                 (default berth-webhooks-tls)\n"
    "  --service-name NAME            Service the webhook configurations call (certificate\n"
    "                                 names; default berth-webhooks)\n"
    "  --namespace NAME               Berth's namespace: the Secret's, the Service's, and never\n"
    "                                 mutated or validated (default berth-system)\n"
    "  --webhook-config-names A,B     Mutating/ValidatingWebhookConfigurations whose caBundle\n"
    "                                 is kept current (default berth-webhooks)\n"
    "  --shutdown-delay SECONDS       keep serving this long after SIGTERM while /readyz\n"
    "                                 fails, so endpoints drop the pod first (default 5)\n"
    "  -v, --v N                      log verbosity (default 0)\n"
    "  --help                         print this help\n"
    "  --version                      print the version\n";

struct Flags {
  std::string kubeconfig;
  std::string bind_address = "0.0.0.0:9443";
  std::string metrics_bind_address = "0.0.0.0:8080";
  std::string config;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string cert_secret = "berth-webhooks-tls";
  std::string service_name = "berth-webhooks";
  std::string namespace_ = "berth-system";
  std::vector<std::string> webhook_config_names = {"berth-webhooks"};
  int shutdown_delay_seconds = 5;
  int verbosity = 0;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "berth-webhooks: %s (see --help)\n", message.c_str());
  std::exit(2);
}

void check_address(const std::string& flag, const std::string& value) {
  auto colon = value.rfind(':');
  auto port = colon == std::string::npos
                  ? std::nullopt
                  : kube::parse_int(std::string_view(value).substr(colon + 1));
  if (colon == 0 || !port || *port < 0 || *port > 65535) {
    usage_error(flag + " must be HOST:PORT, got \"" + value + "\"");
  }
}

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--version") {
      std::printf("berth-webhooks %s\n", BERTH_VERSION);
      std::exit(0);
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto take = [&]() -> std::string {
      if (value) return *value;
      if (i + 1 >= argc) usage_error("flag " + name + " needs a value");
      return argv[++i];
    };
    auto number = [&](int min, int max) {
      std::string v = take();
      auto n = kube::parse_int(v);
      if (!n || *n < min || *n > max) {
        usage_error(name + " must be an integer in " + std::to_string(min) + ".." +
                    std::to_string(max) + ", got \"" + v + "\"");
      }
      return static_cast<int>(*n);
    };
    if (name == "--kubeconfig") {
      f.kubeconfig = take();
    } else if (name == "--bind-address") {
      f.bind_address = take();
    } else if (name == "--metrics-bind-address") {
      f.metrics_bind_address = take();
    } else if (name == "--config") {
      f.config = take();
    } else if (name == "--tls-cert-file") {
      f.tls_cert_file = take();
    } else if (name == "--tls-private-key-file") {
      f.tls_key_file = take();
    } else if (name == "--cert-secret") {
      f.cert_secret = take();
    } else if (name == "--service-name") {
      f.service_name = take();
    } else if (name == "--namespace") {
      f.namespace_ = take();
    } else if (name == "--webhook-config-names") {
      f.webhook_config_names = split_list(take());
    } else if (name == "--shutdown-delay") {
      f.shutdown_delay_seconds = number(0, 300);
    } else if (name == "-v" || name == "--v") {
      f.verbosity = number(0, 10);
    } else {
      usage_error("unknown flag " + name);
    }
  }
  check_address("--bind-address", f.bind_address);
  if (f.metrics_bind_address != "0")
    check_address("--metrics-bind-address", f.metrics_bind_address);
  if (f.tls_cert_file.empty() != f.tls_key_file.empty()) {
    usage_error("--tls-cert-file and --tls-private-key-file go together");
  }
  if (auto e = dns_label_error(f.service_name); !e.empty()) usage_error("--service-name " + e);
  if (auto e = dns_label_error(f.namespace_); !e.empty()) usage_error("--namespace " + e);
  if (auto e = dns_subdomain_error(f.cert_secret); !e.empty()) usage_error("--cert-secret " + e);
  for (const std::string& n : f.webhook_config_names) {
    if (auto e = dns_subdomain_error(n); !e.empty()) usage_error("--webhook-config-names " + e);
  }
  return f;
}

// kAuto: ask the cluster. A failure keeps classic sidecars, which work everywhere.
void resolve_native_sidecars(LogSidecarConfig& config, kube::Client& client) {
  if (config.native_mode != NativeSidecars::kAuto) return;
  auto response = client.request("GET", "/version");
  std::optional<std::pair<int, int>> version;
  if (response.ok()) {
    if (auto doc = kube::json::parse(response->body); doc.ok()) version = cluster_version(*doc);
  }
  config.native = version && native_sidecars_supported(*version);
  kube::log::info(
      "log sidecar mode chosen from the cluster version",
      {{"version", version ? std::to_string(version->first) + "." + std::to_string(version->second)
                           : std::string("unknown")},
       {"native", config.native}});
}

// Blocks until SIGTERM/SIGINT.
void wait_for_signal(const kube::CancelToken& token) {
  while (token.sleep_for(kube::Clock::real(), std::chrono::hours(24))) {
  }
}

// The first certificate pass, retried with backoff while the API is unreachable. A Secret that
// is not Berth's (kInvalid) will not fix itself: that ends the process with its message.
bool first_reconcile(CertManager& certs, const kube::CancelToken& token) {
  std::chrono::milliseconds backoff(500);
  while (true) {
    auto status = certs.reconcile();
    if (status.ok()) return true;
    if (status.error().is_invalid()) {
      std::fprintf(stderr, "berth-webhooks: %s\n", status.error().message.c_str());
      std::exit(1);
    }
    kube::log::warn("cannot set up serving certificates yet; retrying",
                    {{"error", status.error().to_string()},
                     {"retryIn", std::to_string(backoff.count()) + "ms"}});
    if (!token.sleep_for(kube::Clock::real(), backoff)) return false;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = parse_flags(argc, argv);
  auto signals = kube::ShutdownSignals::install();
  kube::log::set_component("berth-webhooks");
  kube::log::set_verbosity(flags.verbosity);

  auto loaded = flags.config.empty() ? kube::Result<WebhooksConfig>(WebhooksConfig{})
                                     : load_config_file(flags.config);
  if (!loaded.ok()) {
    std::fprintf(stderr, "berth-webhooks: %s\n", loaded.error().message.c_str());
    return 2;
  }
  auto config = std::make_shared<WebhooksConfig>(std::move(loaded).value());
  config->own_namespace = flags.namespace_;

  auto kube_config = kube::load_config({.kubeconfig = flags.kubeconfig});
  if (!kube_config.ok()) {
    std::fprintf(stderr, "berth-webhooks: cannot load the Kubernetes configuration: %s\n",
                 kube_config.error().message.c_str());
    return 1;
  }
  auto client =
      kube::Client::create(*kube_config, {.qps = 20, .burst = 30, .component = "webhooks"});
  if (!client.ok()) {
    std::fprintf(stderr, "berth-webhooks: %s\n", client.error().message.c_str());
    return 1;
  }
  kube::log::info("starting", {{"version", BERTH_VERSION}, {"cluster", kube_config->describe()}});
  resolve_native_sidecars(config->log_sidecar, **client);

  kube::metrics::Registry& registry = kube::metrics::default_registry();
  kube::metrics::ProcessMetrics process_metrics(registry);
  NamespaceCache namespaces(**client);
  namespaces.start();

  std::unique_ptr<CertManager> certs;
  auto tls = std::make_shared<kube::http::TlsOptions>();
  if (!flags.tls_cert_file.empty()) {
    tls->cert_file = flags.tls_cert_file;
    tls->key_file = flags.tls_key_file;
  } else {
    CertManagerOptions options;
    options.secret_name = flags.cert_secret;
    options.webhook_configurations = flags.webhook_config_names;
    options.certificates.service_name = flags.service_name;
    options.certificates.namespace_ = flags.namespace_;
    options.registry = &registry;
    certs = std::make_unique<CertManager>(**client, std::move(options));
    if (!first_reconcile(*certs, signals->token())) return 0;
    certs->start();
    CertManager* manager = certs.get();
    tls->provider = [manager] { return manager->serving_pair(); };
  }

  std::unique_ptr<kube::HealthServer> health;
  if (flags.metrics_bind_address != "0") {
    auto started = kube::HealthServer::start({.bind_address = flags.metrics_bind_address,
                                              .metrics = &registry,
                                              .name = "webhooks-metrics"});
    if (!started.ok()) {
      std::fprintf(stderr, "berth-webhooks: %s\n", started.error().message.c_str());
      return 1;
    }
    health = std::move(started).value();
  }

  auto server =
      WebhookServer::start({.bind_address = flags.bind_address, .tls = tls, .registry = &registry},
                           berth_routes(config, namespaces));
  if (!server.ok()) {
    std::fprintf(stderr, "berth-webhooks: %s\n", server.error().message.c_str());
    return 1;
  }
  WebhookServer& webhooks = **server;
  if (health != nullptr) {
    health->add_readyz_check(
        "namespaces", [&namespaces] { return namespaces.synced(); }, "namespace cache not synced");
    health->add_readyz_check("serving-certificate", [&webhooks]() -> kube::Result<std::string> {
      std::string error = webhooks.last_certificate_error();
      if (!error.empty()) {
        return kube::Error::make(kube::Reason::kServiceUnavailable,
                                 "certificate reload failing: " + error);
      }
      return std::string();
    });
  }
  kube::log::info("serving admission webhooks",
                  {{"url", webhooks.url()},
                   {"metrics", health != nullptr ? health->url() : std::string("off")},
                   {"certificates", certs != nullptr ? "managed" : "files"}});

  wait_for_signal(signals->token());
  kube::log::info("shutting down", {{"delay", std::to_string(flags.shutdown_delay_seconds) + "s"}});
  if (health != nullptr) health->mark_shutting_down();
  // Endpoints take a moment to drop this pod; keep answering what still arrives.
  kube::CancelSource never;
  (void)never.token().sleep_for(kube::Clock::real(),
                                std::chrono::seconds(flags.shutdown_delay_seconds));
  webhooks.stop(std::chrono::seconds(5));
  if (certs != nullptr) certs->stop();
  namespaces.stop();
  if (health != nullptr) health->stop();
  return 0;
}
