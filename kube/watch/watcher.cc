#include "kube/watch/watcher.h"

#include <algorithm>
#include <random>

#include "kube/core/log.h"

namespace kube {
namespace {

// A watch that ends (cleanly) this soon after it started, having delivered nothing, is not a
// server timeout; re-watching at once could spin against a misbehaving server.
constexpr auto kQuietWatch = std::chrono::seconds(1);
// Continue tokens expire with the compaction window; a list restarted this many times in a
// row because of it counts as failed and backs off.
constexpr int kListRestarts = 3;

std::uint64_t next_random(std::uint64_t& state) {
  // splitmix64
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

WatcherEvent::Type to_watcher_type(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return WatcherEvent::Type::kAdded;
    case WatchEventType::kModified:
      return WatcherEvent::Type::kModified;
    case WatchEventType::kDeleted:
      return WatcherEvent::Type::kDeleted;
    case WatchEventType::kBookmark:
      return WatcherEvent::Type::kBookmark;
  }
  return WatcherEvent::Type::kModified;
}

}  // namespace

std::string_view watcher_event_type_name(WatcherEvent::Type type) {
  switch (type) {
    case WatcherEvent::Type::kInitStart:
      return "InitStart";
    case WatcherEvent::Type::kInitObject:
      return "InitObject";
    case WatcherEvent::Type::kInitDone:
      return "InitDone";
    case WatcherEvent::Type::kAdded:
      return "Added";
    case WatcherEvent::Type::kModified:
      return "Modified";
    case WatcherEvent::Type::kDeleted:
      return "Deleted";
    case WatcherEvent::Type::kBookmark:
      return "Bookmark";
  }
  return "";
}

Watcher::Watcher(Client& client, WatcherOptions options, Handler handler)
    : client_(client),
      options_(std::move(options)),
      handler_(std::move(handler)),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::real()),
      name_(options_.name.empty() ? options_.type.plural : options_.name),
      random_state_(std::random_device{}()) {
  if (options_.max_watch_timeout < options_.min_watch_timeout) {
    options_.max_watch_timeout = options_.min_watch_timeout;
  }
}

Watcher::~Watcher() {
  stop();
  if (thread_.joinable()) thread_.detach();  // only when destroyed from its own handler
}

void Watcher::start() {
  if (started_.exchange(true)) return;
  thread_ = std::thread([this] { run(); });
}

