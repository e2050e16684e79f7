#include "sim/apiserver/webhook_admission.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <set>
#include <system_error>

#include "kube/core/log.h"
#include "kube/patch/patch.h"
#include "sim/apiserver/field_error.h"
#include "sim/apiserver/object_api.h"
#include "sim/apiserver/strategy.h"
#include "sim/apiserver/webhook_review.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

constexpr std::string_view kRegistrationGroup = "admissionregistration.k8s.io";

// Webhooks are never called for the objects that configure them, so a broken webhook cannot
// lock its own configuration in place.
bool configures_admission(const ResourceInfo& r) {
  return r.group == kRegistrationGroup && (r.plural == "mutatingwebhookconfigurations" ||
                                           r.plural == "validatingwebhookconfigurations" ||
                                           r.plural == "validatingadmissionpolicies" ||
                                           r.plural == "validatingadmissionpolicybindings");
}

MatchAttributes attributes_of(const AdmissionRequest& r) {
  MatchAttributes a;
  a.operation = r.operation;
  a.group = r.resource->group;
  a.version = r.resource->version;
  a.resource = r.resource->plural;
  a.subresource = r.subresource;
  a.namespace_ = r.resource->namespaced ? r.namespace_ : std::string();
  return a;
}

const Value* labels_of(const Value* object) {
  if (object == nullptr || !object->IsObject()) return nullptr;
  const Value* meta = json::find(*object, "metadata");
  return meta != nullptr ? json::find(*meta, "labels") : nullptr;
}

// The labels a namespaceSelector is matched against, read once per request and only when a
// webhook needs them.
class NamespaceLabels {
 public:
  NamespaceLabels(ObjectApi& api, const AdmissionRequest& request,
                  const MatchAttributes& attributes)
      : api_(api), request_(request), attributes_(attributes) {}

  ApiResult<const Value*> get() {
    if (is_namespace_resource(attributes_)) {
      // A Namespace is matched by its own labels (the old ones when it is being deleted).
      const Value* object = request_.object != nullptr ? request_.object : request_.old_object;
      return labels_of(object);
    }
    if (!loaded_) {
      ResourcePtr namespaces = api_.registry().find("", "v1", "namespaces");
      if (!namespaces) return errors::internal("namespaces are not served");
      auto ns = api_.get(*namespaces, "", attributes_.namespace_);
      if (!ns.ok()) return errors::internal(ns.error().message);
      namespace_ = *ns;
      loaded_ = true;
    }
    return namespace_.labels();
  }

 private:
  ObjectApi& api_;
  const AdmissionRequest& request_;
  const MatchAttributes& attributes_;
  bool loaded_ = false;
  kube::Object namespace_;
};

std::string operation_label(Operation op) {
  return std::string(operation_name(op));
}

}  // namespace

struct WebhookAdmission::Cached {
  std::string resource_version;
  std::vector<std::shared_ptr<const Webhook>> webhooks;
};

struct WebhookAdmission::Metrics {
  explicit Metrics(kube::metrics::Registry& r)
      : duration(r.histogram_vec("apiserver_admission_webhook_admission_duration_seconds",
                                 "Admission webhook latency in seconds, by webhook name, "
                                 "operation, rejection and type (admit or validating).",
                                 {"name", "operation", "rejected", "type"},
                                 {0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10, 25})),
        rejections(r.counter_vec("apiserver_admission_webhook_rejection_count",
                                 "Admission webhook rejections, by webhook name, type, "
                                 "operation, error type and rejection code.",
                                 {"name", "type", "operation", "error_type", "rejection_code"})),
        fail_open(r.counter_vec("apiserver_admission_webhook_fail_open_count",
                                "Webhook calls that failed and were ignored (failurePolicy "
                                "Ignore), by webhook name and type.",
                                {"name", "type"})) {}
  kube::metrics::HistogramVec& duration;
  kube::metrics::CounterVec& rejections;
  kube::metrics::CounterVec& fail_open;
};

namespace {

// One call's result: an answer, or why there is none (then failurePolicy decides).
struct CallResult {
  std::optional<ReviewResponse> answer;
  std::string error;  // "failed to call webhook: ..." / "received invalid webhook response: ..."
};

struct Caller {
  WebhookCaller& caller;
  // clientConfig.service "namespace/name" -> "host:port".
  std::function<std::optional<std::string>(const std::string&)> resolve;

