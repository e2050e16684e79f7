#include "controllers/rollout/spec.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "controllers/rollout/duration.h"
#include "kube/core/strings.h"

namespace berth::rollout {
namespace json = kube::json;

std::string FieldError::to_string() const {
  std::string out = field + ": ";
  switch (type) {
    case Type::kRequired:
      out += "Required value";
      break;
    case Type::kInvalid:
      out += "Invalid value: " + value;
      break;
    case Type::kForbidden:
      out += "Forbidden";
      break;
    case Type::kNotSupported:
      out += "Unsupported value: " + value;
      break;
    case Type::kDuplicate:
      out += "Duplicate value: " + value;
      break;
  }
  if (!detail.empty()) out += ": " + detail;
  return out;
}

std::string_view FieldError::cause_reason() const {
  switch (type) {
    case Type::kRequired:
      return "FieldValueRequired";
    case Type::kInvalid:
      return "FieldValueInvalid";
    case Type::kForbidden:
      return "FieldValueForbidden";
    case Type::kNotSupported:
      return "FieldValueNotSupported";
    case Type::kDuplicate:
      return "FieldValueDuplicate";
  }
  return "FieldValueInvalid";
}

kube::Error invalid_error(std::string_view name, const std::vector<FieldError>& errors) {
  std::string message = "Rollout.berth.dev \"" + std::string(name) + "\" is invalid: ";
  if (errors.size() == 1) {
    message += errors.front().to_string();
  } else {
    message += "[";
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (i > 0) message += ", ";
      message += errors[i].to_string();
    }
    message += "]";
  }
  kube::Error error = kube::Error::make(kube::Reason::kInvalid, std::move(message), 422);
  error.name = std::string(name);
  error.kind = "Rollout";
  for (const FieldError& e : errors) {
    std::string cause_message = e.to_string().substr(e.field.size() + 2);
    error.causes.push_back({std::string(e.cause_reason()), std::move(cause_message), e.field});
  }
  return error;
}

int IntOrPercent::resolve(int total, bool round_up) const {
  if (!percent) return value;
  double scaled = static_cast<double>(total) * value / 100.0;
  return static_cast<int>(round_up ? std::ceil(scaled) : std::floor(scaled));
}

std::string IntOrPercent::to_string() const {
  return std::to_string(value) + (percent ? "%" : "");
}

std::string CanaryStep::describe() const {
  switch (kind) {
    case Kind::kSetWeight:
      return "setWeight " + std::to_string(weight);
    case Kind::kPause:
      return pause ? "pause " + format_duration(*pause) : "pause";
    case Kind::kAnalysis:
      return "analysis";
  }
  return "";
}

int RolloutSpec::max_surge(int replicas) const {
  if (!is_canary()) return replicas;
  int surge = canary.max_surge.resolve(replicas, true);
  int unavailable = canary.max_unavailable.resolve(replicas, false);
  // Both rounding to zero would leave no room to move; a surge of one keeps every pod serving.
  if (surge == 0 && unavailable == 0) surge = 1;
  return surge;
}

int RolloutSpec::max_unavailable(int replicas) const {
  if (!is_canary()) return 0;
  return std::min(replicas, canary.max_unavailable.resolve(replicas, false));
}

namespace {

constexpr int kMaxInt32 = std::numeric_limits<int>::max();

std::string quoted(std::string_view s) {
  json::Document d;
  json::Value v = json::make_string(s, d.GetAllocator());
  return json::dump(v);
}

bool is_dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

bool is_dns1035_label(std::string_view s) {
  return is_dns1123_label(s) && s.front() >= 'a' && s.front() <= 'z';
}

bool is_dns1123_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (std::string_view part : kube::split(s, '.')) {
    if (!is_dns1123_label(part)) return false;
  }
  return true;
}

constexpr std::string_view kDns1035Detail =
    "must be a DNS-1035 label: lower case alphanumeric characters or '-', starting with a "
    "letter and ending with an alphanumeric character, at most 63 characters";
constexpr std::string_view kDns1123LabelDetail =
    "must be a DNS-1123 label: lower case alphanumeric characters or '-', starting and ending "
    "with an alphanumeric character, at most 63 characters";

// Walks the spec, applying defaults and collecting every problem with its path.
class SpecParser {
 public:
  std::vector<FieldError> errors;

