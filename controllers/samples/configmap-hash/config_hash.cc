#include "controllers/samples/configmap-hash/config_hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <utility>

#include "kube/core/json.h"

namespace berth::samples {
namespace {

namespace json = kube::json;

void add_section(EVP_MD_CTX* ctx, std::string_view section, const json::Value* values) {
  std::vector<std::pair<std::string_view, std::string_view>> entries;
  if (values != nullptr && values->IsObject()) {
    for (const auto& m : values->GetObject())
      entries.emplace_back(json::as_string(m.name), json::as_string(m.value));
  }
  std::sort(entries.begin(), entries.end());
  auto put = [ctx](std::string_view s) {
    std::uint64_t n = s.size();
    std::array<unsigned char, 8> len{};
    for (std::size_t i = 0; i < len.size(); ++i)
      len[i] = static_cast<unsigned char>(n >> (8 * i));
    EVP_DigestUpdate(ctx, len.data(), len.size());
    EVP_DigestUpdate(ctx, s.data(), s.size());
  };
  put(section);
  put(std::to_string(entries.size()));
  for (const auto& [key, value] : entries) {
    put(key);
    put(value);
  }
}

}  // namespace

std::optional<std::string> followed_config_map(const kube::Object& deployment) {
  auto name = deployment.annotation(kConfigMapAnnotation);
  if (!name || name->empty()) return std::nullopt;
  return std::string(*name);
}

std::vector<std::string> config_map_key(const kube::Object& deployment) {
  auto name = followed_config_map(deployment);
  if (!name) return {};
  return {kube::make_key(deployment.namespace_(), *name)};
}

std::string config_hash(const kube::Object& config_map) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  add_section(ctx.get(), "data", json::find(config_map.json(), "data"));
  add_section(ctx.get(), "binaryData", json::find(config_map.json(), "binaryData"));
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 8; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string_view template_hash(const kube::Object& deployment) {
  const json::Value* annotations =
      json::find_path(deployment.json(), {"spec", "template", "metadata", "annotations"});
  if (annotations == nullptr || !annotations->IsObject()) return {};
  return json::get_string(*annotations, kHashAnnotation);
}

std::optional<std::string> hash_patch(const kube::Object& deployment, std::string_view hash) {
  if (template_hash(deployment) == hash) return std::nullopt;
  json::Document patch(rapidjson::kObjectType);
  auto& a = patch.GetAllocator();
  json::Value& annotations = json::ensure_object(
      json::ensure_object(json::ensure_object(json::ensure_object(patch, "spec", a), "template", a),
                          "metadata", a),
      "annotations", a);
  json::set_string(annotations, kHashAnnotation, hash, a);
  return json::dump(patch);
}

}  // namespace berth::samples