  CallResult operator()(const Webhook& w, const AdmissionRequest& r, const Value* object,
                        bool mutating) const {
    if (!w.invalid.empty()) return {std::nullopt, "failed to call webhook: " + w.invalid};
    WebhookCall call;
    call.ca_pem = w.ca_pem;
    call.timeout = w.timeout;
    if (!w.url.empty()) {
      call.url = w.url;
    } else {
      const ServiceReference& svc = *w.service;
      std::string key = svc.namespace_ + "/" + svc.name;
      std::optional<std::string> address = resolve(key);
      if (!address) {
        return {std::nullopt,
                "failed to call webhook: service " + key + ":" + std::to_string(svc.port) +
                    " has no address: berth-sim has no Service network; map " + go_quote(key) +
                    " to a host:port in the webhook service "
                    "addresses of berth-sim's options"};
      }
      call.url = "https://" + *address + svc.path;
      // The serving certificate is checked against the Service's DNS name, as the apiserver
      // does when it dials the Service.
      call.server_name = svc.name + "." + svc.namespace_ + ".svc";
    }
    call.url += (call.url.find('?') == std::string::npos ? "?timeout=" : "&timeout=") +
                std::to_string(w.timeout.count()) + "s";
    std::string uid = new_uid();
    std::string body = admission_review_request(r, uid, object);
    auto response = caller.post(call, body);
    if (!response.ok())
      return {std::nullopt, "failed to call webhook: " + response.error().message};
    if (response->status < 200 || response->status > 299) {
      // The body is the webhook's, possibly echoing the object: it stays out of messages.
      return {std::nullopt, "failed to call webhook: Post " + go_quote(call.url) +
                                ": the server responded with HTTP " +
                                std::to_string(response->status)};
    }
    auto parsed = parse_admission_review_response(response->body, uid, mutating);
    if (!parsed.ok()) {
      return {std::nullopt, "received invalid webhook response: " + parsed.error().message};
    }
    return {std::move(parsed).value(), {}};
  }
};

bool dry_run_safe(const Webhook& w) {
  return w.side_effects == SideEffects::kNone || w.side_effects == SideEffects::kNoneOnDryRun;
}

ApiError dry_run_unsupported(const Webhook& w) {
  return errors::bad_request("admission webhook " + go_quote(w.name) + " does not support dry run");
}

}  // namespace

WebhookAdmission::WebhookAdmission(ObjectApi& api, WebhookAdmissionOptions options)
    : api_(api),
      options_(std::move(options)),
      metrics_(std::make_unique<Metrics>(
          options_.registry != nullptr ? *options_.registry : kube::metrics::default_registry())) {}

WebhookAdmission::~WebhookAdmission() = default;

void WebhookAdmission::set_service_address(std::string service, std::string address) {
  std::lock_guard<std::mutex> lock(services_mu_);
  options_.service_addresses[std::move(service)] = std::move(address);
}

std::optional<std::string> WebhookAdmission::service_address(const std::string& service) const {
  std::lock_guard<std::mutex> lock(services_mu_);
  auto it = options_.service_addresses.find(service);
  if (it == options_.service_addresses.end()) return std::nullopt;
  return it->second;
}

std::vector<std::shared_ptr<const Webhook>> WebhookAdmission::webhooks(bool mutating) {
  std::string_view plural =
      mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations";
  std::vector<std::shared_ptr<const Webhook>> out;
  ResourcePtr resource = api_.registry().find(kRegistrationGroup, "v1", plural);
  if (!resource) return out;
  auto listed = api_.list(*resource, "", {});
  if (!listed.ok() || listed->items.empty()) return out;
  std::vector<kube::Object> configurations = listed->items;
  std::sort(configurations.begin(), configurations.end(),
            [](const kube::Object& a, const kube::Object& b) { return a.name() < b.name(); });
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : configurations) {
    std::string key = std::string(plural) + "/" + std::string(c.name());
    auto& slot = cache_[key];
    if (!slot || slot->resource_version != c.resource_version()) {
      auto fresh = std::make_shared<Cached>();
      fresh->resource_version = std::string(c.resource_version());
      for (auto& w : parse_webhook_configuration(c.json(), mutating))
        fresh->webhooks.push_back(std::make_shared<const Webhook>(std::move(w)));
      slot = std::move(fresh);
    }
    out.insert(out.end(), slot->webhooks.begin(), slot->webhooks.end());
  }
  // Forget deleted configurations.
  for (auto it = cache_.begin(); it != cache_.end();) {
    bool same_kind = it->first.starts_with(std::string(plural) + "/");
    bool present = std::any_of(configurations.begin(), configurations.end(), [&](const auto& c) {
      return it->first == std::string(plural) + "/" + std::string(c.name());
    });
    it = same_kind && !present ? cache_.erase(it) : std::next(it);
  }
  return out;
}