  void add(FieldError::Type type, std::string field, std::string value, std::string detail) {
    errors.push_back({type, std::move(field), std::move(value), std::move(detail)});
  }
  void required(const std::string& field, std::string detail = {}) {
    add(FieldError::Type::kRequired, field, {}, std::move(detail));
  }
  void invalid(const std::string& field, const json::Value& value, std::string detail) {
    add(FieldError::Type::kInvalid, field, json::dump(value), std::move(detail));
  }
  void invalid_text(const std::string& field, std::string value, std::string detail) {
    add(FieldError::Type::kInvalid, field, std::move(value), std::move(detail));
  }
  void forbidden(const std::string& field, std::string detail) {
    add(FieldError::Type::kForbidden, field, {}, std::move(detail));
  }

  // The member `key` of `object` when present and not null; an error when it has another type
  // than wanted is the caller's to report.
  static const json::Value* member(const json::Value& object, std::string_view key) {
    const json::Value* v = json::find(object, key);
    return (v != nullptr && !v->IsNull()) ? v : nullptr;
  }

  std::optional<int> integer(const json::Value& object, std::string_view key,
                             const std::string& path, int min, int max) {
    const json::Value* v = member(object, key);
    if (v == nullptr) return std::nullopt;
    if (!v->IsInt64()) {
      invalid(path, *v, "must be an integer");
      return std::nullopt;
    }
    std::int64_t n = v->GetInt64();
    if (n < min || n > max) {
      std::string detail;
      if (max == kMaxInt32) {
        detail = "must be greater than or equal to " + std::to_string(min);
      } else {
        detail = "must be between " + std::to_string(min) + " and " + std::to_string(max);
      }
      invalid(path, *v, std::move(detail));
      return std::nullopt;
    }
    return static_cast<int>(n);
  }

  std::optional<std::string> string(const json::Value& object, std::string_view key,
                                    const std::string& path) {
    const json::Value* v = member(object, key);
    if (v == nullptr) return std::nullopt;
    if (!v->IsString()) {
      invalid(path, *v, "must be a string");
      return std::nullopt;
    }
    return std::string(json::as_string(*v));
  }

  std::optional<bool> boolean(const json::Value& object, std::string_view key,
                              const std::string& path) {
    const json::Value* v = member(object, key);
    if (v == nullptr) return std::nullopt;
    if (!v->IsBool()) {
      invalid(path, *v, "must be a boolean");
      return std::nullopt;
    }
    return v->GetBool();
  }

  const json::Value* object(const json::Value& parent, std::string_view key,
                            const std::string& path) {
    const json::Value* v = member(parent, key);
    if (v == nullptr) return nullptr;
    if (!v->IsObject()) {
      invalid(path, *v, "must be an object");
      return nullptr;
    }
    return v;
  }

  std::optional<std::chrono::milliseconds> duration(const json::Value& object, std::string_view key,
                                                    const std::string& path) {
    const json::Value* v = member(object, key);
    if (v == nullptr) return std::nullopt;
    if (v->IsInt64() && v->GetInt64() >= 0 && v->GetInt64() <= 3'600'000'000LL) {
      return std::chrono::milliseconds(v->GetInt64() * 1000);
    }
    if (v->IsString()) {
      if (auto d = parse_duration(json::as_string(*v))) return d;
    }
    invalid(path, *v,
            "must be a duration such as \"30s\", \"5m\" or \"1h30m\" (units ms, s, m, h), or a "
            "number of seconds");
    return std::nullopt;
  }

  std::optional<IntOrPercent> int_or_percent(const json::Value& object, std::string_view key,
                                             const std::string& path) {
    const json::Value* v = member(object, key);
    if (v == nullptr) return std::nullopt;
    if (v->IsInt64()) {
      if (v->GetInt64() < 0 || v->GetInt64() > kMaxInt32) {
        invalid(path, *v, "must be greater than or equal to 0");
        return std::nullopt;
      }
      return IntOrPercent{static_cast<int>(v->GetInt64()), false};
    }
    if (v->IsString()) {
      std::string_view s = json::as_string(*v);
      if (s.size() >= 2 && s.back() == '%') {
        if (auto n = kube::parse_int(s.substr(0, s.size() - 1));
            n && *n >= 0 && *n <= 100 && s.front() != '+' && s.front() != '-') {
          return IntOrPercent{static_cast<int>(*n), true};
        }
      }
    }
    invalid(path, *v,
            "must be a non-negative integer or a percentage between 0% and 100% (e.g. 1 or "
            "\"25%\")");
    return std::nullopt;
  }

