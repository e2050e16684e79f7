#include "scheduler-extender/server/extender_service.h"

#include <algorithm>
#include <map>

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/metrics/text_format.h"
#include "scheduler-extender/protocol/responses.h"

namespace berth::extender {

namespace http = kube::http;

namespace {

constexpr std::size_t kRecentPods = 4096;

http::Response json_reply(int status, std::string body) {
  return http::Response::json(status, std::move(body));
}

http::Response error_reply(int status, std::string_view message) {
  return json_reply(status, protocol::encode_error(message));
}

std::vector<double> decision_buckets() {
  return kube::metrics::exponential_buckets(25e-6, 2, 16);  // 25us .. 0.8s
}

}  // namespace

struct ExtenderService::Metrics {
  explicit Metrics(kube::metrics::Registry& r)
      : decisions(r.counter_vec("berth_extender_decisions_total",
                                "Extender calls answered, by verb and outcome.",
                                {"verb", "outcome"})),
        rejected(r.counter_vec("berth_extender_rejected_nodes_total",
                               "Candidate nodes a filter call rejected, by policy.", {"policy"})),
        duration(r.histogram_vec("berth_extender_decision_duration_seconds",
                                 "Time to parse, decide and encode one extender call, by verb.",
                                 {"verb"}, decision_buckets())),
        cache(r.gauge_vec("berth_extender_cache_objects",
                          "Objects in berth-extender's cache and its indexes, by kind.",
                          {"kind"})) {}

  kube::metrics::CounterVec& decisions;
  kube::metrics::CounterVec& rejected;
  kube::metrics::HistogramVec& duration;
  kube::metrics::GaugeVec& cache;
  std::vector<kube::metrics::Registration> registrations;
};

ExtenderService::ExtenderService(ClusterState& state, const PolicySet& policies,
                                 const ExtenderConfig& config, kube::metrics::Registry& registry,
                                 Binder* binder, std::function<bool()> ready, bool serve_metrics)
    : state_(state),
      policies_(policies),
      config_(config),
      registry_(registry),
      binder_(binder),
      ready_(std::move(ready)),
      serve_metrics_(serve_metrics),
      explain_(config.explain_decisions),
      metrics_(std::make_unique<Metrics>(registry)),
      fence_(config.placement_wait) {
  auto ping = []() -> kube::Result<std::string> { return std::string(); };
  healthz_.add("ping", ping);
  livez_.add("ping", ping);
  readyz_.add("ping", ping);
  readyz_.add(
      "cache-sync", [this] { return ready_(); }, "the caches have not synced yet");

  using Field = std::size_t ClusterStats::*;
  const std::pair<const char*, Field> kinds[] = {
      {"pods", &ClusterStats::pods},
      {"nodes", &ClusterStats::nodes},
      {"namespaces", &ClusterStats::namespaces},
      {"persistentvolumeclaims", &ClusterStats::claims},
      {"persistentvolumes", &ClusterStats::volumes},
      {"storageclasses", &ClusterStats::storage_classes},
      {"count_views", &ClusterStats::views},
      {"term_groups", &ClusterStats::term_groups},
      {"affinity_specs", &ClusterStats::affinity_specs},
      {"strings", &ClusterStats::strings},
      {"assumed_pods", &ClusterStats::assumed_pods},
  };
  for (const auto& [name, field] : kinds) {
    std::vector<std::string> labels = {name};
    metrics_->registrations.push_back(metrics_->cache.add_function(
        labels, [this, f = field] { return static_cast<double>(state_.stats().*f); }));
  }
}

ExtenderService::~ExtenderService() = default;

std::vector<std::string> ExtenderService::routes() const {
  std::vector<std::string> r = {config_.filter_path,
                                config_.prioritize_path,
                                config_.preempt_path,
                                "/explain",
                                "/healthz",
                                "/livez",
                                "/readyz",
                                "/metrics"};
  if (config_.bind_enabled) r.push_back(config_.bind_path);
  return r;
}

void ExtenderService::handle(http::Request&& request, Reply reply) {
  std::string_view path = request.path();
  bool post = request.method == "POST";
  auto verb = [&](std::string_view p) { return path == p; };
  if (verb(config_.filter_path) || verb(config_.prioritize_path) || verb(config_.preempt_path) ||
      (config_.bind_enabled && verb(config_.bind_path))) {
    if (!post) {
      http::Response r = error_reply(405, "use POST");
      r.headers.set("Allow", "POST");
      return reply(std::move(r));
    }
    if (verb(config_.filter_path)) return reply(filter(request));
    if (verb(config_.prioritize_path)) return reply(prioritize(request));
    if (verb(config_.preempt_path)) return reply(preempt(request));
    return bind(request, std::move(reply));
  }
  bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/explain" || path == "/metrics" || path == "/healthz" || path == "/livez" ||
      path == "/readyz" || path.starts_with("/healthz/") || path.starts_with("/livez/") ||
      path.starts_with("/readyz/")) {
    if (!get) {
      http::Response r = error_reply(405, "use GET");
      r.headers.set("Allow", "GET");
      return reply(std::move(r));
    }
    if (path == "/explain") return reply(explain(request));
    if (path == "/metrics") {
      if (!serve_metrics_) return reply(error_reply(404, "metrics are served elsewhere"));
      http::Response r = http::Response::text(200, registry_.render());
      r.content_type = std::string(kube::metrics::kTextContentType);
      return reply(std::move(r));
    }
    return reply(health(request));
  }
  reply(error_reply(404, "no such path: " + std::string(path)));
}

