#include "tests/unit/kube/client/fake_apiserver.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "kube/api/object.h"
#include "kube/core/strings.h"

namespace berth::testing {
namespace {

using kube::http::Request;
using kube::http::Responder;
using kube::http::Response;
namespace json = kube::json;

struct Address {
  std::string collection;  // "/api/v1/configmaps"
  std::string namespace_;
  std::string name;
  std::string subresource;
};

// /api/v1[/namespaces/<ns>]/<plural>[/<name>[/<sub>]] and /apis/<g>/<v>/...
std::optional<Address> parse_address(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::string_view p : kube::split(path, '/')) {
    if (!p.empty()) parts.push_back(p);
  }
  std::size_t gv = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    gv = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    gv = 3;
  } else {
    return std::nullopt;
  }
  std::string prefix;
  for (std::size_t i = 0; i < gv; ++i)
    prefix.append("/").append(parts[i]);
  std::vector<std::string_view> rest(parts.begin() + static_cast<std::ptrdiff_t>(gv), parts.end());
  Address a;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    a.namespace_ = std::string(rest[1]);
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return std::nullopt;
  a.collection = prefix + "/" + std::string(rest[0]);
  if (rest.size() >= 2) a.name = std::string(rest[1]);
  if (rest.size() == 3) a.subresource = std::string(rest[2]);
  return a;
}

std::string status_body(int code, std::string_view reason, std::string_view message) {
  json::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  json::set_string(d, "kind", "Status", a);
  json::set_string(d, "apiVersion", "v1", a);
  json::ensure_object(d, "metadata", a);
  json::set_string(d, "status", "Failure", a);
  json::set_string(d, "message", message, a);
  json::set_string(d, "reason", reason, a);
  json::set(d, "code", json::Value(code), a);
  return json::dump(d);
}

Response status_response(int code, std::string_view reason, std::string_view message) {
  return Response::json(code, status_body(code, reason, message));
}

std::string key_of(std::string_view ns, std::string_view name) {
  return kube::make_key(ns, name);
}

std::string event_line(std::string_view type, std::string_view object) {
  std::string line;
  line.reserve(object.size() + 32);
  line.append(R"({"type":")").append(type).append(R"(","object":)").append(object).append("}\n");
  return line;
}

std::string expired_event_line(std::int64_t from, std::int64_t oldest) {
  return event_line("ERROR", status_body(410, "Expired",
                                         "too old resource version: " + std::to_string(from) +
                                             " (" + std::to_string(oldest) + ")"));
}

}  // namespace

FakeApiserver::FakeApiserver(std::shared_ptr<kube::http::TlsOptions> tls) {
  kube::http::ServerOptions options;
  options.name = "fake-apiserver";
  options.tls = std::move(tls);
  auto server = kube::http::Server::start(options, [this](Request&& request, Responder responder) {
    handle(std::move(request), std::move(responder));
  });
  if (!server.ok()) {
    ADD_FAILURE() << "fake apiserver: " << server.error().to_string();
    return;
  }
  server_ = std::move(server).value();
}

FakeApiserver::~FakeApiserver() {
  if (server_) server_->stop(std::chrono::milliseconds(0));
}

std::string FakeApiserver::url() const {
  return server_ ? server_->url() : std::string();
}

std::uint16_t FakeApiserver::port() const {
  return server_ ? server_->port() : 0;
}

std::int64_t FakeApiserver::append_locked(const std::string& collection, std::string type,
                                          std::string ns, std::string name, json::Document object) {
  std::int64_t rv = ++rv_;
  auto& a = object.GetAllocator();
  json::Value& metadata = json::ensure_object(object, "metadata", a);
  json::set_string(metadata, "resourceVersion", std::to_string(rv), a);
  if (json::get_string(metadata, "uid").empty()) {
    json::set_string(metadata, "uid", "uid-" + name + "-" + std::to_string(rv), a);
  }
  Event event{rv, std::move(type), collection, std::move(ns), std::move(name), json::dump(object)};
  for (Watch& w : watches_) {
    if (w.collection != collection) continue;
    if (!w.namespace_.empty() && w.namespace_ != event.namespace_) continue;
    write_event_locked(w, event.type, event.object);
  }
  events_.push_back(std::move(event));
  return rv;
}

