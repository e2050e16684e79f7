// TokenSource: the bearer token for API requests. A file-backed source re-reads the file
// periodically and on demand (after a 401), because projected service account tokens are
// rotated by the kubelet while the process runs.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "kube/clock/clock.h"
#include "kube/core/result.h"

namespace kube {

// Thread-safe.
class TokenSource {
 public:
  // A token that never changes.
  static std::shared_ptr<TokenSource> fixed(std::string token);
  // Reads `path` now and then again once `refresh` has passed since the last read, or at the
  // next call after invalidate(). When a re-read fails, the last good token stays in use (the
  // failure is logged, never the token). `clock` must outlive the source.
  static std::shared_ptr<TokenSource> file(std::string path, std::chrono::seconds refresh,
                                           Clock& clock = Clock::real());

  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;
  ~TokenSource() = default;

  // The current token. Fails only when the file has never been read successfully.
  Result<std::string> token();
  // Forces a re-read at the next token() call. Returns false for a fixed token (nothing can
  // change, so retrying a rejected request is pointless).
  bool invalidate();

  // How many times the file was read successfully (tests, metrics).
  std::uint64_t reads() const;

 private:
  TokenSource() = default;
  Status reload_locked();

  mutable std::mutex mu_;
  std::string token_;
  std::string path_;  // empty for a fixed token
  std::chrono::seconds refresh_{0};
  Clock* clock_ = nullptr;
  Clock::time_point next_read_{};
  bool have_token_ = false;
  bool invalidated_ = false;
  std::uint64_t reads_ = 0;
};

}  // namespace kube
