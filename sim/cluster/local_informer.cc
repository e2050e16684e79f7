#include "sim/cluster/local_informer.h"

#include <atomic>
#include <stdexcept>

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "sim/apiserver/storage.h"

namespace berth::sim {

LocalInformer::LocalInformer(ObjectApi& api) : api_(api), feed_(std::make_shared<Feed>()) {}

LocalInformer::~LocalInformer() {
  stop();
}

LocalInformer::Table& LocalInformer::table(const ResourcePtr& resource) {
  if (started_) throw std::logic_error("LocalInformer: register before start()");
  return tables_[resource->storage_table];
}

const LocalInformer::Table* LocalInformer::find_table(const ResourcePtr& resource) const {
  auto it = tables_.find(resource->storage_table);
  return it == tables_.end() ? nullptr : &it->second;
}

void LocalInformer::add_handler(const ResourcePtr& resource, Handler handler) {
  table(resource).handlers.push_back(std::move(handler));
}

void LocalInformer::add_index(const ResourcePtr& resource, std::string name, IndexFunc index) {
  table(resource).indexes[std::move(name)].fn = std::move(index);
}

void LocalInformer::track(const ResourcePtr& resource) {
  table(resource);
}

void LocalInformer::apply(Table& t, const std::string& key, const kube::Object* object) {
  for (auto& [name, index] : t.indexes) {
    auto old = index.of_key.find(key);
    if (old != index.of_key.end()) {
      for (const auto& v : old->second) {
        auto bucket = index.values.find(v);
        if (bucket == index.values.end()) continue;
        bucket->second.erase(key);
        if (bucket->second.empty()) index.values.erase(bucket);
      }
      index.of_key.erase(old);
    }
    if (object == nullptr) continue;
    std::vector<std::string> values = index.fn(*object);
    if (values.empty()) continue;
    for (const auto& v : values)
      index.values[v].insert(key);
    index.of_key.emplace(key, std::move(values));
  }
  if (object == nullptr) {
    t.objects.erase(key);
  } else {
    t.objects[key] = *object;
  }
}

void LocalInformer::start() {
  if (started_) return;
  {
    std::lock_guard<std::mutex> lock(feed_->mu);
    for (const auto& [name, t] : tables_)
      feed_->tables.insert(name);
  }
  // Hooked before listing, so nothing committed after a list is missed; changes the list
  // already contains are skipped by resourceVersion.
  std::weak_ptr<Feed> weak = feed_;
  api_.on_commit([weak](const CommitEvent& event) {
    auto feed = weak.lock();
    if (!feed || !event.resource) return;
    const std::string& table = event.resource->storage_table;
    auto rv = kube::parse_int(event.object.resource_version());
    std::lock_guard<std::mutex> lock(feed->mu);
    if (feed->stopped || feed->tables.count(table) == 0 || !rv) return;
    feed->changes.push_back(Change{table, event.type, event.object, *rv});
    feed->cv.notify_one();
  });
  std::vector<std::pair<Table*, std::vector<kube::Object>>> initial;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    for (auto& [name, t] : tables_) {
      SnapshotPtr snap = api_.store().list(name, "");
      t.listed_rv = snap->rv;
      for (const auto& o : snap->items)
        apply(t, o.key(), &o);
      initial.emplace_back(&t, snap->items);
    }
  }
  started_ = true;
  for (auto& [t, items] : initial) {
    for (const auto& o : items) {
      LocalEvent e{EventType::kAdded, o, {}, true};
      for (const auto& h : t->handlers)
        h(e);
    }
  }
  thread_ = std::thread([this] { run(); });
}