  void service_name(const json::Value& object, std::string_view key, const std::string& path,
                    std::string& out) {
    if (auto s = string(object, key, path)) {
      if (!is_dns1035_label(*s)) {
        invalid_text(path, quoted(*s), std::string(kDns1035Detail));
      } else {
        out = *s;
      }
    }
  }

  RolloutSpec parse(const json::Value& spec) {
    RolloutSpec out;
    if (!spec.IsObject()) {
      if (spec.IsNull()) {
        required("spec");
      } else {
        invalid("spec", spec, "must be an object");
      }
      return out;
    }
    out.replicas = integer(spec, "replicas", "spec.replicas", 0, kMaxInt32);
    parse_selector(spec, out);
    parse_workload(spec, out);
    if (auto v = integer(spec, "minReadySeconds", "spec.minReadySeconds", 0, kMaxInt32)) {
      out.min_ready_seconds = *v;
    }
    if (auto v = integer(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit", 0, 1000)) {
      out.revision_history_limit = *v;
    }
    if (auto v = integer(spec, "progressDeadlineSeconds", "spec.progressDeadlineSeconds", 1,
                         kMaxInt32)) {
      out.progress_deadline_seconds = *v;
    }
    if (member(spec, "progressDeadlineSeconds") != nullptr &&
        out.progress_deadline_seconds <= out.min_ready_seconds) {
      invalid("spec.progressDeadlineSeconds", *json::find(spec, "progressDeadlineSeconds"),
              "must be greater than minReadySeconds");
    }
    if (auto v = boolean(spec, "paused", "spec.paused")) out.paused = *v;
    parse_strategy(spec, out);
    return out;
  }

  void parse_selector(const json::Value& spec, RolloutSpec& out) {
    const json::Value* selector = member(spec, "selector");
    if (selector == nullptr) {
      required("spec.selector");
      return;
    }
    if (!selector->IsObject()) {
      invalid("spec.selector", *selector, "must be an object");
      return;
    }
    auto parsed = kube::LabelSelector::from_json(*selector);
    if (!parsed.ok()) {
      invalid("spec.selector", *selector, parsed.error().message);
      return;
    }
    if (parsed->empty()) {
      invalid("spec.selector", *selector, "empty selector is invalid for a Rollout");
      return;
    }
    out.selector_json = json::copy(*selector);
    out.selector = std::move(parsed).value();
  }

  void parse_workload(const json::Value& spec, RolloutSpec& out) {
    const json::Value* tmpl = member(spec, "template");
    const json::Value* ref = member(spec, "workloadRef");
    if (tmpl != nullptr && ref != nullptr) {
      forbidden("spec.workloadRef", "may not be set together with spec.template; set exactly one");
      return;
    }
    if (tmpl == nullptr && ref == nullptr) {
      required("spec.template", "set exactly one of spec.template and spec.workloadRef");
      return;
    }
    if (tmpl != nullptr) {
      parse_template(*tmpl, out);
    } else {
      parse_workload_ref(*ref, out);
    }
  }

  void parse_template(const json::Value& tmpl, RolloutSpec& out) {
    if (!tmpl.IsObject()) {
      invalid("spec.template", tmpl, "must be an object");
      return;
    }
    const json::Value* labels = json::find_path(tmpl, {"metadata", "labels"});
    if (labels == nullptr || !labels->IsObject() || labels->MemberCount() == 0) {
      required("spec.template.metadata.labels");
    } else if (!out.selector.empty() && !out.selector.matches(labels)) {
      invalid("spec.template.metadata.labels", *labels,
              "`selector` does not match template `labels`");
    } else if (json::find(*labels, "berth.dev/pod-template-hash") != nullptr) {
      forbidden("spec.template.metadata.labels",
                "berth.dev/pod-template-hash is set by the controller");
    }
    const json::Value* containers = json::find_path(tmpl, {"spec", "containers"});
    if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
      required("spec.template.spec.containers");
    }
    out.pod_template = json::copy(tmpl);
  }

