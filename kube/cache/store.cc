#include "kube/cache/store.h"

#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "kube/cache/indexers.h"

namespace kube {
namespace {

struct Hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

struct Store::Index {
  std::string name;
  IndexFunc fn;
};

struct Store::Shard {
  // Index entries hold views of the item keys: an unordered_map node never moves, so the key
  // string outlives its index entries (they are removed before the item).
  using Keys = std::unordered_set<std::string_view>;
  using Values = std::unordered_map<std::string, Keys, Hash, std::equal_to<>>;

  mutable std::shared_mutex mu;
  std::unordered_map<std::string, Object, Hash, std::equal_to<>> items;
  std::vector<Values> values;  // parallel to Store::indexes_

  void index_locked(std::size_t i, const Index& index, std::string_view key, const Object& o) {
    for (std::string& v : index.fn(o)) {
      auto it = values[i].find(v);
      if (it == values[i].end()) it = values[i].emplace(std::move(v), Keys{}).first;
      it->second.insert(key);
    }
  }
  void unindex_locked(std::size_t i, const Index& index, std::string_view key, const Object& o) {
    for (const std::string& v : index.fn(o)) {
      auto it = values[i].find(v);
      if (it == values[i].end()) continue;
      it->second.erase(key);
      if (it->second.empty()) values[i].erase(it);
    }
  }
};

Store::Store(std::size_t shards) {
  if (shards == 0) shards = 1;
  shards_.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i)
    shards_.push_back(std::make_unique<Shard>());
}

Store::~Store() = default;

Store::Shard& Store::shard_for(std::string_view key) const {
  return *shards_[Hash{}(key) % shards_.size()];
}

const Store::Index* Store::find_index_locked(std::string_view name) const {
  for (const auto& index : indexes_) {
    if (index->name == name) return index.get();
  }
  return nullptr;
}

bool Store::add_index(std::string name, IndexFunc fn) {
  std::unique_lock defs(indexes_mu_);
  if (find_index_locked(name) != nullptr) return false;
  indexes_.push_back(std::make_unique<Index>(Index{std::move(name), std::move(fn)}));
  std::size_t i = indexes_.size() - 1;
  for (auto& shard : shards_) {
    std::unique_lock lock(shard->mu);
    shard->values.emplace_back();
    for (const auto& [key, object] : shard->items)
      shard->index_locked(i, *indexes_[i], key, object);
  }
  return true;
}

bool Store::has_index(std::string_view name) const {
  std::shared_lock defs(indexes_mu_);
  return find_index_locked(name) != nullptr;
}

Object Store::put(Object object) {
  if (!object) return {};
  std::string key = object.key();
  std::shared_lock defs(indexes_mu_);
  Shard& shard = shard_for(key);
  std::unique_lock lock(shard.mu);
  auto it = shard.items.find(key);
  Object previous;
  if (it == shard.items.end()) {
    it = shard.items.emplace(std::move(key), std::move(object)).first;
  } else {
    for (std::size_t i = 0; i < indexes_.size(); ++i)
      shard.unindex_locked(i, *indexes_[i], it->first, it->second);
    previous = std::exchange(it->second, std::move(object));
  }
  for (std::size_t i = 0; i < indexes_.size(); ++i)
    shard.index_locked(i, *indexes_[i], it->first, it->second);
  return previous;
}

Object Store::remove(std::string_view key) {
  std::shared_lock defs(indexes_mu_);
  Shard& shard = shard_for(key);
  std::unique_lock lock(shard.mu);
  auto it = shard.items.find(key);
  if (it == shard.items.end()) return {};
  for (std::size_t i = 0; i < indexes_.size(); ++i)
    shard.unindex_locked(i, *indexes_[i], it->first, it->second);
  Object previous = std::move(it->second);
  shard.items.erase(it);
  return previous;
}

Object Store::get(std::string_view key) const {
  const Shard& shard = shard_for(key);
  std::shared_lock lock(shard.mu);
  auto it = shard.items.find(key);
  return it != shard.items.end() ? it->second : Object();
}

std::vector<Object> Store::list() const {
  std::vector<Object> out;
  out.reserve(size());
  for (const auto& shard : shards_) {
    std::shared_lock lock(shard->mu);
    for (const auto& [key, object] : shard->items)
      out.push_back(object);
  }
  return out;
}

std::vector<Object> Store::list(std::string_view namespace_) const {
  if (has_index(indexers::kNamespace)) return by_index(indexers::kNamespace, namespace_);
  std::vector<Object> out;
  for_each([&](const Object& o) {
    if (o.namespace_() == namespace_) out.push_back(o);
  });
  return out;
}

void Store::visit_index(std::string_view index, std::string_view value,
                        const std::function<void(std::string_view, const Object&)>& fn) const {
  std::shared_lock defs(indexes_mu_);
  std::size_t i = 0;
  while (i < indexes_.size() && indexes_[i]->name != index)
    ++i;
  if (i == indexes_.size()) {
    throw std::invalid_argument("kube::Store: no index named \"" + std::string(index) + "\"");
  }
  for (const auto& shard : shards_) {
    std::shared_lock lock(shard->mu);
    auto it = shard->values[i].find(value);
    if (it == shard->values[i].end()) continue;
    for (std::string_view key : it->second)
      fn(key, shard->items.find(key)->second);
  }
}

std::vector<Object> Store::by_index(std::string_view index, std::string_view value) const {
  std::vector<Object> out;
  visit_index(index, value, [&](std::string_view, const Object& o) { out.push_back(o); });
  return out;
}

std::vector<std::string> Store::index_keys(std::string_view index, std::string_view value) const {
  std::vector<std::string> out;
  visit_index(index, value, [&](std::string_view key, const Object&) { out.emplace_back(key); });
  return out;
}

std::vector<std::string> Store::keys() const {
  std::vector<std::string> out;
  out.reserve(size());
  for (const auto& shard : shards_) {
    std::shared_lock lock(shard->mu);
    for (const auto& [key, object] : shard->items)
      out.push_back(key);
  }
  return out;
}

std::size_t Store::size() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::shared_lock lock(shard->mu);
    n += shard->items.size();
  }
  return n;
}

void Store::for_each(const std::function<void(const Object&)>& fn) const {
  for (const auto& shard : shards_) {
    std::shared_lock lock(shard->mu);
    for (const auto& [key, object] : shard->items)
      fn(object);
  }
}

}  // namespace kube