void LocalInformer::stop() {
  {
    std::lock_guard<std::mutex> lock(feed_->mu);
    feed_->stopped = true;
    feed_->changes.clear();
  }
  feed_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LocalInformer::run() {
  // Tombstones only need to outlive reports delayed by a racing writer; far older ones go.
  constexpr std::int64_t kTombstoneWindow = 100000;
  std::deque<Change> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(feed_->mu);
      feed_->cv.wait(lock, [&] { return feed_->stopped || !feed_->changes.empty(); });
      if (feed_->stopped) return;
      batch.swap(feed_->changes);
    }
    for (auto& change : batch) {
      Table* t = nullptr;
      LocalEvent e;
      {
        std::unique_lock<std::shared_mutex> lock(mu_);
        auto it = tables_.find(change.table);
        if (it == tables_.end() || change.rv <= it->second.listed_rv) continue;
        t = &it->second;
        std::string key = change.object.key();
        auto cached = t->objects.find(key);
        std::int64_t seen = 0;
        if (cached != t->objects.end()) {
          seen = kube::parse_int(cached->second.resource_version()).value_or(0);
        } else if (auto tomb = t->tombstones.find(key); tomb != t->tombstones.end()) {
          seen = tomb->second;
        }
        if (change.rv <= seen) continue;
        kube::Object previous = cached != t->objects.end() ? cached->second : kube::Object();
        bool deleted = change.type == EventType::kDeleted;
        // What the cache held decides ADDED vs MODIFIED (a report may have been overtaken).
        EventType type =
            deleted ? EventType::kDeleted : (previous ? EventType::kModified : EventType::kAdded);
        if (deleted && !previous) {
          t->tombstones[key] = change.rv;
          continue;
        }
        apply(*t, key, deleted ? nullptr : &change.object);
        if (deleted) {
          t->tombstones[key] = change.rv;
        } else {
          t->tombstones.erase(key);
        }
        if (t->tombstones.size() > 10000) {
          for (auto tomb = t->tombstones.begin(); tomb != t->tombstones.end();) {
            tomb = tomb->second < change.rv - kTombstoneWindow ? t->tombstones.erase(tomb)
                                                               : std::next(tomb);
          }
        }
        e = LocalEvent{type, change.object, previous, false};
      }
      for (const auto& h : t->handlers) {
        try {
          h(e);
        } catch (const std::exception& ex) {
          kube::log::error("informer handler threw",
                           {{"table", change.table}, {"error", ex.what()}});
        }
      }
      std::int64_t delivered = delivered_rv_.load();
      while (change.rv > delivered && !delivered_rv_.compare_exchange_weak(delivered, change.rv)) {
      }
    }
    batch.clear();
  }
}

kube::Object LocalInformer::get(const ResourcePtr& resource, std::string_view key) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  const Table* t = find_table(resource);
  if (t == nullptr) return {};
  auto it = t->objects.find(std::string(key));
  return it == t->objects.end() ? kube::Object() : it->second;
}

std::vector<kube::Object> LocalInformer::list(const ResourcePtr& resource) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<kube::Object> out;
  const Table* t = find_table(resource);
  if (t == nullptr) return out;
  out.reserve(t->objects.size());
  for (const auto& [key, o] : t->objects)
    out.push_back(o);
  return out;
}

std::vector<kube::Object> LocalInformer::by_index(const ResourcePtr& resource,
                                                  std::string_view index,
                                                  std::string_view value) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<kube::Object> out;
  const Table* t = find_table(resource);
  if (t == nullptr) return out;
  auto idx = t->indexes.find(std::string(index));
  if (idx == t->indexes.end()) return out;
  auto bucket = idx->second.values.find(std::string(value));
  if (bucket == idx->second.values.end()) return out;
  out.reserve(bucket->second.size());
  for (const auto& key : bucket->second) {
    auto it = t->objects.find(key);
    if (it != t->objects.end()) out.push_back(it->second);
  }
  return out;
}

std::size_t LocalInformer::size(const ResourcePtr& resource) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  const Table* t = find_table(resource);
  return t == nullptr ? 0 : t->objects.size();
}

std::int64_t LocalInformer::delivered_rv() const {
  return delivered_rv_.load();
}

}  // namespace berth::sim
