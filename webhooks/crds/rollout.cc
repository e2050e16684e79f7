#include "webhooks/crds/rollout.h"

#include <optional>

#include "kube/api/selector.h"
#include "kube/core/strings.h"
#include "webhooks/config/names.h"

namespace berth::webhooks {

namespace json = kube::json;

bool valid_duration(std::string_view text) {
  if (text.empty()) return false;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9')
      ++i;
    if (i == digits || i - digits > 9) return false;
    std::string_view rest = text.substr(i);
    if (rest.starts_with("ms")) {
      i += 2;
    } else if (rest.starts_with("s") || rest.starts_with("m") || rest.starts_with("h")) {
      i += 1;
    } else {
      return false;
    }
  }
  return true;
}

namespace {

const json::Value& or_null(const json::Value* v) {
  static const json::Value kNull;
  return v != nullptr ? *v : kNull;
}

// "25%" or a non-negative integer; sets `zero` when the amount is 0.
bool int_or_percent(const json::Value& v, bool& zero) {
  if (v.IsInt64()) {
    zero = v.GetInt64() == 0;
    return v.GetInt64() >= 0;
  }
  if (!v.IsString()) return false;
  std::string_view s = json::as_string(v);
  if (!s.ends_with('%')) return false;
  auto n = kube::parse_int(s.substr(0, s.size() - 1));
  if (!n || *n < 0 || *n > 100) return false;
  zero = *n == 0;
  return true;
}

void non_negative(const json::Value& object, std::string_view key, const std::string& path,
                  FieldErrors& errors, bool strictly_positive = false) {
  const json::Value* v = json::find(object, key);
  if (v == nullptr || v->IsNull()) return;
  std::string field = path + "." + std::string(key);
  if (!v->IsInt64()) {
    errors.invalid(field, *v, "must be an integer");
  } else if (strictly_positive ? v->GetInt64() <= 0 : v->GetInt64() < 0) {
    errors.invalid(
        field, *v,
        strictly_positive ? "must be greater than 0" : "must be greater than or equal to 0");
  }
}

const json::Value* object_member(const json::Value& parent, std::string_view key) {
  const json::Value* v = json::find(parent, key);
  return v != nullptr && !v->IsNull() ? v : nullptr;
}

void validate_service_name(const json::Value& parent, std::string_view key, const std::string& path,
                           FieldErrors& errors) {
  const json::Value* v = object_member(parent, key);
  if (v == nullptr) return;
  std::string field = path + "." + std::string(key);
  if (!v->IsString()) {
    errors.invalid(field, *v, "must be the name of a Service");
  } else if (auto e = dns_label_error(json::as_string(*v)); !e.empty()) {
    errors.invalid(field, *v, "must be the name of a Service: " + e);
  }
}

void validate_steps(const json::Value& canary, const std::string& path, FieldErrors& errors) {
  const json::Value* steps = object_member(canary, "steps");
  if (steps == nullptr) return;
  std::string steps_path = path + ".steps";
  if (!steps->IsArray()) {
    errors.invalid(steps_path, *steps, "must be a list of steps");
    return;
  }
  for (rapidjson::SizeType i = 0; i < steps->Size(); ++i) {
    const json::Value& step = (*steps)[i];
    std::string field = steps_path + "[" + std::to_string(i) + "]";
    if (!step.IsObject()) {
      errors.invalid(field, step, "must be an object with one of setWeight, pause, analysis");
      continue;
    }
    int kinds = 0;
    for (std::string_view k : {"setWeight", "pause", "analysis"}) {
      kinds += object_member(step, k) != nullptr ? 1 : 0;
    }
    if (kinds != 1) {
      errors.invalid(field, step,
                     kinds == 0 ? "must set one of setWeight, pause or analysis"
                                : "must set only one of setWeight, pause or analysis; split it "
                                  "into separate steps");
      continue;
    }
    if (const json::Value* w = object_member(step, "setWeight")) {
      if (!w->IsInt64() || w->GetInt64() < 0 || w->GetInt64() > 100) {
        errors.invalid(field + ".setWeight", *w, "must be an integer between 0 and 100");
      }
    } else if (const json::Value* p = object_member(step, "pause")) {
      if (!p->IsObject()) {
        errors.invalid(field + ".pause", *p,
                       "must be an object: {} to wait for promotion, or {duration: 10m}");
      } else if (const json::Value* d = object_member(*p, "duration")) {
        bool ok = (d->IsInt64() && d->GetInt64() >= 0) ||
                  (d->IsString() && valid_duration(json::as_string(*d)));
        if (!ok) {
          errors.invalid(field + ".pause.duration", *d,
                         "must be a duration such as 30s, 10m, 1h30m, or whole seconds");
        }
      }
    } else if (const json::Value* a = object_member(step, "analysis")) {
      const json::Value* templates = a->IsObject() ? object_member(*a, "templates") : nullptr;
      if (templates == nullptr || !templates->IsArray() || templates->Empty()) {
        errors.required(field + ".analysis.templates", "list at least one {templateName: <name>}");
        continue;
      }
      for (rapidjson::SizeType t = 0; t < templates->Size(); ++t) {
        const json::Value& tmpl = (*templates)[t];
        std::string tfield = field + ".analysis.templates[" + std::to_string(t) + "].templateName";
        if (!tmpl.IsObject() || json::get_string(tmpl, "templateName").empty()) {
          errors.required(tfield);
        }
      }
    }
  }
}

void validate_canary(const json::Value& canary, const std::string& path, FieldErrors& errors) {
  if (!canary.IsObject()) {
    errors.invalid(path, canary, "must be an object");
    return;
  }
  validate_steps(canary, path, errors);
  bool surge_zero = false;
  bool unavailable_zero = false;
  bool surge_set = false;
  bool unavailable_set = false;
  if (const json::Value* v = object_member(canary, "maxSurge")) {
    surge_set = true;
    if (!int_or_percent(*v, surge_zero)) {
      errors.invalid(path + ".maxSurge", *v,
                     "must be a non-negative integer or a percentage "
                     "between 0% and 100%");
    }
  }
  if (const json::Value* v = object_member(canary, "maxUnavailable")) {
    unavailable_set = true;
    if (!int_or_percent(*v, unavailable_zero)) {
      errors.invalid(path + ".maxUnavailable", *v,
                     "must be a non-negative integer or a percentage between 0% and 100%");
    }
  }
  if (surge_set && unavailable_set && surge_zero && unavailable_zero) {
    errors.invalid(path + ".maxUnavailable", *object_member(canary, "maxUnavailable"),
                   "may not be 0 when maxSurge is 0: the rollout could never make progress");
  }
  validate_service_name(canary, "canaryService", path, errors);
  validate_service_name(canary, "stableService", path, errors);
  const json::Value* c = object_member(canary, "canaryService");
  const json::Value* s = object_member(canary, "stableService");
  if (c != nullptr && s != nullptr && c->IsString() && s->IsString() &&
      json::as_string(*c) == json::as_string(*s)) {
    errors.invalid(path + ".stableService", *s, "must differ from canaryService");
  }
}

void validate_blue_green(const json::Value& bg, const std::string& path, FieldErrors& errors) {
  if (!bg.IsObject()) {
    errors.invalid(path, bg, "must be an object");
    return;
  }
  if (object_member(bg, "activeService") == nullptr) {
    errors.required(path + ".activeService", "name the Service that receives production traffic");
  }
  validate_service_name(bg, "activeService", path, errors);
  validate_service_name(bg, "previewService", path, errors);
  const json::Value* active = object_member(bg, "activeService");
  const json::Value* preview = object_member(bg, "previewService");
  if (active != nullptr && preview != nullptr && active->IsString() && preview->IsString() &&
      json::as_string(*active) == json::as_string(*preview)) {
    errors.invalid(path + ".previewService", *preview, "must differ from activeService");
  }
  if (const json::Value* v = object_member(bg, "autoPromotionEnabled");
      v != nullptr && !v->IsBool()) {
    errors.invalid(path + ".autoPromotionEnabled", *v, "must be true or false");
  }
  non_negative(bg, "autoPromotionSeconds", path, errors);
  non_negative(bg, "scaleDownDelaySeconds", path, errors);
}

}  // namespace

