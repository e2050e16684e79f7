#include "sim/apiserver/storage.h"

#include <algorithm>

namespace berth::sim {

namespace json = kube::json;

namespace {

constexpr std::size_t kSnapshotCacheSize = 16;

std::vector<std::string> owner_uids(const kube::Object& object) {
  std::vector<std::string> out;
  const json::Value* meta = object.metadata();
  if (meta == nullptr) return out;
  const json::Value* refs = json::find(*meta, "ownerReferences");
  if (refs == nullptr || !refs->IsArray()) return out;
  for (const auto& ref : refs->GetArray()) {
    std::string_view uid = json::get_string(ref, "uid");
    if (!uid.empty()) out.emplace_back(uid);
  }
  return out;
}

}  // namespace

std::string object_key(const kube::Object& object) {
  return kube::make_key(object.namespace_(), object.name());
}

Store::Store(WatchHub& hub) : hub_(hub) {}

std::int64_t Store::current_rv() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rv_;
}

kube::Object Store::get(const std::string& table, const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto t = tables_.find(table);
  if (t == tables_.end()) return {};
  auto it = t->second.find(key);
  return it == t->second.end() ? kube::Object() : it->second.object;
}

SnapshotPtr Store::list(const std::string& table, const std::string& prefix) const {
  auto snap = std::make_shared<Snapshot>();
  std::lock_guard<std::mutex> lock(mu_);
  snap->rv = rv_;
  auto t = tables_.find(table);
  if (t == tables_.end()) return snap;
  for (auto it = t->second.lower_bound(prefix);
       it != t->second.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    snap->items.push_back(it->second.object);
  }
  return snap;
}

std::int64_t Store::compact() {
  std::lock_guard<std::mutex> lock(mu_);
  // A revision with no event: even a watcher that has seen every event is now behind.
  ++rv_;
  hub_.compact(rv_);
  snapshots_.clear();
  return rv_;
}

SnapshotPtr Store::cached(const std::string& table, const std::string& prefix,
                          std::int64_t rv) const {
  for (auto it = snapshots_.begin(); it != snapshots_.end(); ++it) {
    if (it->snapshot->rv == rv && it->table == table && it->prefix == prefix) {
      snapshots_.splice(snapshots_.begin(), snapshots_, it);
      return snapshots_.front().snapshot;
    }
  }
  return nullptr;
}

void Store::remember(const std::string& table, const std::string& prefix,
                     SnapshotPtr snapshot) const {
  snapshots_.push_front({table, prefix, std::move(snapshot)});
  if (snapshots_.size() > kSnapshotCacheSize) snapshots_.pop_back();
}

SnapshotPtr Store::list_at(const std::string& table, const std::string& prefix,
                           std::int64_t rv) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (rv > rv_) return nullptr;
  if (auto hit = cached(table, prefix, rv)) return hit;
  auto later = hub_.events_since(table, rv);
  if (!later) return nullptr;
  // Current state, then undo every change after `rv`, newest first.
  std::map<std::string, kube::Object, std::less<>> state;
  auto t = tables_.find(table);
  if (t != tables_.end()) {
    for (auto it = t->second.lower_bound(prefix);
         it != t->second.end() && std::string_view(it->first).starts_with(prefix); ++it) {
      state.emplace(it->first, it->second.object);
    }
  }
  for (auto it = later->rbegin(); it != later->rend(); ++it) {
    const WatchEvent& e = **it;
    if (!std::string_view(e.key).starts_with(prefix)) continue;
    if (e.type == EventType::kAdded) {
      state.erase(e.key);
    } else {
      state[e.key] = e.previous;
    }
  }
  auto snap = std::make_shared<Snapshot>();
  snap->rv = rv;
  snap->items.reserve(state.size());
  for (auto& [key, obj] : state)
    snap->items.push_back(std::move(obj));
  remember(table, prefix, snap);
  return snap;
}

kube::Object Store::stamp(json::Document object, std::int64_t rv) const {
  json::Value& meta = json::ensure_object(object, "metadata", object.GetAllocator());
  json::set_string(meta, "resourceVersion", std::to_string(rv), object.GetAllocator());
  return kube::Object::from(object);
}

void Store::index_add(const std::string& table, const std::string& key,
                      const kube::Object& object) {
  if (!object.uid().empty()) by_uid_[std::string(object.uid())] = {table, key};
  for (auto& uid : owner_uids(object))
    by_owner_[uid].insert({table, key});
}

