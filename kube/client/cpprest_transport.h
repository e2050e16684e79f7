// The cpprestsdk (http_client) transport for kube::Client. cpprest and Boost.Asio stay inside
// cpprest_transport.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "kube/client/transport.h"
#include "kube/config/config.h"
#include "kube/core/result.h"

namespace kube {

// Sizes cpprestsdk's shared thread pool (2 threads: it only runs I/O completions, callers block
// on their own threads). Must run before any other cpprest use, which is why every transport
// constructor calls it; idempotent and thread-safe. Logs a warning when cpprest was already
// initialised by someone else (its default pool has 40 threads).
void init_cpprest();

struct TransportOptions {
  // Default idle timeout of a request; a request's own timeout (HttpRequest::timeout, used by
  // watches) overrides it.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // Bounds on what one response may make the process buffer.
  std::size_t max_body_bytes = std::size_t{1} << 30;
  std::size_t max_line_bytes = std::size_t{64} << 20;
};

// Validates the TLS material of `config` (CA bundle, client certificate and key, which must
// match) and returns a transport for config.server. Credentials other than the client
// certificate are the Client's business.
Result<std::shared_ptr<Transport>> make_cpprest_transport(const Config& config,
                                                          const TransportOptions& options = {});

}  // namespace kube