std::optional<http::Response> ExtenderService::not_ready(std::string_view verb) {
  if (!ready_()) {
    metrics_->decisions.with_labels({verb, "not_ready"}).inc();
    return error_reply(503, "berth-extender's caches have not synced yet");
  }
  return std::nullopt;
}

http::Response ExtenderService::bad_request(std::string_view verb, const kube::Error& error) {
  metrics_->decisions.with_labels({verb, "bad_request"}).inc();
  kube::log::v(2, "rejected a malformed request", {{"verb", verb}, {"error", error.message}});
  return error_reply(error.code >= 400 ? error.code : 400, error.message);
}

void ExtenderService::learn_nodes(const protocol::ExtenderArgs& args) {
  std::vector<std::size_t> unknown;
  {
    auto reader = state_.read();
    for (std::size_t i = 0; i < args.node_names.size(); ++i) {
      if (reader.find_node(args.node_names[i]) == kNoSlot) unknown.push_back(i);
    }
  }
  if (unknown.empty()) return;
  auto writer = state_.write();
  for (std::size_t i : unknown) {
    auto node = decode_node(*args.node_objects[i]);
    if (node.ok()) writer.upsert_node(*node);
  }
}

void ExtenderService::remember_pod(const PodSpec& pod) {
  if (!config_.bind_enabled || pod.uid.empty()) return;
  std::lock_guard<std::mutex> lock(recent_mu_);
  auto [it, inserted] = recent_.insert_or_assign(pod.uid, pod);
  if (!inserted) return;
  recent_order_.push_back(pod.uid);
  if (recent_order_.size() > kRecentPods) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
}

void ExtenderService::finish(Decision&& d, std::chrono::steady_clock::time_point start,
                             std::string_view outcome) {
  d.duration = std::chrono::steady_clock::now() - start;
  d.time = std::chrono::system_clock::now();
  metrics_->decisions.with_labels({d.verb, outcome}).inc();
  metrics_->duration.with_labels({d.verb}).observe(
      std::chrono::duration<double>(d.duration).count());
  if (kube::log::enabled(2)) {
    kube::log::info(
        "decision",
        {{"verb", d.verb},
         {"pod", d.pod_namespace + "/" + d.pod_name},
         {"candidates", d.candidates},
         {"feasible", d.feasible},
         {"micros",
          static_cast<long long>(
              std::chrono::duration_cast<std::chrono::microseconds>(d.duration).count())}});
  }
  if (kube::log::enabled(5)) {
    kube::log::info("decision detail", {{"verb", d.verb},
                                        {"pod", d.pod_namespace + "/" + d.pod_name},
                                        {"nodes", ExplainLog::summarize_nodes(d)}});
  }
  explain_.record(std::move(d));
}

http::Response ExtenderService::filter(const http::Request& request) {
  auto start = std::chrono::steady_clock::now();
  if (auto r = not_ready("filter")) return std::move(*r);
  auto args = protocol::parse_extender_args(request.body);
  if (!args.ok()) return bad_request("filter", args.error());
  if (args->nodes_sent_as_list) learn_nodes(*args);
  remember_pod(args->pod);
  auto fence_start = std::chrono::steady_clock::now();
  std::vector<std::string> missing = fence_.wait(
      args->pod, [this](std::string_view uid) { return state_.read().find_pod(uid) != kNoSlot; });
  auto waited = std::chrono::steady_clock::now() - fence_start;
  FilterOutcome outcome = policies_.filter(args->pod, args->node_names);
  if (waited > std::chrono::microseconds(100)) {
    outcome.decision.notes.push_back(
        "waited " +
        std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(waited).count()) +
        "us for the pods filtered before it to be placed");
  }
  for (const std::string& uid : missing) {
    outcome.decision.notes.push_back("pod " + uid +
                                     ", filtered before this one, was not placed in time");
  }
  if (!outcome.passed.empty()) fence_.expect(args->pod);
  protocol::FilterAnswer answer;
  answer.passed = std::move(outcome.passed);
  for (const NodeFailure& f : outcome.failed) {
    (f.unresolvable ? answer.failed_unresolvable : answer.failed)
        .push_back({f.index, outcome.reasons[f.reason]});
  }
  for (const NodeDecision& n : outcome.decision.nodes) {
    if (!n.policy.empty()) metrics_->rejected.with_labels({n.policy}).inc();
  }
  if (outcome.decision.nodes_omitted > 0) {
    metrics_->rejected.with_labels({"(not itemized)"})
        .inc(static_cast<double>(outcome.decision.nodes_omitted));
  }
  std::string body = protocol::encode_filter_result(*args, answer);
  bool none = answer.passed.empty() && !args->node_names.empty();
  finish(std::move(outcome.decision), start, none ? "no_feasible_node" : "ok");
  return json_reply(200, std::move(body));
}

