#include "controllers/servingcert/secret_state.h"

#include <cctype>

#include "controllers/servingcert/names.h"
#include "kube/core/strings.h"

namespace berth::servingcert {

namespace json = kube::json;

std::string SecretView::value(std::string_view key) const {
  for (const auto& [k, v] : data) {
    if (k == key) return v;
  }
  return {};
}

SecretView read_secret(const kube::Object& secret) {
  SecretView view;
  if (!secret) return view;
  view.exists = true;
  view.type = std::string(json::get_string(secret.json(), "type"));
  // The apiserver defaults an unset type to Opaque.
  if (view.type.empty()) view.type = std::string(kOpaqueSecretType);
  view.managed = secret.label(kManagedByLabel) == kManagedBy;
  view.service = std::string(secret.annotation(kServiceAnnotation).value_or(""));
  const json::Value* data = json::find(secret.json(), "data");
  if (data != nullptr && data->IsObject()) {
    for (const auto& member : data->GetObject()) {
      std::string key(member.name.GetString(), member.name.GetStringLength());
      std::string decoded;
      if (member.value.IsString()) {
        decoded = kube::base64_decode(json::as_string(member.value)).value_or(std::string());
      }
      view.has_data = view.has_data || !decoded.empty();
      view.data.emplace_back(std::move(key), std::move(decoded));
    }
  }
  return view;
}

OwnershipCheck check_ownership(const SecretView& secret, std::string_view type,
                               std::string_view service) {
  if (!secret.exists) return {Ownership::kAbsent, {}};
  if (secret.type != type) {
    return {Ownership::kForeign, "it has type " + secret.type + ", not " + std::string(type)};
  }
  if (secret.managed) {
    if (secret.service == service) return {Ownership::kOwned, {}};
    return {Ownership::kForeign,
            "berth-controller keeps it for Service " +
                (secret.service.empty() ? std::string("(none)") : secret.service)};
  }
  if (!secret.has_data) return {Ownership::kAdoptable, {}};
  return {Ownership::kForeign, "it holds data and is not labelled " + std::string(kManagedByLabel) +
                                   "=" + std::string(kManagedBy)};
}

std::string invalid_secret_name(std::string_view name) {
  constexpr std::size_t kMaxName = 253;
  if (name.empty()) return "the name is empty";
  if (name.size() + kCaSecretSuffix.size() > kMaxName) {
    return "the name is longer than " + std::to_string(kMaxName - kCaSecretSuffix.size()) +
           " characters (its CA Secret appends \"" + std::string(kCaSecretSuffix) + "\")";
  }
  for (std::string_view label : kube::split(name, '.')) {
    bool ok = !label.empty() && std::isalnum(static_cast<unsigned char>(label.front())) &&
              std::isalnum(static_cast<unsigned char>(label.back()));
    for (char c : label) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    }
    if (!ok) {
      return "the name is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', "
             "starting and ending with a letter or digit)";
    }
  }
  return {};
}

json::Document secret_document(const kube::Object* current, std::string_view namespace_,
                               std::string_view name, std::string_view type,
                               std::string_view service, std::string_view component,
                               const std::vector<std::pair<std::string_view, std::string>>& data) {
  json::Document doc;
  if (current != nullptr) {
    doc = current->copy();
  } else {
    doc.SetObject();
  }
  auto& a = doc.GetAllocator();
  json::set_string(doc, "apiVersion", "v1", a);
  json::set_string(doc, "kind", "Secret", a);
  json::Value& metadata = json::ensure_object(doc, "metadata", a);
  if (current == nullptr) {
    json::set_string(metadata, "name", name, a);
    json::set_string(metadata, "namespace", namespace_, a);
    json::set_string(doc, "type", type, a);
  }
  json::Value& labels = json::ensure_object(metadata, "labels", a);
  json::set_string(labels, kManagedByLabel, kManagedBy, a);
  json::set_string(labels, kComponentLabel, component, a);
  json::Value& annotations = json::ensure_object(metadata, "annotations", a);
  json::set_string(annotations, kServiceAnnotation, service, a);
  json::Value& values = json::ensure_object(doc, "data", a);
  for (const auto& [key, value] : data) {
    json::set_string(values, key, kube::base64_encode(value), a);
  }
  return doc;
}

}  // namespace berth::servingcert