void FakeApiserver::write_event_locked(Watch& watch, std::string_view type,
                                       std::string_view object) {
  std::string line = event_line(type, object);
  ++events_sent_;
  if (split_at_ > 0 && split_at_ < line.size()) {
    watch.stream->write(line.substr(0, split_at_));
    watch.stream->write(line.substr(split_at_));
  } else {
    watch.stream->write(std::move(line));
  }
}

std::int64_t FakeApiserver::upsert(const std::string& collection, std::string_view object_json) {
  auto doc = json::parse(object_json);
  EXPECT_TRUE(doc.ok()) << object_json;
  if (!doc.ok()) return 0;
  const json::Value* metadata = json::find(*doc, "metadata");
  std::string ns(metadata ? json::get_string(*metadata, "namespace") : "");
  std::string name(metadata ? json::get_string(*metadata, "name") : "");
  std::lock_guard lock(mu_);
  prune_watches_locked();
  bool exists = state_at_locked(collection, ns, rv_).count(key_of(ns, name)) != 0;
  return append_locked(collection, exists ? "MODIFIED" : "ADDED", ns, name, std::move(doc).value());
}

std::int64_t FakeApiserver::erase(const std::string& collection, std::string_view namespace_,
                                  std::string_view name) {
  std::lock_guard lock(mu_);
  prune_watches_locked();
  auto state = state_at_locked(collection, std::string(namespace_), rv_);
  auto it = state.find(key_of(namespace_, name));
  if (it == state.end()) return 0;
  auto doc = json::parse(it->second->object);
  return append_locked(collection, "DELETED", std::string(namespace_), std::string(name),
                       std::move(doc).value());
}

std::int64_t FakeApiserver::resource_version() const {
  std::lock_guard lock(mu_);
  return rv_;
}

void FakeApiserver::compact() {
  std::lock_guard lock(mu_);
  compacted_ = rv_;
}

std::map<std::string, std::int64_t> FakeApiserver::snapshot(const std::string& collection) const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::int64_t> out;
  for (const auto& [key, event] : state_at_locked(collection, "", rv_))
    out[key] = event->rv;
  return out;
}

std::map<std::string, const FakeApiserver::Event*> FakeApiserver::state_at_locked(
    const std::string& collection, const std::string& ns, std::int64_t rv) const {
  std::map<std::string, const Event*> state;
  for (const Event& e : events_) {
    if (e.rv > rv) break;
    if (e.collection != collection || (!ns.empty() && e.namespace_ != ns)) continue;
    std::string key = key_of(e.namespace_, e.name);
    if (e.type == "DELETED") {
      state.erase(key);
    } else {
      state[key] = &e;
    }
  }
  return state;
}

void FakeApiserver::prune_watches_locked() {
  std::erase_if(watches_, [](const Watch& w) { return w.stream->closed(); });
}

void FakeApiserver::fail_next(std::string method, std::string path_prefix, Response response,
                              int times, bool watch_only) {
  std::lock_guard lock(mu_);
  failures_.push_back(
      Failure{std::move(method), std::move(path_prefix), std::move(response), times, watch_only});
}

void FakeApiserver::script_next_watch(std::vector<std::string> chunks, bool finish) {
  std::lock_guard lock(mu_);
  scripted_watch_.emplace(std::move(chunks), finish);
}

void FakeApiserver::end_watches() {
  std::lock_guard lock(mu_);
  for (Watch& w : watches_)
    w.stream->finish();
  watches_.clear();
}

void FakeApiserver::send_to_watches(const std::string& chunk) {
  std::lock_guard lock(mu_);
  prune_watches_locked();
  for (Watch& w : watches_)
    w.stream->write(chunk);
}

void FakeApiserver::bookmark_watches() {
  std::lock_guard lock(mu_);
  prune_watches_locked();
  for (Watch& w : watches_) {
    if (!w.bookmarks) continue;
    std::string object =
        R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":")" +
        std::to_string(rv_) + R"(","creationTimestamp":null}})";
    write_event_locked(w, "BOOKMARK", object);
  }
}

void FakeApiserver::expire_watches() {
  std::lock_guard lock(mu_);
  compacted_ = rv_;
  for (Watch& w : watches_) {
    w.stream->write(expired_event_line(0, compacted_));
    w.stream->finish();
  }
  watches_.clear();
}

