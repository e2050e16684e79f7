#include "sim/faults/fault_injector.h"

#include <random>

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "sim/apiserver/api_server.h"
#include "sim/apiserver/handlers.h"
#include "sim/apiserver/request_info.h"
#include "sim/apiserver/storage.h"
#include "sim/faults/connection_cutter.h"

namespace berth::sim {

namespace json = kube::json;
namespace http = kube::http;
using json::Value;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t initial_state(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// Go's strconv.ParseBool, which the apiserver uses for ?watch=.
bool parse_bool(std::string_view v) {
  return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True";
}

std::string verb_of(const http::Request& request, const RequestInfo& info) {
  const std::string& m = request.method;
  if (m == "GET" || m == "HEAD") {
    if (info.watch_path || parse_bool(request.query_param("watch"))) return "watch";
    return info.collection() ? "list" : "get";
  }
  if (m == "POST") return "create";
  if (m == "PUT") return "update";
  if (m == "PATCH") return "patch";
  if (m == "DELETE") return info.collection() ? "deletecollection" : "delete";
  return "";
}

ApiError injected_error(const FaultRule& rule, std::string_view verb, std::string_view resource) {
  switch (rule.code) {
    case 429: {
      // The Status kube-apiserver's errors.NewTooManyRequests builds, with the header.
      ApiError e(429, "TooManyRequests", "Too many requests, please try again later.");
      StatusDetails d;
      d.retry_after_seconds = rule.retry_after_seconds;
      e.details = std::move(d);
      e.retry_after_header = rule.retry_after_seconds;
      return e;
    }
    case 503:
      return ApiError(503, "ServiceUnavailable",
                      "The server is currently unable to handle the request");
    case 504:
      return ApiError(504, "Timeout",
                      "Timeout: request did not complete within requested timeout - context "
                      "deadline exceeded");
    default:
      return errors::internal("injected by berth-sim fault rule (" + std::string(verb) + " " +
                              std::string(resource) + ")");
  }
}

std::uint16_t port_of(const std::string& url) {
  auto colon = url.rfind(':');
  if (colon == std::string::npos) return 0;
  auto n = kube::parse_int(std::string_view(url).substr(colon + 1));
  return n && *n > 0 && *n < 65536 ? static_cast<std::uint16_t>(*n) : 0;
}

http::Response json_reply(int status, const Value& body) {
  std::string text = json::dump(body);
  text.push_back('\n');
  return http::Response::json(status, std::move(text));
}

}  // namespace

struct FaultInjector::Held {
  http::Request request;
  http::Responder responder;
};

FaultInjector::FaultInjector(FaultConfig config)
    : config_(std::move(config)), random_state_(initial_state(config_.seed)) {
  timer_ = std::thread([this] { run_timers(); });
}

FaultInjector::~FaultInjector() {
  stop();
}

void FaultInjector::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  pool_.stop();
}

void FaultInjector::set_config(FaultConfig config) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    config_ = std::move(config);
    random_state_ = initial_state(config_.seed);
  }
  timer_cv_.notify_all();
  kube::log::info("fault injection configured", {{"config", fault_config_to_json(this->config())}});
}

FaultConfig FaultInjector::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

FaultStats FaultInjector::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

double FaultInjector::uniform() {
  return static_cast<double>(splitmix64(random_state_) >> 11) * 0x1.0p-53;
}

FaultDecision FaultInjector::decide(std::string_view verb, std::string_view resource,
                                    std::string_view subresource, bool internal) {
  FaultDecision d;
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.requests;
  for (const auto& rule : config_.rules) {
    if (internal && !rule.internal) continue;
    if (!rule.matches(verb, resource, subresource)) continue;
    d.delay += rule.latency;
    if (rule.jitter.count() > 0) {
      d.delay += std::chrono::milliseconds(
          static_cast<std::int64_t>(uniform() * static_cast<double>(rule.jitter.count() + 1)));
    }
    if (!d.error && rule.error_rate > 0 && uniform() < rule.error_rate) {
      d.error = injected_error(rule, verb, resource);
    }
  }
  if (d.error) ++stats_.errors;
  if (d.delay.count() > 0) ++stats_.delayed;
  return d;
}

