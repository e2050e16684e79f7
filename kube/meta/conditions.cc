#include "kube/meta/conditions.h"

namespace kube {
namespace {

Condition parse(const json::Value& v) {
  Condition c;
  c.type = std::string(json::get_string(v, "type"));
  c.status = std::string(json::get_string(v, "status"));
  c.reason = std::string(json::get_string(v, "reason"));
  c.message = std::string(json::get_string(v, "message"));
  c.observed_generation = json::get_int(v, "observedGeneration");
  std::string_view t = json::get_string(v, "lastTransitionTime");
  if (!t.empty()) c.last_transition_time = parse_time(t);
  return c;
}

json::Value to_json(const Condition& c, json::Allocator& a) {
  json::Value v(rapidjson::kObjectType);
  json::set_string(v, "type", c.type, a);
  json::set_string(v, "status", c.status, a);
  if (c.observed_generation != 0) {
    json::set(v, "observedGeneration", json::Value(c.observed_generation), a);
  }
  if (c.last_transition_time) {
    json::set_string(v, "lastTransitionTime", format_time(*c.last_transition_time), a);
  }
  json::set_string(v, "reason", c.reason, a);
  json::set_string(v, "message", c.message, a);
  return v;
}

const json::Value* conditions_array(const json::Value* status) {
  if (status == nullptr || !status->IsObject()) return nullptr;
  const json::Value* c = json::find(*status, "conditions");
  return c != nullptr && c->IsArray() ? c : nullptr;
}

}  // namespace

std::vector<Condition> conditions_of(const json::Value* status) {
  std::vector<Condition> out;
  const json::Value* array = conditions_array(status);
  if (array == nullptr) return out;
  for (const auto& v : array->GetArray()) {
    if (v.IsObject() && !json::get_string(v, "type").empty()) out.push_back(parse(v));
  }
  return out;
}

std::optional<Condition> find_condition(const json::Value* status, std::string_view type) {
  const json::Value* array = conditions_array(status);
  if (array == nullptr) return std::nullopt;
  for (const auto& v : array->GetArray()) {
    if (v.IsObject() && json::get_string(v, "type") == type) return parse(v);
  }
  return std::nullopt;
}

bool is_condition_true(const json::Value* status, std::string_view type) {
  auto c = find_condition(status, type);
  return c && c->status == kConditionTrue;
}

bool set_condition(json::Value& status, const Condition& condition, json::Allocator& a,
                   SystemTime now) {
  if (!status.IsObject()) status.SetObject();
  json::Value& array = json::ensure_array(status, "conditions", a);
  for (auto& v : array.GetArray()) {
    if (!v.IsObject() || json::get_string(v, "type") != condition.type) continue;
    Condition existing = parse(v);
    Condition next = condition;
    if (existing.status != condition.status) {
      if (!next.last_transition_time) next.last_transition_time = now;
    } else {
      next.last_transition_time = existing.last_transition_time;
    }
    // Times compare at the precision they are written with (seconds).
    auto same_time = [](const std::optional<SystemTime>& x, const std::optional<SystemTime>& y) {
      if (!x || !y) return x.has_value() == y.has_value();
      return format_time(*x) == format_time(*y);
    };
    if (existing.status == next.status && existing.reason == next.reason &&
        existing.message == next.message &&
        existing.observed_generation == next.observed_generation &&
        same_time(existing.last_transition_time, next.last_transition_time)) {
      return false;
    }
    v = to_json(next, a);
    return true;
  }
  Condition fresh = condition;
  if (!fresh.last_transition_time) fresh.last_transition_time = now;
  array.PushBack(to_json(fresh, a), a);
  return true;
}

bool remove_condition(json::Value& status, std::string_view type) {
  if (!status.IsObject()) return false;
  json::Value* array = json::find(status, "conditions");
  if (array == nullptr || !array->IsArray()) return false;
  for (auto it = array->Begin(); it != array->End(); ++it) {
    if (it->IsObject() && json::get_string(*it, "type") == type) {
      array->Erase(it);
      return true;
    }
  }
  return false;
}

bool set_observed_generation(json::Value& status, std::int64_t generation, json::Allocator& a) {
  if (!status.IsObject()) status.SetObject();
  const json::Value* current = json::find(status, "observedGeneration");
  if (current != nullptr && current->IsInt64() && current->GetInt64() == generation) return false;
  json::set(status, "observedGeneration", json::Value(generation), a);
  return true;
}

}  // namespace kube
