#include "controllers/rollout/expectations.h"

#include "kube/core/strings.h"

namespace berth::rollout {

namespace {

// Whether `seen` shows a write that returned `written`. resourceVersions are opaque by
// contract, but every apiserver storage (etcd3's revision, berth-sim's counter) issues them as
// increasing integers and the watch cache compares them so; a relist after 410 Gone shows a
// later version, never the written one, and without this the reconcile would wait out the
// timeout. Anything not an integer only matches exactly.
bool shows(std::string_view seen, std::string_view written) {
  if (seen == written) return true;
  auto s = kube::parse_int(seen);
  auto w = kube::parse_int(written);
  return s && w && *s >= *w;
}

}  // namespace

Expectations::Expectations(kube::Clock& clock, kube::Clock::duration timeout)
    : clock_(clock), timeout_(timeout) {}

std::string Expectations::id(std::string_view kind, std::string_view key) {
  return std::string(kind) + "/" + std::string(key);
}

void Expectations::expect(std::string_view owner, std::string_view kind,
                          std::string_view object_key, std::string_view resource_version) {
  std::string object = id(kind, object_key);
  std::lock_guard lock(mu_);
  if (auto seen = seen_.find(object); seen != seen_.end()) {
    for (const Seen& s : seen->second) {
      if (shows(s.resource_version, resource_version)) return;
    }
  }
  auto it = by_object_.find(object);
  if (it != by_object_.end() && it->second.owner != owner) {
    auto owned = by_owner_.find(it->second.owner);
    if (owned != by_owner_.end()) owned->second.erase(object);
  }
  by_object_[object] =
      Entry{std::string(owner), std::string(resource_version), clock_.now() + timeout_};
  by_owner_[std::string(owner)].insert(object);
}

void Expectations::observe(const kube::Object& object, bool deleted) {
  if (!object) return;
  std::string key = id(object.kind(), object.key());
  kube::Clock::time_point now = clock_.now();
  std::lock_guard lock(mu_);
  if (deleted) {
    seen_.erase(key);
  } else {
    std::vector<Seen>& seen = seen_[key];
    if (seen.size() == kSeenPerObject) seen.erase(seen.begin());
    seen.push_back({std::string(object.resource_version()), now});
  }
  if (now >= next_sweep_) forget_old_seen(now);
  auto it = by_object_.find(key);
  if (it == by_object_.end()) return;
  if (!deleted && !shows(object.resource_version(), it->second.resource_version)) return;
  auto owned = by_owner_.find(it->second.owner);
  if (owned != by_owner_.end()) {
    owned->second.erase(key);
    if (owned->second.empty()) by_owner_.erase(owned);
  }
  by_object_.erase(it);
}

kube::Clock::duration Expectations::outstanding(std::string_view owner) {
  std::lock_guard lock(mu_);
  auto owned = by_owner_.find(owner);
  if (owned == by_owner_.end()) return kube::Clock::duration::zero();
  kube::Clock::time_point now = clock_.now();
  kube::Clock::duration wait = kube::Clock::duration::zero();
  for (auto it = owned->second.begin(); it != owned->second.end();) {
    auto entry = by_object_.find(*it);
    if (entry == by_object_.end() || entry->second.deadline <= now) {
      if (entry != by_object_.end()) by_object_.erase(entry);
      it = owned->second.erase(it);
      continue;
    }
    kube::Clock::duration left = entry->second.deadline - now;
    if (wait == kube::Clock::duration::zero() || left < wait) wait = left;
    ++it;
  }
  if (owned->second.empty()) by_owner_.erase(owned);
  return wait;
}

void Expectations::forget(std::string_view owner) {
  std::lock_guard lock(mu_);
  auto owned = by_owner_.find(owner);
  if (owned == by_owner_.end()) return;
  for (const std::string& object : owned->second)
    by_object_.erase(object);
  by_owner_.erase(owned);
}

void Expectations::forget_old_seen(kube::Clock::time_point now) {
  next_sweep_ = now + timeout_;
  for (auto it = seen_.begin(); it != seen_.end();) {
    std::erase_if(it->second, [&](const Seen& s) { return now - s.at > timeout_; });
    it = it->second.empty() ? seen_.erase(it) : std::next(it);
  }
}

std::size_t Expectations::size() const {
  std::lock_guard lock(mu_);
  return by_object_.size();
}

}  // namespace berth::rollout
