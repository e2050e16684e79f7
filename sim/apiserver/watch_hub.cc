#include "sim/apiserver/watch_hub.h"

#include <algorithm>

#include "kube/core/log.h"

namespace berth::sim {

namespace json = kube::json;
using Clock = std::chrono::steady_clock;

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "ERROR";
}

std::string watch_error_event(const ApiError& error) {
  std::string status = error.to_json();
  if (!status.empty() && status.back() == '\n') status.pop_back();
  return "{\"type\":\"ERROR\",\"object\":" + status + "}\n";
}

struct WatchHub::Watcher {
  WatchSpec spec;
  std::int64_t cursor = 0;
  Clock::time_point next_bookmark{};
  bool final_bookmark_sent = false;
  bool has_deadline = false;
  std::atomic<bool> closed{false};
  bool done = false;  // dispatcher-side: removed
};

WatchHub::WatchHub(WatchHubOptions options) : options_(options) {
  if (options_.history == 0) options_.history = 1;
  thread_ = std::thread([this] { run(); });
}

WatchHub::~WatchHub() {
  stop();
}

void WatchHub::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::shared_ptr<Watcher>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all = std::move(pending_);
  }
  for (auto& [table, list] : active_) {
    for (auto& w : list)
      all.push_back(w);
  }
  active_.clear();
  for (auto& w : all)
    w->spec.stream->finish();
  watcher_count_ = 0;
}

void WatchHub::publish(EventPtr event) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    published_rv_ = event->rv;
    table_rv_[event->table] = event->rv;
    ring_.push_back(event);
    while (ring_.size() > options_.history) {
      compacted_rv_ = ring_.front()->rv;
      ring_.pop_front();
    }
  }
  cv_.notify_one();
}

void WatchHub::compact(std::int64_t rv) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (rv <= compacted_rv_) return;
    while (!ring_.empty() && ring_.front()->rv <= rv)
      ring_.pop_front();
    compacted_rv_ = rv;
  }
  cv_.notify_one();
}

std::int64_t WatchHub::compacted_rv() const {
  std::lock_guard<std::mutex> lock(mu_);
  return compacted_rv_;
}

std::int64_t WatchHub::table_rv(const std::string& table) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = table_rv_.find(table);
  return it == table_rv_.end() ? 0 : it->second;
}

std::size_t WatchHub::watcher_count() const {
  return watcher_count_.load();
}

std::optional<std::vector<EventPtr>> WatchHub::events_since(const std::string& table,
                                                            std::int64_t since) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (since < compacted_rv_) return std::nullopt;
  std::vector<EventPtr> out;
  auto it = std::upper_bound(ring_.begin(), ring_.end(), since,
                             [](std::int64_t rv, const EventPtr& e) { return rv < e->rv; });
  for (; it != ring_.end(); ++it) {
    if ((*it)->table == table) out.push_back(*it);
  }
  return out;
}

namespace {

ApiError too_old(std::int64_t requested, std::int64_t compacted) {
  return errors::expired("too old resource version: " + std::to_string(requested) + " (" +
                         std::to_string(compacted) + ")");
}

}  // namespace

ApiStatus WatchHub::add(WatchSpec spec) {
  auto w = std::make_shared<Watcher>();
  w->cursor = spec.start_rv;
  auto now = Clock::now();
  w->has_deadline = spec.deadline != Clock::time_point{};
  w->next_bookmark = now + options_.bookmark_interval;
  w->spec = std::move(spec);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return errors::internal("the server is shutting down");
    if (w->cursor < compacted_rv_) return too_old(w->cursor, compacted_rv_);
    pending_.push_back(w);
  }
  ++watcher_count_;
  std::weak_ptr<Watcher> weak = w;
  w->spec.stream->on_close([weak] {
    if (auto locked = weak.lock()) locked->closed = true;
  });
  cv_.notify_one();
  return {};
}