  void parse_workload_ref(const json::Value& ref, RolloutSpec& out) {
    if (!ref.IsObject()) {
      invalid("spec.workloadRef", ref, "must be an object");
      return;
    }
    WorkloadRef w;
    if (auto v = string(ref, "apiVersion", "spec.workloadRef.apiVersion")) {
      if (*v != "apps/v1") {
        add(FieldError::Type::kNotSupported, "spec.workloadRef.apiVersion", quoted(*v),
            "supported values: \"apps/v1\"");
      }
    }
    if (auto v = string(ref, "kind", "spec.workloadRef.kind")) {
      if (*v != "Deployment") {
        add(FieldError::Type::kNotSupported, "spec.workloadRef.kind", quoted(*v),
            "supported values: \"Deployment\"");
      }
    }
    auto name = string(ref, "name", "spec.workloadRef.name");
    if (!name || name->empty()) {
      if (member(ref, "name") == nullptr || name) required("spec.workloadRef.name");
    } else if (!is_dns1123_subdomain(*name)) {
      invalid_text("spec.workloadRef.name", quoted(*name),
                   "must be a DNS-1123 subdomain: lower case alphanumeric characters, '-' or "
                   "'.', at most 253 characters");
    } else {
      w.name = *name;
    }
    out.workload_ref = std::move(w);
  }

  void parse_strategy(const json::Value& spec, RolloutSpec& out) {
    const json::Value* strategy = object(spec, "strategy", "spec.strategy");
    if (strategy == nullptr) return;  // default: canary without steps (a rolling update)
    const json::Value* canary = object(*strategy, "canary", "spec.strategy.canary");
    const json::Value* blue_green = object(*strategy, "blueGreen", "spec.strategy.blueGreen");
    if (canary != nullptr && blue_green != nullptr) {
      forbidden("spec.strategy.blueGreen",
                "may not be set together with spec.strategy.canary; set exactly one");
      return;
    }
    if (blue_green != nullptr) {
      out.strategy = RolloutSpec::Strategy::kBlueGreen;
      parse_blue_green(*blue_green, out.blue_green);
    } else if (canary != nullptr) {
      parse_canary(*canary, out.canary);
    }
  }

  void parse_canary(const json::Value& c, CanaryStrategy& out) {
    const std::string base = "spec.strategy.canary";
    if (auto v = int_or_percent(c, "maxSurge", base + ".maxSurge")) out.max_surge = *v;
    if (auto v = int_or_percent(c, "maxUnavailable", base + ".maxUnavailable")) {
      out.max_unavailable = *v;
    }
    if (out.max_surge.value == 0 && out.max_unavailable.value == 0 &&
        member(c, "maxUnavailable") != nullptr) {
      invalid(base + ".maxUnavailable", *json::find(c, "maxUnavailable"),
              "may not be 0 when maxSurge is 0");
    }
    service_name(c, "stableService", base + ".stableService", out.stable_service);
    service_name(c, "canaryService", base + ".canaryService", out.canary_service);
    if (!out.stable_service.empty() && out.stable_service == out.canary_service) {
      invalid_text(base + ".canaryService", quoted(out.canary_service),
                   "must differ from stableService");
    }
    if (const json::Value* steps = member(c, "steps")) {
      if (!steps->IsArray()) {
        invalid(base + ".steps", *steps, "must be an array");
      } else if (steps->Size() > 100) {
        invalid_text(base + ".steps", std::to_string(steps->Size()) + " steps",
                     "must have at most 100 items");
      } else {
        for (rapidjson::SizeType i = 0; i < steps->Size(); ++i) {
          out.steps.push_back(parse_step((*steps)[i], base + ".steps[" + std::to_string(i) + "]"));
        }
      }
    }
    if (const json::Value* a = object(c, "analysis", base + ".analysis")) {
      out.analysis = parse_analysis(*a, base + ".analysis");
    }
  }

  CanaryStep parse_step(const json::Value& step, const std::string& path) {
    CanaryStep out;
    if (!step.IsObject()) {
      invalid(path, step, "must be an object");
      return out;
    }
    int kinds = 0;
    if (member(step, "setWeight") != nullptr) {
      ++kinds;
      out.kind = CanaryStep::Kind::kSetWeight;
      if (auto w = integer(step, "setWeight", path + ".setWeight", 0, 100)) out.weight = *w;
    }
    if (const json::Value* pause = member(step, "pause")) {
      ++kinds;
      out.kind = CanaryStep::Kind::kPause;
      if (!pause->IsObject()) {
        invalid(path + ".pause", *pause, "must be an object");
      } else {
        out.pause = duration(*pause, "duration", path + ".pause.duration");
      }
    }
    if (const json::Value* analysis = member(step, "analysis")) {
      ++kinds;
      out.kind = CanaryStep::Kind::kAnalysis;
      if (!analysis->IsObject()) {
        invalid(path + ".analysis", *analysis, "must be an object");
      } else {
        out.analysis = parse_analysis(*analysis, path + ".analysis");
      }
    }
    if (kinds != 1) {
      invalid(path, step,
              kinds == 0 ? "must set one of setWeight, pause or analysis"
                         : "must set only one of setWeight, pause or analysis");
    }
    return out;
  }

