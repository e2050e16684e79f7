#include "tests/integration/rollout/rollout_objects.h"

#include "controllers/rollout/template_hash.h"
#include "kube/core/json.h"

namespace berth::rollout::testing {
namespace json = kube::json;

namespace {

std::string pod_template(std::string_view app, std::string_view image,
                         std::string_view pod_annotations) {
  std::string annotations =
      pod_annotations.empty() ? "" : R"(,"annotations":)" + std::string(pod_annotations);
  return R"({"metadata":{"labels":{"app":")" + std::string(app) + R"("})" + annotations +
         R"(},"spec":{"containers":[{"name":"app","image":")" + std::string(image) + R"("}]}})";
}

}  // namespace

std::string rollout_json(std::string_view name, int replicas, std::string_view image,
                         std::string_view strategy, std::string_view extra,
                         std::string_view pod_annotations) {
  std::string s = R"({"apiVersion":"berth.dev/v1alpha1","kind":"Rollout","metadata":{"name":")" +
                  std::string(name) + R"("},"spec":{"replicas":)" + std::to_string(replicas) +
                  R"(,"selector":{"matchLabels":{"app":")" + std::string(name) +
                  R"("}},"template":)" + pod_template(name, image, pod_annotations) +
                  R"(,"strategy":)" + std::string(strategy);
  if (!extra.empty()) s += "," + std::string(extra);
  return s + "}}";
}

std::string service_json(std::string_view name, std::string_view app) {
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + std::string(name) +
         R"("},"spec":{"selector":{"app":")" + std::string(app) + R"("},"ports":[{"port":80}]}})";
}

std::string image_patch(std::string_view image, std::string_view pod_annotations) {
  return R"({"spec":{"template":{"metadata":{"annotations":)" +
         std::string(pod_annotations.empty() ? "null" : pod_annotations) +
         R"(},"spec":{"containers":[{"name":"app","image":")" + std::string(image) + R"("}]}}}})";
}

std::string hash_of(std::string_view app, std::string_view image,
                    std::string_view pod_annotations) {
  auto t = json::parse(pod_template(app, image, pod_annotations));
  return template_hash(*t);
}

std::string phase(const kube::Object& o) {
  return status_string(o, "phase");
}

std::string status_string(const kube::Object& o, std::string_view key) {
  return o.status() ? std::string(json::get_string(*o.status(), key)) : "";
}

std::int64_t status_int(const kube::Object& o, std::string_view key) {
  return o.status() ? json::get_int(*o.status(), key, -1) : -1;
}

std::optional<std::string> condition(const kube::Object& o, std::string_view type,
                                     std::string_view field) {
  const json::Value* conds = o.status() ? json::find(*o.status(), "conditions") : nullptr;
  if (conds == nullptr || !conds->IsArray()) return std::nullopt;
  for (const json::Value& c : conds->GetArray()) {
    if (json::get_string(c, "type") == type) return std::string(json::get_string(c, field));
  }
  return std::nullopt;
}

std::string abort_field(const kube::Object& o, std::string_view field) {
  const json::Value* abort = o.status() ? json::find(*o.status(), "abort") : nullptr;
  return abort != nullptr && abort->IsObject() ? std::string(json::get_string(*abort, field)) : "";
}

int history_count(const kube::Object& o, std::string_view event, std::string_view hash,
                  std::string_view by) {
  const json::Value* history = o.status() ? json::find(*o.status(), "history") : nullptr;
  if (history == nullptr || !history->IsArray()) return 0;
  int n = 0;
  for (const json::Value& h : history->GetArray()) {
    if (json::get_string(h, "event") == event &&
        (hash.empty() || json::get_string(h, "hash") == hash) &&
        (by.empty() || json::get_string(h, "by") == by)) {
      ++n;
    }
  }
  return n;
}

std::optional<kube::SystemTime> history_time(const kube::Object& o, std::string_view event,
                                             std::string_view hash) {
  const json::Value* history = o.status() ? json::find(*o.status(), "history") : nullptr;
  if (history == nullptr || !history->IsArray()) return std::nullopt;
  std::optional<kube::SystemTime> out;
  for (const json::Value& h : history->GetArray()) {
    if (json::get_string(h, "event") == event && json::get_string(h, "hash") == hash) {
      out = kube::parse_time(json::get_string(h, "time"));
    }
  }
  return out;
}

bool pod_ready(const kube::Object& pod) {
  if (pod.being_deleted()) return false;
  const json::Value* conditions = json::find_path(pod.json(), {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return false;
  for (const json::Value& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == "Ready") return json::get_string(c, "status") == "True";
  }
  return false;
}

std::string pod_phase(const kube::Object& pod) {
  return pod.status() ? std::string(json::get_string(*pod.status(), "phase")) : "";
}

}  // namespace berth::rollout::testing
