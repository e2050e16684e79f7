// One watch request's events, pulled one at a time. kube::Watcher builds list + watch + resume
// on top of it; most code wants the Watcher.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "kube/api/object.h"
#include "kube/client/transport.h"
#include "kube/core/result.h"

namespace kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

std::string_view watch_event_type_name(WatchEventType type);  // "ADDED", ...

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  // The object; for a bookmark an empty object of the watched kind carrying only the
  // resourceVersion.
  Object object;
};

// Decodes one line of a watch body ({"type":...,"object":...}). An ERROR event becomes its
// Status as an Error (is_gone() for "too old resource version"); malformed lines are kParse
// errors that never quote the line (it may hold Secret data).
Result<WatchEvent> decode_watch_event(std::string_view line);

// Not thread-safe, except cancel().
class WatchStream {
 public:
  explicit WatchStream(std::unique_ptr<LineReader> lines) : lines_(std::move(lines)) {}

  // Blocks for the next event. nullopt: the server ended the watch (its timeoutSeconds).
  // Errors: ERROR events (decoded Status), kParse for garbage, kTransport, kCancelled.
  Result<std::optional<WatchEvent>> next();
  // Aborts the request from any thread; a blocked next() returns kCancelled.
  void cancel() { lines_->cancel(); }

 private:
  std::unique_ptr<LineReader> lines_;
};

}  // namespace kube
