#include "kube/config/token_source.h"

#include <fstream>
#include <sstream>

#include "kube/core/log.h"
#include "kube/core/strings.h"

namespace kube {

std::shared_ptr<TokenSource> TokenSource::fixed(std::string token) {
  std::shared_ptr<TokenSource> source(new TokenSource());
  source->token_ = std::move(token);
  source->have_token_ = true;
  return source;
}

std::shared_ptr<TokenSource> TokenSource::file(std::string path, std::chrono::seconds refresh,
                                               Clock& clock) {
  std::shared_ptr<TokenSource> source(new TokenSource());
  source->path_ = std::move(path);
  source->refresh_ = refresh;
  source->clock_ = &clock;
  return source;
}

Status TokenSource::reload_locked() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Error::make(Reason::kUnauthorized, "cannot read token file " + path_);
  std::ostringstream content;
  content << in.rdbuf();
  std::string_view token = trim(content.view());
  if (token.empty()) return Error::make(Reason::kUnauthorized, "token file " + path_ + " is empty");
  token_ = std::string(token);
  have_token_ = true;
  ++reads_;
  return ok_status();
}

Result<std::string> TokenSource::token() {
  std::lock_guard lock(mu_);
  if (path_.empty()) return token_;
  Clock::time_point now = clock_->now();
  if (!have_token_ || invalidated_ || now >= next_read_) {
    Status status = reload_locked();
    invalidated_ = false;
    next_read_ = now + refresh_;
    if (!status.ok()) {
      if (!have_token_) return status.error();
      log::warn("keeping the previous bearer token", {{"error", status.error().message}});
    }
  }
  return token_;
}

bool TokenSource::invalidate() {
  std::lock_guard lock(mu_);
  if (path_.empty()) return false;
  invalidated_ = true;
  return true;
}

std::uint64_t TokenSource::reads() const {
  std::lock_guard lock(mu_);
  return reads_;
}

}  // namespace kube
