// CertManager: berth-webhooks' own serving certificates, managed in-process. It keeps a CA and a
// serving certificate for the webhook Service in one kubernetes.io/tls Secret, writes the CA
// bundle into the caBundle of Berth's webhook configurations, renews both ahead of expiry and
// hands the current pair to the HTTPS server (serving_pair(), for TlsOptions::provider).
//
// Replicas share the Secret without fighting: creation tolerates AlreadyExists (the winner's
// material is used), updates carry the resourceVersion read and a 409 means "read again and
// re-decide", so exactly one replica's renewal lands and the others adopt it. caBundle patches
// are JSON patches guarded by a test of the configuration's resourceVersion.
//
// A CA rotation takes two reconciles: first the new CA is put first in the bundle (the old one
// stays after it) and the bundle is written to every configuration; only once that succeeded is
// the serving certificate re-issued by the new CA. kube-apiserver therefore trusts the new
// serving certificate before any replica serves it.
//
// Reconcile is level-triggered: start() runs it at once and then every `resync`, so a
// configuration re-applied without caBundle, a Secret edited by hand or a certificate nearing
// expiry are all repaired on the next pass.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kube/certs/cert_bundle.h"
#include "kube/client/client.h"
#include "kube/core/result.h"
#include "kube/metrics/registry.h"

namespace berth::webhooks {

struct CertManagerOptions {
  std::string secret_name = "berth-webhooks-tls";
  // Names looked up as both a MutatingWebhookConfiguration and a
  // ValidatingWebhookConfiguration; every webhook entry of each one found gets the caBundle.
  std::vector<std::string> webhook_configurations = {"berth-webhooks"};
  // namespace_ is also the Secret's namespace.
  kube::certs::CertificateSettings certificates{.service_name = "berth-webhooks",
                                                .namespace_ = "berth-system"};
  std::chrono::milliseconds resync{std::chrono::minutes(1)};
  // Optional: berth_webhook_certificate_* metrics.
  kube::metrics::Registry* registry = nullptr;
};

class CertManager {
 public:
  // `client` must outlive the manager.
  CertManager(kube::Client& client, CertManagerOptions options);
  ~CertManager();
  CertManager(const CertManager&) = delete;
  CertManager& operator=(const CertManager&) = delete;

  // One pass (not reentrant: one caller at a time, or start()): ensure the Secret holds good
  // material (create / renew), publish it, write caBundle, finish a pending CA rotation. Errors:
  // the Secret could not be read or written (permissions, API down), it is not Berth's (another
  // type, foreign data), or conflicts kept winning. caBundle failures are logged and retried on the
  // next pass, not errors.
  kube::Status reconcile();

  // Background loop: reconcile now, then every resync (after an error: backoff from 1 s up to
  // resync). Idempotent stop.
  void start();
  void stop();

  // The pair to serve: {tls.crt, tls.key}. An error until a reconcile has succeeded.
  kube::Result<std::pair<std::string, std::string>> serving_pair() const;
  // PEM bundle last written to caBundle (empty before the first success).
  std::string ca_bundle() const;
  // True once a reconcile has published material.
  bool ready() const { return ready_.load(); }
  // True when the last caBundle write reached every configured webhook configuration.
  bool ca_bundle_injected() const { return injected_.load(); }

 private:
  enum class Step { kDone, kRetry };
  kube::Result<Step> reconcile_once();
  kube::Result<Step> write_secret(const kube::Object& current,
                                  const kube::certs::CertMaterial& material, kube::Object& stored);
  struct Injection {
    bool complete = true;  // every configured configuration exists and now carries the bundle
    bool written = false;  // at least one of them had to be patched in this pass
  };
  Injection inject_ca_bundle(const std::string& bundle);
  void publish(const kube::certs::CertMaterial& material);
  void run();

  kube::Client& client_;
  CertManagerOptions options_;

  mutable std::mutex mu_;
  kube::certs::CertMaterial current_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> injected_{false};

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread thread_;

  kube::metrics::Gauge* expiry_ = nullptr;
  kube::metrics::Counter* ca_rotations_ = nullptr;
  kube::metrics::Counter* serving_rotations_ = nullptr;
  kube::metrics::Counter* errors_ = nullptr;
};

}  // namespace berth::webhooks
