// Untrusted selectors, quantities and patches: the parsers and patch algorithms must never
// crash, and their round trips must hold for whatever they accept.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>
#include <vector>

#include "kube/api/quantity.h"
#include "kube/api/selector.h"
#include "kube/core/json.h"
#include "kube/patch/apply.h"
#include "kube/patch/field_set.h"
#include "kube/patch/patch.h"

namespace {

constexpr std::string_view kDocument = R"({"kind":"Deployment","metadata":{"name":"d",
  "labels":{"app":"web"},"finalizers":["a","b"],"ownerReferences":[{"uid":"1","name":"o"}]},
  "spec":{"replicas":2,"template":{"metadata":{"labels":{"app":"web"}},"spec":{
  "containers":[{"name":"app","image":"a:1","env":[{"name":"A","value":"1"}],
  "ports":[{"containerPort":80,"protocol":"TCP"}]},{"name":"side","args":["x"]}],
  "tolerations":[{"key":"k"}]}},"strategy":{"type":"RollingUpdate"}},
  "status":{"conditions":[{"type":"Available","status":"True"}]}})";

kube::json::Document base() {
  return std::move(kube::json::parse(kDocument)).value();
}

// Objects with repeated member names (which the parser keeps) have no single meaning to diff.
bool has_duplicate_names(const kube::json::Value& v) {
  std::vector<const kube::json::Value*> stack{&v};
  while (!stack.empty()) {
    const kube::json::Value* node = stack.back();
    stack.pop_back();
    if (node->IsObject()) {
      std::set<std::string_view> names;
      for (const auto& m : node->GetObject()) {
        if (!names.insert(kube::json::as_string(m.name)).second) return true;
        stack.push_back(&m.value);
      }
    } else if (node->IsArray()) {
      for (const auto& e : node->GetArray())
        stack.push_back(&e);
    }
  }
  return false;
}

// A created patch must turn `from` into `to`.
void check_create_round_trip(const kube::json::Value& from, const kube::json::Value& to) {
  if (has_duplicate_names(from) || has_duplicate_names(to)) return;
  kube::json::Document ops = kube::patch::create_json_patch(from, to);
  kube::json::Document result = kube::json::copy(from);
  if (!kube::patch::apply_json_patch(result, ops).ok() || !kube::json::equal(result, to)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto selector = kube::LabelSelector::parse(text); selector.ok()) {
    // The canonical form must parse back to the same selector.
    auto again = kube::LabelSelector::parse(selector->to_string());
    if (!again.ok() || again->to_string() != selector->to_string()) std::abort();
    kube::json::Document doc = base();
    (void)selector->matches(kube::json::find_path(doc, {"metadata", "labels"}));
  }
  if (auto selector = kube::FieldSelector::parse(text); selector.ok()) {
    (void)selector->to_string();
    (void)selector->matches(base());
  }
  (void)kube::Quantity::parse(text);

  auto patch = kube::json::parse(text);
  if (!patch.ok()) return 0;
  kube::json::Document original = base();
  if (patch->IsArray()) {
    kube::json::Document doc = base();
    if (kube::patch::apply_json_patch(doc, *patch).ok()) {
      check_create_round_trip(original, doc);
    } else if (!kube::json::equal(doc, original)) {
      std::abort();  // a failed JSON patch must leave the target untouched
    }
  }
  {
    kube::json::Document doc = base();
    (void)kube::patch::apply_merge_patch(doc, *patch);
    check_create_round_trip(original, doc);
  }
  for (std::string_view kind : {"Deployment", "Pod", "Widget"}) {
    kube::json::Document doc = base();
    if (kube::patch::apply_strategic_merge_patch(doc, *patch, kind).ok()) {
      check_create_round_trip(original, doc);
    } else if (!kube::json::equal(doc, original)) {
      std::abort();
    }
  }
  if (patch->IsObject()) {
    kube::json::Document from = kube::json::copy((*patch));
    check_create_round_trip(original, from);
    check_create_round_trip(from, original);

    // Server-side apply of the input as a configuration, onto nothing and onto the base object,
    // and ownership tracking of the merge-patched object.
    (void)kube::patch::FieldSet::from_fields_v1(*patch);
    kube::json::Document config = kube::json::copy(*patch);
    kube::json::set_string(config, "apiVersion", "apps/v1", config.GetAllocator());
    const kube::SystemTime now{};
    (void)kube::patch::server_side_apply(nullptr, config, "fuzz", false, "Deployment", "apps/v1",
                                         now);
    kube::json::Document tracked =
        kube::patch::track_update(original, nullptr, "c", "apps/v1", now);
    for (bool force : {false, true}) {
      auto applied = kube::patch::server_side_apply(&tracked, config, "fuzz", force, "Deployment",
                                                    "apps/v1", now);
      if (applied.ok()) (void)kube::patch::track_update(*applied, &tracked, "u", "apps/v1", now);
    }
    kube::json::Document merged = kube::json::copy(tracked);
    (void)kube::patch::apply_merge_patch(merged, *patch);
    (void)kube::patch::track_update(merged, &tracked, "u", "apps/v1", now);
  }
  return 0;
}