  void parse_blue_green(const json::Value& b, BlueGreenStrategy& out) {
    const std::string base = "spec.strategy.blueGreen";
    service_name(b, "activeService", base + ".activeService", out.active_service);
    if (member(b, "activeService") == nullptr) required(base + ".activeService");
    service_name(b, "previewService", base + ".previewService", out.preview_service);
    if (!out.active_service.empty() && out.active_service == out.preview_service) {
      invalid_text(base + ".previewService", quoted(out.preview_service),
                   "must differ from activeService");
    }
    if (auto v = boolean(b, "autoPromotion", base + ".autoPromotion")) out.auto_promotion = *v;
    if (auto v =
            integer(b, "scaleDownDelaySeconds", base + ".scaleDownDelaySeconds", 0, kMaxInt32)) {
      out.scale_down_delay_seconds = *v;
    }
    if (const json::Value* a = object(b, "prePromotionAnalysis", base + ".prePromotionAnalysis")) {
      out.pre_promotion_analysis = parse_analysis(*a, base + ".prePromotionAnalysis");
    }
  }

  AnalysisSpec parse_analysis(const json::Value& a, const std::string& path) {
    AnalysisSpec out;
    const json::Value* checks = member(a, "checks");
    if (checks == nullptr) {
      required(path + ".checks");
      return out;
    }
    if (!checks->IsArray() || checks->Empty()) {
      invalid(path + ".checks", *checks, "must be a non-empty array");
      return out;
    }
    std::set<std::string> names;
    for (rapidjson::SizeType i = 0; i < checks->Size(); ++i) {
      std::string p = path + ".checks[" + std::to_string(i) + "]";
      AnalysisCheck check = parse_check((*checks)[i], p);
      if (!check.name.empty() && !names.insert(check.name).second) {
        add(FieldError::Type::kDuplicate, p + ".name", quoted(check.name), {});
      }
      out.checks.push_back(std::move(check));
    }
    return out;
  }

