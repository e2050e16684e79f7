#include "sim/apiserver/strategy.h"

#include "kube/core/strings.h"
#include "sim/apiserver/meta.h"

namespace berth::sim {

namespace json = kube::json;

std::optional<std::string> Strategy::type_error(const json::Value&) const {
  return std::nullopt;
}

void Strategy::apply_defaults(json::Value&, json::Allocator&) const {}

void Strategy::prepare_for_create(json::Value& object, json::Allocator&) const {
  if (drops_status_on_create()) json::remove(object, "status");
}

void Strategy::prepare_for_update(json::Value&, const json::Value&, json::Allocator&) const {}

FieldErrors Strategy::validate(const json::Value&) const {
  return {};
}

FieldErrors Strategy::validate_update(const json::Value& object, const json::Value&) const {
  return validate(object);
}

void Strategy::canonicalize(json::Value& object, json::Allocator& a) const {
  canonicalize_builtin(object, a);
}

std::vector<std::string> Strategy::prune_unknown_fields(json::Value&) const {
  return {};
}

std::string Strategy::field_value(const json::Value& object, std::string_view label) const {
  return scalar_string(find_dotted(object, label));
}

void Strategy::to_storage(json::Value&, json::Allocator&) const {}
void Strategy::from_storage(json::Value&, json::Allocator&) const {}

std::optional<std::int64_t> Strategy::default_grace_period(const json::Value&) const {
  return std::nullopt;
}

const json::Value* find_dotted(const json::Value& object, std::string_view path) {
  if (!path.empty() && path.front() == '.') path.remove_prefix(1);
  const json::Value* node = &object;
  for (std::string_view part : kube::split(path, '.')) {
    node = json::find(*node, part);
    if (node == nullptr) return nullptr;
  }
  return node;
}

std::string scalar_string(const json::Value* value) {
  if (value == nullptr) return {};
  if (value->IsString()) return std::string(json::as_string(*value));
  if (value->IsBool() || value->IsNumber()) return json::dump(*value);
  return {};
}

}  // namespace berth::sim