void FakeApiserver::split_events_at(std::size_t offset) {
  std::lock_guard lock(mu_);
  split_at_ = offset;
}

std::vector<FakeApiserver::RecordedRequest> FakeApiserver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::size_t FakeApiserver::count(std::string_view method, std::string_view path_prefix,
                                 bool watch_only) const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(requests_.begin(), requests_.end(), [&](const RecordedRequest& r) {
        bool is_watch = r.target.find("watch=true") != std::string::npos;
        return r.method == method && r.target.rfind(path_prefix, 0) == 0 &&
               (!watch_only || is_watch);
      }));
}

std::size_t FakeApiserver::open_watches() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(
      watches_.begin(), watches_.end(), [](const Watch& w) { return !w.stream->closed(); }));
}

std::size_t FakeApiserver::events_sent() const {
  std::lock_guard lock(mu_);
  return events_sent_;
}

void FakeApiserver::handle(Request&& request, Responder responder) {
  bool is_watch = request.query_param("watch") == "true";
  {
    std::lock_guard lock(mu_);
    requests_.push_back(
        RecordedRequest{request.method, request.target, request.headers, request.body});
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (it->method != request.method || request.target.rfind(it->path_prefix, 0) != 0) continue;
      if (it->watch_only && !is_watch) continue;
      Response response = it->response;
      if (--it->times <= 0) failures_.erase(it);
      responder.send(std::move(response));
      return;
    }
  }
  auto address = parse_address(request.path());
  if (!address) {
    responder.send(Response::text(404, "404 page not found"));
    return;
  }
  if (request.method == "GET" && address->name.empty()) {
    if (is_watch) {
      handle_watch(request, address->collection, address->namespace_, std::move(responder));
    } else {
      handle_list(request, address->collection, address->namespace_, std::move(responder));
    }
    return;
  }
  handle_write(request, address->collection, address->namespace_, address->name,
               std::move(responder));
}

void FakeApiserver::handle_list(const Request& request, const std::string& collection,
                                const std::string& ns, Responder responder) {
  std::lock_guard lock(mu_);
  std::int64_t snapshot_rv = rv_;
  std::string after;
  std::string token = request.query_param("continue");
  if (!token.empty()) {
    auto decoded = kube::base64url_decode(token);
    auto sep = decoded ? decoded->find('|') : std::string::npos;
    auto rv = sep != std::string::npos ? kube::parse_int(std::string_view(*decoded).substr(0, sep))
                                       : std::nullopt;
    if (!rv) {
      responder.send(status_response(400, "BadRequest", "invalid continue token"));
      return;
    }
    if (*rv < compacted_) {
      responder.send(status_response(
          410, "Expired",
          "The provided continue parameter is too old to display a consistent list result."));
      return;
    }
    snapshot_rv = *rv;
    after = decoded->substr(sep + 1);
  }
  auto limit = kube::parse_int(request.query_param("limit")).value_or(0);
  auto state = state_at_locked(collection, ns, snapshot_rv);
  json::Document list(rapidjson::kObjectType);
  auto& a = list.GetAllocator();
  std::string kind = "List";
  json::Value items(rapidjson::kArrayType);
  std::string last_key;
  std::int64_t remaining = 0;
  for (auto it = after.empty() ? state.begin() : state.upper_bound(after); it != state.end();
       ++it) {
    if (limit > 0 && static_cast<std::int64_t>(items.Size()) >= limit) {
      ++remaining;
      continue;
    }
    auto item = json::parse(it->second->object);
    if (kind == "List") kind = std::string(json::get_string(*item, "kind")) + "List";
    json::Value copy(*item, a);
    json::remove(copy, "kind");
    json::remove(copy, "apiVersion");
    items.PushBack(std::move(copy), a);
    last_key = it->first;
  }
  json::set_string(list, "kind", kind, a);
  json::set_string(list, "apiVersion", "v1", a);
  json::Value& metadata = json::ensure_object(list, "metadata", a);
  json::set_string(metadata, "resourceVersion", std::to_string(snapshot_rv), a);
  if (remaining > 0) {
    json::set_string(metadata, "continue",
                     kube::base64url_encode(std::to_string(snapshot_rv) + "|" + last_key), a);
    json::set(metadata, "remainingItemCount", json::Value(remaining), a);
  }
  json::set(list, "items", std::move(items), a);
  responder.send(Response::json(200, json::dump(list)));
}