void Watcher::stop() {
  cancel_.cancel();
  std::lock_guard lock(join_mu_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::string Watcher::resource_version() const {
  std::lock_guard lock(mu_);
  return resource_version_;
}

void Watcher::set_resource_version(std::string_view rv) {
  if (rv.empty()) return;
  std::lock_guard lock(mu_);
  resource_version_.assign(rv);
}

WatcherStats Watcher::stats() const {
  return WatcherStats{events_.load(), lists_.load(), relists_.load(), restarts_.load(),
                      errors_.load()};
}

void Watcher::deliver(const WatcherEvent& event) {
  if (event.type != WatcherEvent::Type::kInitStart && event.type != WatcherEvent::Type::kInitDone) {
    events_.fetch_add(1, std::memory_order_relaxed);
  }
  try {
    handler_(event);
  } catch (const std::exception& e) {
    log::error(
        "watch handler threw; continuing",
        {{"watcher", name_}, {"event", watcher_event_type_name(event.type)}, {"what", e.what()}});
  } catch (...) {
    log::error("watch handler threw; continuing",
               {{"watcher", name_}, {"event", watcher_event_type_name(event.type)}});
  }
}

std::chrono::milliseconds Watcher::next_backoff() {
  Clock::time_point now = clock_.now();
  if (backoff_steps_ > 0 && now - last_backoff_ >= options_.backoff_reset) backoff_steps_ = 0;
  last_backoff_ = now;
  auto base = options_.initial_backoff;
  for (int i = 0; i < backoff_steps_ && base < options_.max_backoff; ++i)
    base *= 2;
  base = std::min(base, options_.max_backoff);
  ++backoff_steps_;
  // Up to +25% jitter, still within the maximum, so restarted watchers spread out.
  auto jitter_range = base.count() / 4;
  auto jitter = jitter_range > 0
                    ? static_cast<std::int64_t>(next_random(random_state_) %
                                                static_cast<std::uint64_t>(jitter_range + 1))
                    : 0;
  return std::min(base + std::chrono::milliseconds(jitter), options_.max_backoff);
}

Status Watcher::list_once() {
  for (int attempt = 0;; ++attempt) {
    deliver(WatcherEvent{WatcherEvent::Type::kInitStart, Object(), {}});
    ListOptions list_options;
    list_options.label_selector = options_.label_selector;
    list_options.field_selector = options_.field_selector;
    list_options.limit = options_.page_size;
    list_options.cancel = cancel_.token();
    std::string list_rv;
    bool restart = false;
    while (true) {
      auto page = client_.list(options_.type, options_.namespace_, list_options);
      if (!page.ok()) {
        // An expired continue token: the snapshot is gone, so start the list over.
        if (page.error().is_gone() && !list_options.continue_.empty() && attempt < kListRestarts) {
          log::info("list snapshot expired while paging; listing again", {{"watcher", name_}});
          restart = true;
          break;
        }
        return std::move(page).error();
      }
      if (list_rv.empty()) list_rv = page->resource_version;
      for (Object& item : page->items) {
        deliver(WatcherEvent{WatcherEvent::Type::kInitObject, std::move(item), {}});
      }
      if (page->continue_.empty()) break;
      list_options.continue_ = std::move(page->continue_);
    }
    if (restart) continue;
    set_resource_version(list_rv);
    lists_.fetch_add(1, std::memory_order_relaxed);
    deliver(WatcherEvent{WatcherEvent::Type::kInitDone, Object(), list_rv});
    synced_.store(true);
    return ok_status();
  }
}

Watcher::WatchResult Watcher::watch_once() {
  auto span = (options_.max_watch_timeout - options_.min_watch_timeout).count();
  auto timeout = options_.min_watch_timeout.count() +
                 (span > 0 ? static_cast<std::int64_t>(next_random(random_state_) %
                                                       static_cast<std::uint64_t>(span + 1))
                           : 0);
  WatchOptions watch_options;
  watch_options.label_selector = options_.label_selector;
  watch_options.field_selector = options_.field_selector;
  watch_options.resource_version = resource_version();
  watch_options.allow_bookmarks = true;
  watch_options.timeout_seconds = static_cast<int>(timeout);
  watch_options.cancel = cancel_.token();

  Clock::time_point started = clock_.now();
  std::uint64_t delivered = 0;
  auto result = [&](Outcome outcome) {
    WatchResult r;
    r.outcome = outcome;
    r.quick = delivered == 0 && clock_.now() - started < kQuietWatch;
    return r;
  };
  auto stream = client_.watch(options_.type, options_.namespace_, watch_options);
  if (!stream.ok()) {
    const Error& e = stream.error();
    if (e.is(Reason::kCancelled) || cancel_.cancelled()) return result(Outcome::kStopped);
    if (e.is_gone()) return result(Outcome::kGone);
    log::warn("watch request failed", {{"watcher", name_}, {"error", e.to_string()}});
    WatchResult r = result(Outcome::kFailed);
    r.retry_after = std::chrono::duration_cast<std::chrono::milliseconds>(e.retry_after);
    return r;
  }
  while (true) {
    auto next = (*stream)->next();
    if (!next.ok()) {
      const Error& e = next.error();
      if (e.is(Reason::kCancelled) || cancel_.cancelled()) return result(Outcome::kStopped);
      if (e.is_gone()) return result(Outcome::kGone);
      log::warn(
          "watch broke; resuming from the last resourceVersion",
          {{"watcher", name_}, {"error", e.to_string()}, {"resourceVersion", resource_version()}});
      return result(Outcome::kFailed);
    }
    if (!next->has_value()) return result(Outcome::kEnded);
    WatchEvent& event = **next;
    set_resource_version(event.object.resource_version());
    WatcherEvent out;
    out.type = to_watcher_type(event.type);
    if (event.type == WatchEventType::kBookmark) {
      out.resource_version = std::string(event.object.resource_version());
    } else {
      out.object = std::move(event.object);
    }
    deliver(out);
    ++delivered;
  }
}

void Watcher::run() {
  bool need_list = true;
  bool listed_before = false;
  int quick_gone = 0;
  auto sleep = [this](std::chrono::milliseconds d) {
    return cancel_.token().sleep_for(clock_, std::chrono::duration_cast<Clock::duration>(d));
  };
  while (!cancel_.cancelled()) {
    if (need_list) {
      if (listed_before) relists_.fetch_add(1, std::memory_order_relaxed);
      Status listed = list_once();
      if (!listed.ok()) {
        if (listed.error().is(Reason::kCancelled) || cancel_.cancelled()) return;
        errors_.fetch_add(1, std::memory_order_relaxed);
        auto delay = std::max(next_backoff(), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  listed.error().retry_after));
        log::warn("list failed; retrying", {{"watcher", name_},
                                            {"error", listed.error().to_string()},
                                            {"backoff_ms", static_cast<long long>(delay.count())}});
        if (!sleep(delay)) return;
        continue;
      }
      listed_before = true;
      need_list = false;
    } else {
      restarts_.fetch_add(1, std::memory_order_relaxed);
    }
    WatchResult watched = watch_once();
    switch (watched.outcome) {
      case Outcome::kStopped:
        return;
      case Outcome::kEnded:
        // The server's timeout: re-watch at once. An immediate, empty end is not one.
        if (watched.quick) {
          errors_.fetch_add(1, std::memory_order_relaxed);
          if (!sleep(next_backoff())) return;
        }
        break;
      case Outcome::kGone:
        log::info("resourceVersion expired; listing again",
                  {{"watcher", name_}, {"resourceVersion", resource_version()}});
        need_list = true;
        // A fresh list whose version is expired at once again means something is wrong
        // upstream: do not relist in a tight loop.
        quick_gone = watched.quick ? quick_gone + 1 : 0;
        if (quick_gone > 1 && !sleep(next_backoff())) return;
        break;
      case Outcome::kFailed:
        errors_.fetch_add(1, std::memory_order_relaxed);
        if (!sleep(std::max(next_backoff(), watched.retry_after))) return;
        break;
    }
  }
}

}  // namespace kube