  AnalysisCheck parse_check(const json::Value& c, const std::string& path) {
    AnalysisCheck out;
    if (!c.IsObject()) {
      invalid(path, c, "must be an object");
      return out;
    }
    if (auto name = string(c, "name", path + ".name")) {
      if (!is_dns1123_label(*name)) {
        invalid_text(path + ".name", quoted(*name), std::string(kDns1123LabelDetail));
      } else {
        out.name = *name;
      }
    } else if (member(c, "name") == nullptr) {
      required(path + ".name");
    }
    if (auto d = duration(c, "interval", path + ".interval")) {
      if (*d < std::chrono::seconds(1)) {
        invalid(path + ".interval", *json::find(c, "interval"), "must be at least 1s");
      } else {
        out.interval = *d;
      }
    }
    if (auto v = integer(c, "count", path + ".count", 1, 10'000)) out.count = *v;
    if (auto v = integer(c, "failureLimit", path + ".failureLimit", 0, 10'000)) {
      out.failure_limit = *v;
    }
    int kinds = 0;
    if (const json::Value* r = member(c, "podReadiness")) {
      ++kinds;
      out.kind = AnalysisCheck::Kind::kPodReadiness;
      if (!r->IsObject()) invalid(path + ".podReadiness", *r, "must be an object");
    }
    if (const json::Value* r = member(c, "restarts")) {
      ++kinds;
      out.kind = AnalysisCheck::Kind::kRestarts;
      if (!r->IsObject()) {
        invalid(path + ".restarts", *r, "must be an object");
      } else if (auto v =
                     integer(*r, "maxRestarts", path + ".restarts.maxRestarts", 0, kMaxInt32)) {
        out.max_restarts = *v;
      }
    }
    if (const json::Value* h = member(c, "http")) {
      ++kinds;
      out.kind = AnalysisCheck::Kind::kHttp;
      if (!h->IsObject()) {
        invalid(path + ".http", *h, "must be an object");
      } else {
        parse_http(*h, path + ".http", out.http);
      }
    }
    if (kinds != 1) {
      invalid(path, c,
              kinds == 0 ? "must set one of podReadiness, restarts or http"
                         : "must set only one of podReadiness, restarts or http");
    }
    return out;
  }

  void parse_http(const json::Value& h, const std::string& path, HttpCheck& out) {
    auto url = string(h, "url", path + ".url");
    if (!url) {
      if (member(h, "url") == nullptr) required(path + ".url");
    } else {
      std::string_view u = *url;
      std::string_view rest;
      if (u.starts_with("http://")) {
        rest = u.substr(7);
      } else if (u.starts_with("https://")) {
        rest = u.substr(8);
      }
      if (rest.empty() || rest.front() == '/' || rest.front() == ':' ||
          u.find_first_of(" \t\r\n") != std::string_view::npos) {
        invalid_text(path + ".url", quoted(u), "must be an http:// or https:// URL with a host");
      } else {
        out.url = *url;
      }
    }
    if (auto v = integer(h, "timeoutSeconds", path + ".timeoutSeconds", 1, 60)) {
      out.timeout = std::chrono::seconds(*v);
    }
    if (const json::Value* headers = member(h, "headers")) {
      if (!headers->IsArray()) {
        invalid(path + ".headers", *headers, "must be an array");
      } else {
        for (rapidjson::SizeType i = 0; i < headers->Size(); ++i) {
          std::string p = path + ".headers[" + std::to_string(i) + "]";
          const json::Value& item = (*headers)[i];
          if (!item.IsObject()) {
            invalid(p, item, "must be an object");
            continue;
          }
          auto name = string(item, "name", p + ".name");
          auto value = string(item, "value", p + ".value");
          bool name_ok =
              name && !name->empty() && name->find_first_of(" \t\r\n:") == std::string::npos;
          bool value_ok = value && value->find_first_of("\r\n") == std::string::npos;
          if (!name_ok) {
            if (name) {
              invalid_text(p + ".name", quoted(*name), "must be a valid HTTP header name");
            } else if (member(item, "name") == nullptr) {
              required(p + ".name");
            }
          }
          if (value && !value_ok) {
            invalid_text(p + ".value", "\"<redacted>\"", "must not contain line breaks");
          }
          if (name_ok && value_ok) out.headers.push_back({*name, *value});
        }
      }
    }
    if (const json::Value* sc = object(h, "successCondition", path + ".successCondition")) {
      std::string p = path + ".successCondition";
      if (const json::Value* codes = member(*sc, "statusCodes")) {
        if (!codes->IsArray()) {
          invalid(p + ".statusCodes", *codes, "must be an array");
        } else {
          for (rapidjson::SizeType i = 0; i < codes->Size(); ++i) {
            const json::Value& code = (*codes)[i];
            if (!code.IsInt() || code.GetInt() < 100 || code.GetInt() > 599) {
              invalid(p + ".statusCodes[" + std::to_string(i) + "]", code,
                      "must be an HTTP status code between 100 and 599");
            } else {
              out.status_codes.push_back(code.GetInt());
            }
          }
        }
      }
      if (auto field = string(*sc, "jsonField", p + ".jsonField")) out.json_field = *field;
      int comparisons = 0;
      if (const json::Value* eq = member(*sc, "equals")) {
        ++comparisons;
        if (eq->IsString()) {
          out.equals = std::string(json::as_string(*eq));
        } else if (eq->IsNumber() || eq->IsBool()) {
          out.equals = json::dump(*eq);
        } else {
          invalid(p + ".equals", *eq, "must be a string, number or boolean");
        }
      }
      auto number = [&](std::string_view key, std::optional<double>& slot) {
        if (const json::Value* v = member(*sc, key)) {
          ++comparisons;
          if (!v->IsNumber()) {
            invalid(p + "." + std::string(key), *v, "must be a number");
          } else {
            slot = v->GetDouble();
          }
        }
      };
      number("lessThan", out.less_than);
      number("greaterThan", out.greater_than);
      if (comparisons > 1) {
        forbidden(p, "set at most one of equals, lessThan and greaterThan");
      }
      if (comparisons > 0 && out.json_field.empty()) {
        required(p + ".jsonField", "equals, lessThan and greaterThan compare a JSON field");
      }
      if (comparisons == 0 && !out.json_field.empty()) {
        required(p + ".equals", "jsonField needs one of equals, lessThan or greaterThan");
      }
    }
  }
};

}  // namespace

kube::Result<RolloutSpec> parse_spec(const json::Value& spec, std::string_view name) {
  SpecParser parser;
  RolloutSpec out = parser.parse(spec);
  if (!parser.errors.empty()) return invalid_error(name, parser.errors);
  return out;
}

std::vector<FieldError> validate_spec(const json::Value& spec) {
  SpecParser parser;
  parser.parse(spec);
  return std::move(parser.errors);
}

}  // namespace berth::rollout