void Store::index_remove(const std::string& table, const std::string& key,
                         const kube::Object& object) {
  if (!object.uid().empty()) {
    auto it = by_uid_.find(std::string(object.uid()));
    if (it != by_uid_.end() && it->second.first == table && it->second.second == key) {
      by_uid_.erase(it);
    }
  }
  for (auto& uid : owner_uids(object)) {
    auto it = by_owner_.find(uid);
    if (it == by_owner_.end()) continue;
    it->second.erase({table, key});
    if (it->second.empty()) by_owner_.erase(it);
  }
}

Store::Commit Store::create(const std::string& table, const std::string& key,
                            json::Document object) {
  std::lock_guard<std::mutex> lock(mu_);
  Table& t = tables_[table];
  auto it = t.find(key);
  if (it != t.end()) return {Status::kAlreadyExists, {}, it->second.object, false};
  std::int64_t rv = ++rv_;
  kube::Object stored = stamp(std::move(object), rv);
  t.emplace(key, Entry{stored, rv});
  index_add(table, key, stored);
  auto event = std::make_shared<WatchEvent>();
  event->type = EventType::kAdded;
  event->rv = rv;
  event->table = table;
  event->key = key;
  event->object = stored;
  hub_.publish(std::move(event));
  return {Status::kOk, stored, {}, false};
}

Store::Commit Store::update(const std::string& table, const std::string& key, json::Document object,
                            std::int64_t expected_rv) {
  std::lock_guard<std::mutex> lock(mu_);
  auto t = tables_.find(table);
  if (t == tables_.end()) return {Status::kNotFound, {}, {}, false};
  auto it = t->second.find(key);
  if (it == t->second.end()) return {Status::kNotFound, {}, {}, false};
  Entry& entry = it->second;
  if (expected_rv != 0 && entry.rv != expected_rv) {
    return {Status::kConflict, {}, entry.object, false};
  }
  // Compare with the stored object under its own resourceVersion.
  json::Value& meta = json::ensure_object(object, "metadata", object.GetAllocator());
  json::set_string(meta, "resourceVersion", std::to_string(entry.rv), object.GetAllocator());
  if (json::equal(object, entry.object.json())) return {Status::kOk, entry.object, {}, true};
  std::int64_t rv = ++rv_;
  kube::Object stored = stamp(std::move(object), rv);
  kube::Object previous = entry.object;
  index_remove(table, key, previous);
  entry = Entry{stored, rv};
  index_add(table, key, stored);
  auto event = std::make_shared<WatchEvent>();
  event->type = EventType::kModified;
  event->rv = rv;
  event->table = table;
  event->key = key;
  event->object = stored;
  event->previous = std::move(previous);
  hub_.publish(std::move(event));
  return {Status::kOk, stored, {}, false};
}

Store::Commit Store::remove(const std::string& table, const std::string& key,
                            std::int64_t expected_rv) {
  std::lock_guard<std::mutex> lock(mu_);
  auto t = tables_.find(table);
  if (t == tables_.end()) return {Status::kNotFound, {}, {}, false};
  auto it = t->second.find(key);
  if (it == t->second.end()) return {Status::kNotFound, {}, {}, false};
  if (expected_rv != 0 && it->second.rv != expected_rv) {
    return {Status::kConflict, {}, it->second.object, false};
  }
  std::int64_t rv = ++rv_;
  kube::Object previous = it->second.object;
  kube::Object last = stamp(previous.copy(), rv);
  index_remove(table, key, previous);
  t->second.erase(it);
  auto event = std::make_shared<WatchEvent>();
  event->type = EventType::kDeleted;
  event->rv = rv;
  event->table = table;
  event->key = key;
  event->object = last;
  event->previous = std::move(previous);
  hub_.publish(std::move(event));
  return {Status::kOk, last, {}, false};
}

std::vector<std::pair<std::string, std::string>> Store::dependents(
    const std::string& owner_uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_owner_.find(owner_uid);
  if (it == by_owner_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::optional<std::pair<std::string, std::string>> Store::find_uid(const std::string& uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_uid_.find(uid);
  if (it == by_uid_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Store::tables() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, t] : tables_) {
    if (!t.empty()) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t Store::size(const std::string& table) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto t = tables_.find(table);
  return t == tables_.end() ? 0 : t->second.size();
}

}  // namespace berth::sim
