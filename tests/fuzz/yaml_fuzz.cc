// Untrusted YAML (apply-patch bodies, manifests, kubeconfigs): kube::yaml must never crash or
// recurse unboundedly, and what it emits must read back as the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kube/core/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto docs = kube::yaml::to_json_all(text);
  if (!docs.ok()) return 0;
  for (const auto& doc : *docs) {
    std::string emitted = kube::yaml::from_json(doc);
    auto back = kube::yaml::to_json(emitted);
    if (!back.ok() || !kube::json::equal(*back, doc)) std::abort();
  }
  return 0;
}