bool WatchHub::send(Watcher& w, std::string chunk) {
  if (w.done) return false;
  if (!w.spec.stream->write(std::move(chunk))) {
    close(w);
    return false;
  }
  if (w.spec.stream->pending_bytes() > options_.max_pending_bytes) {
    kube::log::v(2, "ending a watch whose client does not keep up",
                 {{"table", w.spec.table},
                  {"pending_bytes", static_cast<unsigned long>(w.spec.stream->pending_bytes())}});
    close(w);
    return false;
  }
  return true;
}

void WatchHub::close(Watcher& w) {
  if (w.done) return;
  w.done = true;
  w.spec.stream->finish();
  --watcher_count_;
}

void WatchHub::deliver(Watcher& w, const WatchEvent& event) {
  if (w.done || event.rv <= w.cursor) return;
  w.cursor = event.rv;
  if (!w.spec.namespace_.empty() && event.object.namespace_() != w.spec.namespace_) return;
  const auto& matches = w.spec.matches;
  bool now_matches = !matches || matches(event.object);
  EventType type = event.type;
  if (event.type == EventType::kModified && matches) {
    bool was_matching = event.previous && matches(event.previous);
    if (was_matching && !now_matches) {
      // Leaving the selection: the last state the watcher could see, at the event's version.
      json::Document doc = event.previous.copy();
      json::set_string(json::ensure_object(doc, "metadata", doc.GetAllocator()), "resourceVersion",
                       std::to_string(event.rv), doc.GetAllocator());
      send(w, w.spec.encoder->encode(EventType::kDeleted, kube::Object::adopt(std::move(doc))));
      return;
    }
    if (!was_matching && now_matches) type = EventType::kAdded;
  }
  if (!now_matches) return;
  send(w, w.spec.encoder->encode(type, event.object));
}