namespace {

// The apiserver sends the warnings gathered so far with an error too.
ApiStatus with_warnings(ApiStatus status, const std::vector<std::string>* warnings) {
  if (status.ok() || warnings == nullptr || warnings->empty()) return status;
  ApiError e = std::move(status).error();
  e.warnings = *warnings;
  return e;
}

}  // namespace

ApiStatus WebhookAdmission::admit(AdmissionRequest& r) {
  return with_warnings(run_mutating(r), r.warnings);
}

ApiStatus WebhookAdmission::validate(const AdmissionRequest& r) {
  return with_warnings(run_validating(r), r.warnings);
}

ApiStatus WebhookAdmission::run_mutating(AdmissionRequest& r) {
  if (!r.resource || configures_admission(*r.resource)) return {};
  auto hooks = webhooks(true);
  if (hooks.empty()) return {};
  MatchAttributes attributes = attributes_of(r);
  NamespaceLabels namespace_labels(api_, r, attributes);
  Caller call{caller_, [this](const std::string& key) { return service_address(key); }};
  const std::string op = operation_label(r.operation);

  // Reinvocation bookkeeping, by Webhook::id: IfNeeded webhooks called since the last change,
  // and those a later change requires calling again (once).
  std::set<std::string> invoked_since_change;
  std::set<std::string> to_reinvoke;
  bool changed_any = false;
  for (int round = 0; round < 2; ++round) {
    if (round == 1 && (!changed_any || to_reinvoke.empty())) break;
    for (const auto& hook : hooks) {
      const Webhook& w = *hook;
      if (!rules_match(w, attributes)) continue;
      if (!object_selector_matches(w, r.object, r.old_object)) continue;
      if (needs_namespace_labels(w, attributes)) {
        KUBE_ASSIGN_OR_RETURN(const Value* labels, namespace_labels.get());
        if (!namespace_selector_matches(w, attributes, labels)) continue;
      }
      // A webhook skipped in the first round is not called for the first time in the second.
      if (round == 1 && to_reinvoke.count(w.id) == 0) continue;
      if (r.dry_run && !dry_run_safe(w)) return dry_run_unsupported(w);

      auto started = std::chrono::steady_clock::now();
      CallResult result = call(w, r, r.object, true);
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      bool rejected =
          !result.answer ? w.failure_policy == FailurePolicy::kFail : !result.answer->allowed;
      metrics_->duration.with_labels({w.name, op, rejected ? "true" : "false", "admit"})
          .observe(seconds);
      if (!result.answer) {
        kube::log::info(
            "failed calling webhook",
            {{"webhook", w.name},
             {"configuration", w.configuration},
             {"failurePolicy", w.failure_policy == FailurePolicy::kFail ? "Fail" : "Ignore"},
             {"operation", op},
             {"resource", r.resource->plural},
             {"namespace", r.namespace_},
             {"name", r.name},
             {"error", result.error}});
        if (w.failure_policy == FailurePolicy::kIgnore) {
          metrics_->fail_open.with_labels({w.name, "admit"}).inc();
          continue;
        }
        metrics_->rejections.with_labels({w.name, "admit", op, "calling_webhook_error", "0"}).inc();
        return errors::internal("failed calling webhook " + go_quote(w.name) + ": " + result.error);
      }
      ReviewResponse& answer = *result.answer;
      if (r.warnings != nullptr) {
        r.warnings->insert(r.warnings->end(), answer.warnings.begin(), answer.warnings.end());
      }
      if (!answer.allowed) {
        ApiError denial = webhook_denial(w.name, answer);
        metrics_->rejections
            .with_labels({w.name, "admit", op, "no_error", std::to_string(denial.code)})
            .inc();
        return denial;
      }
      bool changed = false;
      if (!answer.patch.empty() && r.object != nullptr) {
        auto operations = json::parse(answer.patch);
        if (!operations.ok()) {
          return errors::internal("decoding the JSON patch of webhook " + go_quote(w.name) + ": " +
                                  operations.error().message);
        }
        json::Document patched = json::copy(*r.object);
        auto applied = kube::patch::apply_json_patch(patched, *operations);
        if (!applied.ok()) {
          return errors::internal("applying the JSON patch of webhook " + go_quote(w.name) + ": " +
                                  applied.error().message);
        }
        changed = !json::equal(patched, *r.object);
        // Copied into the request's document rather than swapped in: callers hold references
        // to its allocator across admission.
        if (changed) {
          static_cast<Value&>(*r.object).CopyFrom(patched, r.object->GetAllocator());
          // The apiserver decodes the patched object into its type, which defaults it again
          // (a volume or container added by the webhook gets its defaults before storage).
          if (r.subresource.empty() || r.subresource == "status") {
            r.resource->strategy->apply_defaults(*r.object, r.object->GetAllocator());
          }
        }
      }
      if (changed) {
        changed_any = true;
        to_reinvoke.insert(invoked_since_change.begin(), invoked_since_change.end());
        invoked_since_change.clear();
      }
      // A webhook reinvoked once is never reinvoked again.
      if (w.reinvoke_if_needed && to_reinvoke.count(w.id) == 0) invoked_since_change.insert(w.id);
    }
  }
  return {};
}

