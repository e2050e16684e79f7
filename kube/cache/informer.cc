#include "kube/cache/informer.h"

#include <exception>

#include "kube/core/log.h"

namespace kube {
namespace {

// The informer whose dispatch thread this is, so handler removal from inside a handler does
// not wait for itself.
thread_local const Informer* tls_dispatching = nullptr;

std::string default_name(const InformerOptions& o) {
  std::string name = o.type.plural;
  if (!o.type.group.empty()) name += "." + o.type.group;
  if (!o.namespace_.empty()) name += "/" + o.namespace_;
  std::string selectors = o.label_selector;
  if (!o.field_selector.empty()) {
    if (!selectors.empty()) selectors += ",";
    selectors += o.field_selector;
  }
  if (!selectors.empty()) name += "?" + selectors;
  return name;
}

}  // namespace

struct Informer::HandlerEntry {
  explicit HandlerEntry(ResourceEventHandler h) : handler(std::move(h)) {}
  ResourceEventHandler handler;
  // Notifications numbered below this were applied before the handler existed; its replay
  // covers them.
  std::uint64_t start_seq = 0;
  // Held by the dispatch thread while it calls the handler.
  std::mutex call_mu;
  std::atomic<bool> removed{false};
};

Informer::Registration::Registration(Registration&& other) noexcept
    : informer_(std::exchange(other.informer_, nullptr)), entry_(std::move(other.entry_)) {}

Informer::Registration& Informer::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    reset();
    informer_ = std::exchange(other.informer_, nullptr);
    entry_ = std::move(other.entry_);
  }
  return *this;
}

void Informer::Registration::reset() {
  if (informer_ != nullptr && entry_) informer_->remove_handler(entry_);
  informer_ = nullptr;
  entry_.reset();
}

Informer::Informer(Client* client, InformerOptions options)
    : options_(std::move(options)),
      client_(client),
      clock_(options_.watcher.clock != nullptr ? *options_.watcher.clock : Clock::real()),
      name_(options_.name.empty() ? default_name(options_) : options_.name),
      store_(options_.shards) {}

Informer::~Informer() {
  stop();
}

Informer::Registration Informer::add_event_handler(ResourceEventHandler handler) {
  auto entry = std::make_shared<HandlerEntry>(std::move(handler));
  std::lock_guard apply_lock(apply_mu_);
  entry->start_seq = next_seq_;
  {
    std::lock_guard lock(handlers_mu_);
    handlers_.push_back(entry);
    ++handlers_version_;
  }
  std::vector<Object> existing = store_.list();
  if (!existing.empty()) {
    Notification n{Kind::kReplay, {}, {}, false, next_seq_++, entry, std::move(existing)};
    std::lock_guard lock(queue_mu_);
    queue_.push_back(std::move(n));
    ++pending_;
    queue_cv_.notify_one();
  }
  return Registration(this, std::move(entry));
}

void Informer::remove_handler(const std::shared_ptr<HandlerEntry>& entry) {
  {
    std::lock_guard lock(handlers_mu_);
    std::erase(handlers_, entry);
    ++handlers_version_;
  }
  entry->removed.store(true);
  // Wait out a call in progress; the next delivery sees `removed`. From inside a handler on the
  // dispatch thread there is nothing to wait for (and call_mu may be ours).
  if (tls_dispatching != this) std::lock_guard wait(entry->call_mu);
}

