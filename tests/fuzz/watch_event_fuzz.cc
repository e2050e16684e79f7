// Untrusted watch stream lines and error bodies from the API server.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kube/client/errors.h"
#include "kube/client/watch_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto event = kube::decode_watch_event(text);
  if (event.ok()) {
    (void)event->object.resource_version();
    (void)event->object.dump();
  }
  (void)kube::decode_error(429, text, text.substr(0, 4)).to_string();
  return 0;
}