bool FaultInjector::in_downtime() const {
  if (!downtime_.load(std::memory_order_relaxed)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return Clock::now() < downtime_until_;
}

http::Handler FaultInjector::wrap(http::Handler next) {
  return [this, next = std::move(next)](http::Request&& request, http::Responder responder) {
    handle(std::move(request), std::move(responder), next);
  };
}

void FaultInjector::handle(http::Request&& request, http::Responder responder,
                           const http::Handler& next) {
  std::string_view path = request.path();
  if (path.starts_with("/admin/")) {
    next(std::move(request), std::move(responder));
    return;
  }
  if (in_downtime()) {
    std::vector<std::uint16_t> ports;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ports = ports_;
    }
    const std::string& peer = request.remote_address;
    std::size_t cut = cut_connections(ports, [&](std::string_view p) { return p == peer; });
    std::lock_guard<std::mutex> lock(mu_);
    stats_.connections_cut += cut;
    // The responder goes out of scope unanswered; its reply meets a closed socket.
    return;
  }
  RequestInfo info = parse_request_path(path);
  if (info.target != RequestInfo::Target::kResource) {
    next(std::move(request), std::move(responder));
    return;
  }
  std::string verb = verb_of(request, info);
  FaultDecision d = decide(verb, info.resource, info.subresource, false);
  if (verb == "watch" && !d.error) {
    std::lock_guard<std::mutex> lock(mu_);
    watch_peers_.insert(request.remote_address);
  }
  if (d.delay.count() == 0) {
    if (d.error) {
      responder.send(Handlers::status_response(*d.error));
    } else {
      next(std::move(request), std::move(responder));
    }
    return;
  }
  auto held = std::make_shared<Held>(Held{std::move(request), std::move(responder)});
  pool_.post_after(d.delay, [held, next, error = std::move(d.error)] {
    if (error) {
      held->responder.send(Handlers::status_response(*error));
    } else {
      next(std::move(held->request), std::move(held->responder));
    }
  });
}

void FaultInjector::attach(ApiServer& server) {
  std::vector<std::uint16_t> ports;
  for (const auto& url : {server.url(), server.secure_url()}) {
    if (std::uint16_t p = port_of(url); p != 0) ports.push_back(p);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    store_ = &server.api().store();
    ports_ = std::move(ports);
  }
  server.add_route("/admin/faults", [this](http::Request&& request, http::Responder responder) {
    serve_admin(std::move(request), std::move(responder));
  });
  timer_cv_.notify_all();
}

std::int64_t FaultInjector::expire_history() {
  Store* store = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    store = store_;
    if (store != nullptr) ++stats_.compactions;
  }
  if (store == nullptr) return 0;
  std::int64_t rv = store->compact();
  kube::log::info("fault injection: watch history expired", {{"resourceVersion", rv}});
  return rv;
}

std::size_t FaultInjector::drop_watches() {
  std::unordered_set<std::string> peers;
  std::vector<std::uint16_t> ports;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A connection that carried a watch may have gone back to plain requests since; it is
    // cut as well (a dropped keep-alive connection is a fault clients must survive too).
    peers.swap(watch_peers_);
    ports = ports_;
  }
  if (peers.empty()) return 0;
  std::size_t cut = cut_connections(
      ports, [&](std::string_view peer) { return peers.count(std::string(peer)) > 0; });
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.watches_dropped += cut;
  }
  kube::log::v(1, "fault injection: watch connections cut",
               {{"connections", static_cast<unsigned long>(cut)}});
  return cut;
}

RestartResult FaultInjector::restart(const RestartOptions& options) {
  return restart_except(options, "");
}

RestartResult FaultInjector::restart_except(const RestartOptions& options,
                                            const std::string& keep_peer) {
  RestartResult result;
  result.resource_version = expire_history();
  std::vector<std::uint16_t> ports;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.restarts;
    ports = ports_;
    watch_peers_.clear();
    if (options.downtime.count() > 0) {
      downtime_until_ = Clock::now() + options.downtime;
      downtime_.store(true);
    }
  }
  if (options.drop_connections) {
    result.connections_cut =
        cut_connections(ports, [&](std::string_view peer) { return peer != keep_peer; });
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.connections_cut += result.connections_cut;
  }
  kube::log::info("fault injection: restart",
                  {{"resourceVersion", result.resource_version},
                   {"connections_cut", static_cast<unsigned long>(result.connections_cut)},
                   {"downtime_ms", static_cast<long long>(options.downtime.count())}});
  return result;
}

