#include "sim/controllers/expectations.h"

namespace berth::sim {

using Clock = std::chrono::steady_clock;

bool Expectations::satisfied(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(std::string(key));
  if (it == records_.end()) return true;
  const Record& r = it->second;
  if (r.adds <= 0 && r.deletes.empty()) return true;
  return Clock::now() - r.since > ttl_;
}

void Expectations::expect_creations(std::string_view key, std::int64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  Record& r = records_[std::string(key)];
  r.adds = count;
  r.deletes.clear();
  r.since = Clock::now();
}

void Expectations::expect_deletions(std::string_view key,
                                    const std::vector<std::string>& pod_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  Record& r = records_[std::string(key)];
  r.adds = 0;
  r.deletes = std::unordered_set<std::string>(pod_keys.begin(), pod_keys.end());
  r.since = Clock::now();
}

void Expectations::creation_observed(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(std::string(key));
  if (it != records_.end() && it->second.adds > 0) --it->second.adds;
}

void Expectations::deletion_observed(std::string_view key, std::string_view pod_key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(std::string(key));
  if (it != records_.end()) it->second.deletes.erase(std::string(pod_key));
}

void Expectations::lower_creations(std::string_view key, std::int64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(std::string(key));
  if (it != records_.end()) it->second.adds = std::max<std::int64_t>(0, it->second.adds - count);
}

void Expectations::forget(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  records_.erase(std::string(key));
}

std::pair<std::int64_t, std::int64_t> Expectations::pending(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(std::string(key));
  if (it == records_.end()) return {0, 0};
  return {it->second.adds, static_cast<std::int64_t>(it->second.deletes.size())};
}

}  // namespace berth::sim