void Informer::start() {
  std::lock_guard lock(lifecycle_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  dispatcher_ = std::thread([this] { run_dispatch(); });
  if (client_ != nullptr) {
    WatcherOptions w = options_.watcher;
    w.type = options_.type;
    w.namespace_ = options_.namespace_;
    w.label_selector = options_.label_selector;
    w.field_selector = options_.field_selector;
    if (w.name.empty()) w.name = name_;
    watcher_ = std::make_unique<Watcher>(*client_, std::move(w),
                                         [this](const WatcherEvent& e) { apply(e); });
    watcher_->start();
  }
}

void Informer::stop() {
  std::unique_lock lock(lifecycle_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (watcher_) watcher_->stop();
  {
    std::lock_guard q(queue_mu_);
    stopping_ = true;
    queue_.clear();
    pending_ = 0;
  }
  queue_cv_.notify_all();
  if (dispatcher_.joinable()) {
    if (tls_dispatching == this) {
      dispatcher_.detach();  // stop() from a handler: the thread ends when the handler returns
    } else {
      dispatcher_.join();
    }
  }
}

bool Informer::wait_for_sync(Clock::duration timeout, const CancelToken& cancel) {
  Clock::time_point deadline = clock_.now() + timeout;
  auto wake = cancel.on_cancel([this] {
    std::lock_guard lock(sync_mu_);
    sync_cv_.notify_all();
  });
  std::unique_lock lock(sync_mu_);
  while (!synced_.load()) {
    if (cancel.cancelled()) return false;
    if (clock_.now() >= deadline) return false;
    clock_.wait_until(sync_cv_, lock, deadline);
  }
  return true;
}

void Informer::set_synced() {
  if (synced_.load()) return;
  {
    std::lock_guard lock(sync_mu_);
    synced_.store(true);
  }
  sync_cv_.notify_all();
  log::v(2, "informer synced", {{"informer", name_}, {"objects", store_.size()}});
}

std::size_t Informer::pending_notifications() const {
  std::lock_guard lock(queue_mu_);
  return pending_;
}

WatcherStats Informer::watch_stats() const {
  std::lock_guard lock(lifecycle_mu_);
  return watcher_ ? watcher_->stats() : WatcherStats{};
}

void Informer::notify_locked(Kind kind, Object object, Object old_object, bool flag) {
  {
    std::lock_guard lock(handlers_mu_);
    if (handlers_.empty()) return;  // a handler added later gets the cache replayed
  }
  Notification n{kind, std::move(object), std::move(old_object), flag, next_seq_++, nullptr, {}};
  bool wake = false;
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return;
    // The dispatcher takes the whole queue at once, so it only ever waits on an empty one.
    wake = queue_.empty();
    queue_.push_back(std::move(n));
    ++pending_;
  }
  if (wake) queue_cv_.notify_one();
}

void Informer::apply(const WatcherEvent& event) {
  auto transformed = [this](const Object& o) -> Object {
    if (!o || !options_.transform) return o;
    try {
      Object t = options_.transform(o);
      return t ? t : o;
    } catch (const std::exception& e) {
      log::error("informer transform threw; caching the object as received",
                 {{"informer", name_}, {"what", e.what()}});
      return o;
    }
  };
  using Type = WatcherEvent::Type;
  std::lock_guard lock(apply_mu_);
  switch (event.type) {
    case Type::kInitStart:
      listed_.clear();
      break;
    case Type::kInitObject: {
      Object object = transformed(event.object);
      if (!object) break;
      listed_.insert(object.key());
      Object old = store_.put(object);
      if (!old) {
        notify_locked(Kind::kAdd, std::move(object), {}, true);
      } else if (old.resource_version() != object.resource_version()) {
        notify_locked(Kind::kUpdate, std::move(object), std::move(old), false);
      }
      break;
    }
    case Type::kInitDone: {
      // Whatever the new list lacks was deleted while we were not watching.
      for (const std::string& key : store_.keys()) {
        if (listed_.contains(key)) continue;
        Object old = store_.remove(key);
        if (old) notify_locked(Kind::kDelete, std::move(old), {}, true);
      }
      listed_ = {};
      set_synced();
      break;
    }
    case Type::kAdded:
    case Type::kModified: {
      Object object = transformed(event.object);
      if (!object) break;
      Object old = store_.put(object);
      if (!old) {
        notify_locked(Kind::kAdd, std::move(object), {}, false);
      } else if (old.resource_version() != object.resource_version()) {
        notify_locked(Kind::kUpdate, std::move(object), std::move(old), false);
      }
      break;
    }
    case Type::kDeleted: {
      Object object = transformed(event.object);
      if (!object) break;
      Object old = store_.remove(object.key());
      if (old) notify_locked(Kind::kDelete, std::move(object), {}, false);
      break;
    }
    case Type::kBookmark:
      break;
  }
}

void Informer::deliver(HandlerEntry& entry, const Notification& n) {
  std::lock_guard call(entry.call_mu);
  if (entry.removed.load()) return;
  const ResourceEventHandler& h = entry.handler;
  try {
    switch (n.kind) {
      case Kind::kAdd:
        if (h.on_add) h.on_add(n.object, n.flag);
        break;
      case Kind::kUpdate:
        if (h.on_update) h.on_update(n.old_object, n.object);
        break;
      case Kind::kDelete:
        if (h.on_delete) h.on_delete(n.object, n.flag);
        break;
      case Kind::kReplay:
        if (!h.on_add) break;
        for (const Object& o : n.replay) {
          if (entry.removed.load()) break;
          h.on_add(o, true);
        }
        break;
    }
  } catch (const std::exception& e) {
    log::error("informer event handler threw; continuing",
               {{"informer", name_}, {"what", e.what()}});
  } catch (...) {
    log::error("informer event handler threw; continuing", {{"informer", name_}});
  }
}

void Informer::run_dispatch() {
  tls_dispatching = this;
  std::vector<std::shared_ptr<HandlerEntry>> handlers;
  std::uint64_t version = 0;
  bool have_version = false;
  std::deque<Notification> batch;
  while (true) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      batch.swap(queue_);
    }
    // After taking the batch: a handler registered before any notification in it is seen.
    {
      std::lock_guard lock(handlers_mu_);
      if (!have_version || version != handlers_version_) {
        handlers = handlers_;
        version = handlers_version_;
        have_version = true;
      }
    }
    for (const Notification& n : batch) {
      if (n.kind == Kind::kReplay) {
        deliver(*n.target, n);
      } else {
        for (const auto& entry : handlers) {
          if (n.seq >= entry->start_seq) deliver(*entry, n);
        }
      }
      std::lock_guard lock(queue_mu_);
      if (stopping_) break;  // stop() dropped the rest and zeroed the count
      --pending_;
    }
    batch.clear();
  }
  tls_dispatching = nullptr;
}

}  // namespace kube