void WatchHub::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // Earliest timer among active watchers; housekeeping at least once a second.
    auto now = Clock::now();
    auto wake = now + std::chrono::seconds(1);
    for (auto& [table, list] : active_) {
      for (auto& w : list) {
        if (w->has_deadline) wake = std::min(wake, w->spec.deadline);
        if (w->spec.bookmarks) {
          wake = std::min(wake, w->next_bookmark);
          if (w->has_deadline && !w->final_bookmark_sent) {
            wake = std::min(wake, w->spec.deadline - options_.bookmark_before_deadline);
          }
        }
      }
    }
    cv_.wait_until(lock, wake, [&] {
      return stopping_ || published_rv_ > dispatched_rv_ || compacted_rv_ > dispatched_rv_ ||
             !pending_.empty();
    });
    if (stopping_) return;

    // A burst longer than the window lost events that active watchers never saw: end them
    // so their clients resume (and get a 410 if they must relist).
    std::vector<EventPtr> batch;
    if (dispatched_rv_ < compacted_rv_) {
      for (auto& [table, list] : active_) {
        for (auto& w : list) {
          if (w->cursor < compacted_rv_) close(*w);
        }
      }
      dispatched_rv_ = compacted_rv_;
    }
    auto it = std::upper_bound(ring_.begin(), ring_.end(), dispatched_rv_,
                               [](std::int64_t rv, const EventPtr& e) { return rv < e->rv; });
    batch.assign(it, ring_.end());
    std::int64_t batch_end = published_rv_;
    std::vector<std::shared_ptr<Watcher>> fresh = std::move(pending_);
    pending_.clear();
    // Catch-up events for watchers that start before the current dispatch point.
    std::vector<std::vector<EventPtr>> catch_up(fresh.size());
    for (std::size_t i = 0; i < fresh.size(); ++i) {
      auto& w = *fresh[i];
      if (w.cursor < compacted_rv_) {
        w.cursor = -1;  // marks "too old" for the unlocked section
        continue;
      }
      auto from = std::upper_bound(ring_.begin(), ring_.end(), w.cursor,
                                   [](std::int64_t rv, const EventPtr& e) { return rv < e->rv; });
      for (; from != ring_.end() && (*from)->rv <= dispatched_rv_; ++from) {
        if ((*from)->table == w.spec.table) catch_up[i].push_back(*from);
      }
    }
    std::int64_t compacted = compacted_rv_;
    auto table_rv = table_rv_;
    lock.unlock();

    for (std::size_t i = 0; i < fresh.size(); ++i) {
      auto& w = fresh[i];
      if (w->cursor == -1) {
        send(*w, watch_error_event(too_old(w->spec.start_rv, compacted)));
        close(*w);
        continue;
      }
      for (const auto& obj : w->spec.initial) {
        if (!send(*w, w->spec.encoder->encode(EventType::kAdded, obj))) break;
      }
      w->spec.initial.clear();
      for (const auto& e : catch_up[i])
        deliver(*w, *e);
      if (!w->done) active_[w->spec.table].push_back(w);
    }
    for (const auto& e : batch) {
      auto found = active_.find(e->table);
      if (found == active_.end()) continue;
      for (auto& w : found->second)
        deliver(*w, *e);
    }
    dispatched_rv_ = std::max(dispatched_rv_, batch_end);

    now = Clock::now();
    for (auto& [table, list] : active_) {
      for (auto& w : list) {
        if (w->done) continue;
        if (w->closed) {
          close(*w);
          continue;
        }
        // Everything up to dispatched_rv_ has been offered to this watcher.
        w->cursor = std::max(w->cursor, dispatched_rv_);
        if (w->has_deadline && now >= w->spec.deadline) {
          close(*w);
          continue;
        }
        if (!w->spec.bookmarks) continue;
        bool due = now >= w->next_bookmark;
        bool final_due = w->has_deadline && !w->final_bookmark_sent &&
                         now >= w->spec.deadline - options_.bookmark_before_deadline;
        if (!due && !final_due) continue;
        if (due) w->next_bookmark = now + options_.bookmark_interval;
        if (final_due) w->final_bookmark_sent = true;
        auto rv_it = table_rv.find(table);
        std::int64_t rv = rv_it == table_rv.end() ? 0 : rv_it->second;
        // The apiserver bookmarks only a resourceVersion newer than the one the watch began at.
        if (rv > w->spec.start_rv) send(*w, w->spec.encoder->bookmark(rv));
      }
      list.erase(std::remove_if(list.begin(), list.end(),
                                [](const std::shared_ptr<Watcher>& w) { return w->done; }),
                 list.end());
    }
    lock.lock();
  }
}

JsonEventEncoder::JsonEventEncoder(std::string api_version, std::string kind, bool custom,
                                   std::function<std::string(const kube::Object&)> render)
    : api_version_(std::move(api_version)),
      kind_(std::move(kind)),
      custom_(custom),
      render_(std::move(render)) {}

std::string JsonEventEncoder::encode(EventType type, const kube::Object& object) const {
  std::string out = "{\"type\":\"";
  out.append(event_type_name(type));
  out.append("\",\"object\":");
  if (render_) {
    out.append(render_(object));
  } else {
    kube::json::dump_to(object.json(), out);
  }
  out.append("}\n");
  return out;
}

std::string JsonEventEncoder::bookmark(std::int64_t rv) const {
  std::string rvs = std::to_string(rv);
  if (custom_) {
    return "{\"type\":\"BOOKMARK\",\"object\":{\"apiVersion\":\"" + api_version_ +
           "\",\"kind\":\"" + kind_ + "\",\"metadata\":{\"resourceVersion\":\"" + rvs + "\"}}}\n";
  }
  std::string out = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"" + kind_ +
                    "\",\"apiVersion\":\"" + api_version_ +
                    "\",\"metadata\":{\"resourceVersion\":\"" + rvs +
                    "\",\"creationTimestamp\":null}";
  if (kind_ == "Pod") out.append(",\"spec\":{\"containers\":null},\"status\":{}");
  out.append("}}\n");
  return out;
}

}  // namespace berth::sim