ApiStatus WebhookAdmission::call_validating(const Webhook& w, const AdmissionRequest& r,
                                            std::vector<std::string>& warnings) {
  Caller call{caller_, [this](const std::string& key) { return service_address(key); }};
  const std::string op = operation_label(r.operation);
  auto started = std::chrono::steady_clock::now();
  CallResult result = call(w, r, r.object, false);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  bool rejected =
      !result.answer ? w.failure_policy == FailurePolicy::kFail : !result.answer->allowed;
  metrics_->duration.with_labels({w.name, op, rejected ? "true" : "false", "validating"})
      .observe(seconds);
  if (!result.answer) {
    kube::log::info(
        "failed calling webhook",
        {{"webhook", w.name},
         {"configuration", w.configuration},
         {"failurePolicy", w.failure_policy == FailurePolicy::kFail ? "Fail" : "Ignore"},
         {"operation", op},
         {"resource", r.resource->plural},
         {"namespace", r.namespace_},
         {"name", r.name},
         {"error", result.error}});
    if (w.failure_policy == FailurePolicy::kIgnore) {
      metrics_->fail_open.with_labels({w.name, "validating"}).inc();
      return {};
    }
    metrics_->rejections.with_labels({w.name, "validating", op, "calling_webhook_error", "0"})
        .inc();
    return errors::internal("failed calling webhook " + go_quote(w.name) + ": " + result.error);
  }
  warnings = std::move(result.answer->warnings);
  if (!result.answer->allowed) {
    ApiError denial = webhook_denial(w.name, *result.answer);
    metrics_->rejections
        .with_labels({w.name, "validating", op, "no_error", std::to_string(denial.code)})
        .inc();
    return denial;
  }
  return {};
}

ApiStatus WebhookAdmission::run_validating(const AdmissionRequest& r) {
  if (!r.resource || configures_admission(*r.resource)) return {};
  auto hooks = webhooks(false);
  if (hooks.empty()) return {};
  MatchAttributes attributes = attributes_of(r);
  NamespaceLabels namespace_labels(api_, r, attributes);
  std::vector<const Webhook*> matching;
  for (const auto& hook : hooks) {
    const Webhook& w = *hook;
    if (!rules_match(w, attributes)) continue;
    if (!object_selector_matches(w, r.object, r.old_object)) continue;
    if (needs_namespace_labels(w, attributes)) {
      KUBE_ASSIGN_OR_RETURN(const Value* labels, namespace_labels.get());
      if (!namespace_selector_matches(w, attributes, labels)) continue;
    }
    if (r.dry_run && !dry_run_safe(w)) return dry_run_unsupported(w);
    matching.push_back(&w);
  }
  if (matching.empty()) return {};
  // In parallel, as the apiserver does; the outcome is reported in webhook order so the
  // client's error does not depend on which answer came first.
  std::vector<std::vector<std::string>> warnings(matching.size());
  // The first on this thread, the others on their own.
  std::vector<std::future<ApiStatus>> pending(matching.size());
  for (std::size_t i = 1; i < matching.size(); ++i) {
    try {
      pending[i] = std::async(std::launch::async, [this, &matching, &r, &warnings, i] {
        return call_validating(*matching[i], r, warnings[i]);
      });
    } catch (const std::system_error&) {
      // No thread to be had: pending[i] stays empty and the call is made below.
    }
  }
  std::vector<ApiStatus> results(matching.size());
  for (std::size_t i = 0; i < matching.size(); ++i) {
    results[i] =
        pending[i].valid() ? pending[i].get() : call_validating(*matching[i], r, warnings[i]);
  }
  if (r.warnings != nullptr) {
    for (auto& w : warnings)
      r.warnings->insert(r.warnings->end(), w.begin(), w.end());
  }
  for (auto& result : results) {
    if (!result.ok()) return result;
  }
  return {};
}

}  // namespace berth::sim
