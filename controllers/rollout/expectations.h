// Expectations: the writes a Rollout's last reconcile made that its informer caches have not
// shown yet. Planning on a cache that lacks them would count a ReplicaSet at its old size or
// the Rollout at its old step; so a reconcile with outstanding expectations waits (the
// informer event that fulfils them queues the Rollout again). What client-go's controllers
// call expectations, keyed by the resourceVersion each write returned.
//
// Thread-safe. Informer handlers call observe(); reconciles call expect() and outstanding().
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"
#include "kube/clock/clock.h"

namespace berth::rollout {

class Expectations {
 public:
  // An expectation is dropped after `timeout` even if never observed (an object whose
  // resourceVersions are not integers, relisted past the awaited one).
  explicit Expectations(kube::Clock& clock,
                        kube::Clock::duration timeout = std::chrono::seconds(5));

  // The reconcile of `owner` ("ns/name") wrote `object` (kind + key) and got
  // `resource_version` back. Fulfilled at once when the informer delivered that version
  // already: a watch event can arrive before the write's response.
  void expect(std::string_view owner, std::string_view kind, std::string_view object_key,
              std::string_view resource_version);
  // An informer delivered `object` (an add, update or delete): fulfils an expectation of this
  // version or an earlier one (a relist skips versions), or of any version once the object
  // is deleted.
  void observe(const kube::Object& object, bool deleted = false);
  // How long the earliest outstanding expectation of `owner` may still be waited for; zero
  // when none is outstanding.
  kube::Clock::duration outstanding(std::string_view owner);
  // Forgets `owner` (deleted).
  void forget(std::string_view owner);
  std::size_t size() const;

 private:
  struct Entry {
    std::string owner;
    std::string resource_version;
    kube::Clock::time_point deadline;
  };
  static std::string id(std::string_view kind, std::string_view key);

  struct Seen {
    std::string resource_version;
    kube::Clock::time_point at;
  };
  static constexpr std::size_t kSeenPerObject = 8;
  void forget_old_seen(kube::Clock::time_point now);

  kube::Clock& clock_;
  kube::Clock::duration timeout_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> by_object_;
  std::map<std::string, std::set<std::string>, std::less<>> by_owner_;
  // Versions delivered within the timeout, per object (the newest kSeenPerObject).
  std::map<std::string, std::vector<Seen>, std::less<>> seen_;
  kube::Clock::time_point next_sweep_{};
};

}  // namespace berth::rollout