void validate_rollout(const json::Value& rollout, const json::Value* old_rollout,
                      FieldErrors& errors) {
  const json::Value* spec = object_member(rollout, "spec");
  if (spec == nullptr || !spec->IsObject()) {
    errors.required("spec");
    return;
  }
  non_negative(*spec, "replicas", "spec", errors);
  non_negative(*spec, "revisionHistoryLimit", "spec", errors);
  non_negative(*spec, "progressDeadlineSeconds", "spec", errors, /*strictly_positive=*/true);

  const json::Value* selector_json = object_member(*spec, "selector");
  std::optional<kube::LabelSelector> selector;
  if (selector_json == nullptr) {
    errors.required("spec.selector", "set matchLabels that select the rollout's pods");
  } else if (!selector_json->IsObject()) {
    errors.invalid("spec.selector", *selector_json, "must be a label selector");
  } else {
    auto parsed = kube::LabelSelector::from_json(*selector_json);
    if (!parsed.ok()) {
      errors.invalid("spec.selector", *selector_json, parsed.error().message);
    } else if (parsed->empty()) {
      errors.invalid("spec.selector", *selector_json,
                     "empty selector would select every pod in the namespace; set matchLabels");
    } else {
      selector = std::move(parsed).value();
    }
  }
  if (old_rollout != nullptr && selector_json != nullptr) {
    const json::Value* old_selector = json::find_path(*old_rollout, {"spec", "selector"});
    if (old_selector != nullptr && !json::equal(*old_selector, *selector_json)) {
      errors.invalid("spec.selector", *selector_json,
                     "field is immutable; create a new Rollout to change the selector");
    }
  }

  const json::Value* tmpl = object_member(*spec, "template");
  const json::Value* ref = object_member(*spec, "workloadRef");
  if (tmpl == nullptr && ref == nullptr) {
    errors.required("spec.template",
                    "set either template (a pod template) or workloadRef (an "
                    "existing Deployment)");
  } else if (tmpl != nullptr && ref != nullptr) {
    errors.forbidden("spec.workloadRef", "may not be set together with spec.template; keep one");
  }
  if (tmpl != nullptr) {
    if (!tmpl->IsObject()) {
      errors.invalid("spec.template", *tmpl, "must be a pod template");
    } else {
      const json::Value* labels = json::find_path(*tmpl, {"metadata", "labels"});
      if (selector &&
          !selector->matches(labels != nullptr && labels->IsObject() ? labels : nullptr)) {
        errors.invalid("spec.template.metadata.labels", or_null(labels),
                       "`selector` does not match template `labels`; add the selector's labels "
                       "(" +
                           selector->to_string() + ") to the template");
      }
      const json::Value* containers = json::find_path(*tmpl, {"spec", "containers"});
      if (containers == nullptr || !containers->IsArray() || containers->Empty()) {
        errors.required("spec.template.spec.containers");
      }
    }
  }
  if (ref != nullptr) {
    if (!ref->IsObject()) {
      errors.invalid("spec.workloadRef", *ref, "must be {apiVersion, kind, name}");
    } else {
      std::string_view api_version = json::get_string(*ref, "apiVersion");
      std::string_view kind = json::get_string(*ref, "kind");
      if (json::get_string(*ref, "name").empty()) errors.required("spec.workloadRef.name");
      if (kind != "Deployment" || (!api_version.empty() && api_version != "apps/v1")) {
        errors.invalid("spec.workloadRef.kind", or_null(json::find(*ref, "kind")),
                       "only apps/v1 Deployment can be referenced");
      }
    }
  }

  const json::Value* strategy = object_member(*spec, "strategy");
  if (strategy == nullptr || !strategy->IsObject()) {
    errors.required("spec.strategy", "set canary or blueGreen");
    return;
  }
  const json::Value* canary = object_member(*strategy, "canary");
  const json::Value* bg = object_member(*strategy, "blueGreen");
  if (canary == nullptr && bg == nullptr) {
    errors.required("spec.strategy.canary", "set canary or blueGreen");
  } else if (canary != nullptr && bg != nullptr) {
    errors.forbidden("spec.strategy.blueGreen",
                     "may not be set together with spec.strategy.canary; keep one");
  }
  if (canary != nullptr) validate_canary(*canary, "spec.strategy.canary", errors);
  if (bg != nullptr) validate_blue_green(*bg, "spec.strategy.blueGreen", errors);
}

}  // namespace berth::webhooks