void FaultInjector::run_timers() {
  std::unique_lock<std::mutex> lock(mu_);
  auto next_drop = Clock::time_point::max();
  auto next_expire = Clock::time_point::max();
  std::chrono::milliseconds drop_period{0};
  std::chrono::milliseconds expire_period{0};
  while (!stopping_) {
    // Periods restart whenever the configuration changes them.
    auto now = Clock::now();
    if (config_.drop_watches_every != drop_period) {
      drop_period = config_.drop_watches_every;
      next_drop = drop_period.count() > 0 ? now + drop_period : Clock::time_point::max();
    }
    if (config_.expire_history_every != expire_period) {
      expire_period = config_.expire_history_every;
      next_expire = expire_period.count() > 0 ? now + expire_period : Clock::time_point::max();
    }
    if (downtime_.load() && now >= downtime_until_) downtime_.store(false);
    auto wake = std::min(next_drop, next_expire);
    if (downtime_.load()) wake = std::min(wake, downtime_until_);
    if (now < wake) {
      if (wake == Clock::time_point::max()) {
        timer_cv_.wait(lock);
      } else {
        timer_cv_.wait_until(lock, wake);
      }
      continue;
    }
    bool drop = now >= next_drop;
    bool expire = now >= next_expire;
    if (drop) next_drop = now + drop_period;
    if (expire) next_expire = now + expire_period;
    lock.unlock();
    if (expire) expire_history();
    if (drop) drop_watches();
    lock.lock();
  }
}

void FaultInjector::serve_admin(http::Request&& request, http::Responder responder) {
  std::string path(request.path());
  const std::string& method = request.method;
  auto reply_state = [&](int status) {
    json::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    fault_config_to_json(config(), doc, a);
    FaultStats s = stats();
    Value stats(rapidjson::kObjectType);
    json::set(stats, "requests", Value(s.requests), a);
    json::set(stats, "errors", Value(s.errors), a);
    json::set(stats, "delayed", Value(s.delayed), a);
    json::set(stats, "watchesDropped", Value(s.watches_dropped), a);
    json::set(stats, "compactions", Value(s.compactions), a);
    json::set(stats, "restarts", Value(s.restarts), a);
    json::set(stats, "connectionsCut", Value(s.connections_cut), a);
    json::set(doc, "stats", std::move(stats), a);
    responder.send(json_reply(status, doc));
  };
  auto fail = [&](const ApiError& e) { responder.send(Handlers::status_response(e)); };

  if (path == "/admin/faults" || path == "/admin/faults/") {
    if (method == "GET") {
      reply_state(200);
    } else if (method == "PUT") {
      auto parsed = parse_fault_config(request.body);
      if (!parsed.ok()) {
        fail(errors::bad_request(parsed.error().message));
        return;
      }
      set_config(std::move(parsed).value());
      reply_state(200);
    } else if (method == "DELETE") {
      set_config({});
      reply_state(200);
    } else {
      fail(errors::method_not_allowed());
    }
    return;
  }
  if (method != "POST") {
    fail(path == "/admin/faults/expire" || path == "/admin/faults/drop-watches" ||
                 path == "/admin/faults/restart"
             ? errors::method_not_allowed()
             : ApiError(404, "NotFound", "no such fault action: " + path));
    return;
  }
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  if (path == "/admin/faults/expire") {
    json::set_string(doc, "resourceVersion", std::to_string(expire_history()), a);
  } else if (path == "/admin/faults/drop-watches") {
    json::set(doc, "connectionsCut", Value(static_cast<std::uint64_t>(drop_watches())), a);
  } else if (path == "/admin/faults/restart") {
    RestartOptions options;
    std::string drop = request.query_param("dropConnections");
    if (!drop.empty()) options.drop_connections = parse_bool(drop);
    std::string downtime = request.query_param("downtimeMs");
    if (!downtime.empty()) {
      auto ms = kube::parse_int(downtime);
      if (!ms || *ms < 0 || *ms > 10 * 60 * 1000) {
        fail(errors::bad_request("downtimeMs must be an integer between 0 and 600000"));
        return;
      }
      options.downtime = std::chrono::milliseconds(*ms);
    }
    // The caller's own connection survives so that it gets this answer.
    RestartResult r = restart_except(options, request.remote_address);
    json::set_string(doc, "resourceVersion", std::to_string(r.resource_version), a);
    json::set(doc, "connectionsCut", Value(static_cast<std::uint64_t>(r.connections_cut)), a);
  } else {
    fail(ApiError(404, "NotFound", "no such fault action: " + path));
    return;
  }
  responder.send(json_reply(200, doc));
}

}  // namespace berth::sim
