// Untrusted JSON: kube::json::parse and Object::parse must never crash or recurse unboundedly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kube/api/object.h"
#include "kube/core/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = kube::json::parse(text);
  if (doc.ok()) (void)kube::json::dump(*doc);
  auto obj = kube::Object::parse(text);
  if (obj.ok()) {
    (void)obj->name();
    (void)obj->label("app");
    (void)obj->dump();
  }
  return 0;
}