void FakeApiserver::handle_watch(const Request& request, const std::string& collection,
                                 const std::string& ns, Responder responder) {
  std::lock_guard lock(mu_);
  prune_watches_locked();
  if (scripted_watch_) {
    auto [chunks, finish] = std::move(*scripted_watch_);
    scripted_watch_.reset();
    auto stream = responder.stream(200, {});
    for (std::string& chunk : chunks)
      stream->write(std::move(chunk));
    if (finish) {
      stream->finish();
    } else {
      watches_.push_back(Watch{"", "", false, stream});
    }
    return;
  }
  std::string rv_param = request.query_param("resourceVersion");
  Watch watch{collection, ns, request.query_param("allowWatchBookmarks") == "true", nullptr};
  if (rv_param.empty() || rv_param == "0") {
    watch.stream = responder.stream(200, {});
    for (const auto& [key, event] : state_at_locked(collection, ns, rv_)) {
      write_event_locked(watch, "ADDED", event->object);
    }
    watches_.push_back(std::move(watch));
    return;
  }
  auto from = kube::parse_int(rv_param);
  if (!from) {
    responder.send(status_response(400, "BadRequest", "invalid resourceVersion"));
    return;
  }
  watch.stream = responder.stream(200, {});
  if (*from < compacted_) {
    watch.stream->write(expired_event_line(*from, compacted_));
    watch.stream->finish();
    return;
  }
  for (const Event& e : events_) {
    if (e.rv <= *from || e.collection != collection) continue;
    if (!ns.empty() && e.namespace_ != ns) continue;
    write_event_locked(watch, e.type, e.object);
  }
  watches_.push_back(std::move(watch));
}

void FakeApiserver::handle_write(const Request& request, const std::string& collection,
                                 const std::string& ns, const std::string& path_name,
                                 Responder responder) {
  std::lock_guard lock(mu_);
  prune_watches_locked();
  auto state = state_at_locked(collection, ns, rv_);
  if (request.method == "GET") {
    auto it = state.find(key_of(ns, path_name));
    if (it == state.end()) {
      responder.send(status_response(404, "NotFound", "\"" + path_name + "\" not found"));
    } else {
      responder.send(Response::json(200, it->second->object));
    }
    return;
  }
  if (request.method == "DELETE") {
    auto it = state.find(key_of(ns, path_name));
    if (it == state.end()) {
      responder.send(status_response(404, "NotFound", "\"" + path_name + "\" not found"));
      return;
    }
    auto doc = json::parse(it->second->object);
    std::int64_t rv = append_locked(collection, "DELETED", ns, path_name, std::move(doc).value());
    responder.send(Response::json(200, events_.back().object));
    (void)rv;
    return;
  }
  if (request.method != "POST" && request.method != "PUT") {
    responder.send(status_response(405, "MethodNotAllowed", "method not allowed"));
    return;
  }
  auto body = json::parse(request.body);
  if (!body.ok() || !body->IsObject()) {
    responder.send(status_response(400, "BadRequest", "invalid body"));
    return;
  }
  json::Value& metadata = json::ensure_object(*body, "metadata", body->GetAllocator());
  std::string name(json::get_string(metadata, "name"));
  if (!ns.empty()) json::set_string(metadata, "namespace", ns, body->GetAllocator());
  bool exists = state.count(key_of(ns, name)) != 0;
  if (request.method == "POST") {
    if (exists) {
      responder.send(status_response(409, "AlreadyExists", "\"" + name + "\" already exists"));
      return;
    }
    append_locked(collection, "ADDED", ns, name, std::move(body).value());
    responder.send(Response::json(201, events_.back().object));
    return;
  }
  if (!exists) {
    responder.send(status_response(404, "NotFound", "\"" + name + "\" not found"));
    return;
  }
  std::string_view sent_rv = json::get_string(metadata, "resourceVersion");
  if (!sent_rv.empty() && sent_rv != std::to_string(state.at(key_of(ns, name))->rv)) {
    responder.send(status_response(409, "Conflict", "the object has been modified"));
    return;
  }
  append_locked(collection, "MODIFIED", ns, name, std::move(body).value());
  responder.send(Response::json(200, events_.back().object));
}

}  // namespace berth::testing