http::Response ExtenderService::prioritize(const http::Request& request) {
  auto start = std::chrono::steady_clock::now();
  if (auto r = not_ready("prioritize")) return std::move(*r);
  auto args = protocol::parse_extender_args(request.body);
  if (!args.ok()) return bad_request("prioritize", args.error());
  if (args->nodes_sent_as_list) learn_nodes(*args);
  PrioritizeOutcome outcome = policies_.prioritize(args->pod, args->node_names);
  std::string body = protocol::encode_host_priority_list(args->node_names, outcome.scores);
  finish(std::move(outcome.decision), start, "ok");
  return json_reply(200, std::move(body));
}

http::Response ExtenderService::preempt(const http::Request& request) {
  auto start = std::chrono::steady_clock::now();
  if (auto r = not_ready("preempt")) return std::move(*r);
  auto args = protocol::parse_preemption_args(request.body);
  if (!args.ok()) return bad_request("preempt", args.error());
  std::vector<PreemptionCandidate> candidates;
  candidates.reserve(args->nodes.size());
  for (const auto& [node, victims] : args->nodes)
    candidates.push_back({node, victims.pod_uids});
  PreemptOutcome outcome = policies_.preempt(args->pod, candidates);
  std::vector<protocol::PreemptionNode> kept;
  for (std::uint32_t i : outcome.kept) {
    const auto& [node, victims] = args->nodes[i];
    kept.push_back({node, victims.pod_uids, victims.num_pdb_violations});
  }
  std::string body = protocol::encode_preemption_result(kept);
  finish(std::move(outcome.decision), start, "ok");
  return json_reply(200, std::move(body));
}

void ExtenderService::bind(const http::Request& request, Reply reply) {
  auto start = std::chrono::steady_clock::now();
  if (auto r = not_ready("bind")) return reply(std::move(*r));
  auto args = protocol::parse_binding_args(request.body);
  if (!args.ok()) return reply(bad_request("bind", args.error()));
  std::optional<PodSpec> pod;
  {
    std::lock_guard<std::mutex> lock(recent_mu_);
    if (auto it = recent_.find(args->pod_uid); it != recent_.end()) pod = it->second;
  }
  // Place the pod in the cache now: the next scheduling cycle may start before the watch
  // reports the binding, and must see this pod's requests and (anti-)affinity.
  if (pod) {
    state_.write().assume_pod(*pod, args->node,
                              std::chrono::system_clock::now() + config_.assume_timeout);
  }
  Decision d;
  d.verb = "bind";
  d.pod_namespace = args->pod_namespace;
  d.pod_name = args->pod_name;
  d.pod_uid = args->pod_uid;
  d.candidates = 1;
  binder_->bind(*args, [this, d = std::move(d), start, uid = args->pod_uid, node = args->node,
                        reply = std::move(reply)](kube::Status status) mutable {
    if (!status.ok()) {
      state_.write().forget_assumed(uid);
      d.notes.push_back(status.error().to_string());
      finish(std::move(d), start, "error");
      // The extender protocol reports a failed binding in the Error field of a 200.
      return reply(json_reply(200, protocol::encode_error(status.error().message)));
    }
    d.feasible = 1;
    d.nodes.push_back({node, "", "", -1, {}});
    finish(std::move(d), start, "ok");
    reply(json_reply(200, protocol::encode_error("")));
  });
}

http::Response ExtenderService::explain(const http::Request& request) const {
  ExplainQuery q;
  q.pod = request.query_param("pod");
  q.uid = request.query_param("uid");
  q.verb = request.query_param("verb");
  if (request.has_query_param("limit")) {
    auto n = kube::parse_int(request.query_param("limit"));
    if (!n || *n < 1 || *n > 100000) {
      return error_reply(400, "limit must be an integer from 1 to 100000");
    }
    q.limit = static_cast<std::size_t>(*n);
  }
  return json_reply(200, explain_.render(q));
}

http::Response ExtenderService::health(const http::Request& request) const {
  std::string_view path = request.path();
  const kube::Checks& checks = path.starts_with("/readyz")  ? readyz_
                               : path.starts_with("/livez") ? livez_
                                                            : healthz_;
  auto slash = path.find('/', 1);
  kube::Checks::Rendered rendered;
  if (slash != std::string_view::npos) {
    auto one = checks.render_one(path.substr(slash + 1));
    if (!one) return error_reply(404, "no such check");
    rendered = std::move(*one);
  } else {
    std::vector<std::string> exclude;
    for (std::string_view part : kube::split(request.query(), '&')) {
      if (part.starts_with("exclude=")) {
        if (auto v = kube::url_decode(part.substr(8))) exclude.push_back(std::move(*v));
      }
    }
    rendered = checks.render(request.has_query_param("verbose"), exclude);
  }
  http::Response r = http::Response::text(rendered.status, std::move(rendered.body));
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

}  // namespace berth::extender
