#include "sim/scheduler/scheduler.h"

#include <algorithm>
#include <limits>
#include <map>

#include "kube/core/log.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;
using scheduling::NodeInfo;
using scheduling::PodInfo;

namespace {

// kube-scheduler: MaxNodeScore / MaxExtenderPriority.
constexpr std::int64_t kExtenderScoreScale = 100 / 10;
constexpr std::string_view kDefaultScheduler = "default-scheduler";

Identity scheduler_identity() {
  return {"system:kube-scheduler", {"system:authenticated"}, "kube-scheduler"};
}

bool terminal(const kube::Object& pod) {
  const Value* status = pod.status();
  std::string_view phase = status != nullptr ? json::get_string(*status, "phase") : "";
  return phase == "Succeeded" || phase == "Failed";
}

std::string_view node_name(const kube::Object& pod) {
  const Value* spec = pod.spec();
  return spec != nullptr ? json::get_string(*spec, "nodeName") : std::string_view();
}

}  // namespace

struct Scheduler::Outcome {
  std::string host;            // set on success
  bool unschedulable = false;  // a FitError (else an error, when host is empty)
  std::string message;
};

kube::Status validate(const SchedulerOptions& o) {
  if (o.scheduler_name.empty()) {
    return kube::Error::make(kube::Reason::kInvalid, "--scheduler-name must not be empty");
  }
  if (o.percentage_of_nodes_to_score < 0 || o.percentage_of_nodes_to_score > 100) {
    return kube::Error::make(kube::Reason::kInvalid,
                             "--percentage-of-nodes-to-score must be between 0 and 100");
  }
  for (const auto& e : o.extenders)
    KUBE_RETURN_IF_ERROR(scheduling::validate(e));
  return {};
}

Scheduler::Scheduler(LocalClient client, LocalInformer& informer, EventSink& events,
                     SchedulerOptions options)
    : client_(client.as(scheduler_identity())),
      informer_(informer),
      options_(std::move(options)),
      berth_events_(events, EventRecorder::Api::kEventsV1, options_.scheduler_name,
                    options_.scheduler_name + "-berth-sim"),
      default_events_(events, EventRecorder::Api::kEventsV1, std::string(kDefaultScheduler),
                      std::string(kDefaultScheduler) + "-berth-sim"),
      pods_(client_.resource("", "v1", "pods")),
      nodes_(client_.resource("", "v1", "nodes")),
      queue_(options_.queue),
      random_(options_.seed != 0 ? options_.seed : std::random_device{}()) {
  for (const auto& e : options_.extenders)
    extenders_.emplace_back(e);
}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::register_handlers() {
  informer_.add_handler(nodes_, [this](const LocalEvent& e) { on_node(e); });
  informer_.add_handler(pods_, [this](const LocalEvent& e) { on_pod(e); });
}

void Scheduler::start() {
  writer_ = std::thread([this] { run_writer(); });
  thread_ = std::thread([this] { run(); });
}

void Scheduler::stop() {
  stopping_ = true;
  queue_.close();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    writer_stopping_ = true;
  }
  writer_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

SchedulerStats Scheduler::stats() const {
  return {scheduled_.load(),    unschedulable_.load(),    errors_.load(),
          filter_calls_.load(), prioritize_calls_.load(), nodes_evaluated_.load()};
}

bool Scheduler::handles(const std::string& scheduler_name) const {
  return scheduler_name == options_.scheduler_name ||
         (options_.default_scheduler && scheduler_name == kDefaultScheduler);
}

void Scheduler::account(const std::string& uid, const std::string& node, const PodInfo& pod) {
  auto where = pod_node_.find(uid);
  if (where != pod_node_.end()) {
    if (where->second == node) return;
    unaccount(uid);
  }
  auto& info = node_infos_[node];
  if (!info) {
    // A pod on a node the cache has not seen (yet): kept on a placeholder.
    info = std::make_unique<NodeInfo>();
    info->name = node;
  }
  info->add_pod(uid, pod);
  pod_node_[uid] = node;
}

void Scheduler::unaccount(const std::string& uid) {
  auto where = pod_node_.find(uid);
  if (where == pod_node_.end()) return;
  auto it = node_infos_.find(where->second);
  if (it != node_infos_.end()) {
    it->second->remove_pod(uid);
    if (!it->second->object && it->second->pods.empty()) node_infos_.erase(it);
  }
  pod_node_.erase(where);
}

void Scheduler::on_node(const LocalEvent& e) {
  std::string name(e.object.name());
  bool relevant = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = node_infos_[name];
    if (e.type == EventType::kDeleted) {
      if (slot) {
        slot->object = {};
        if (slot->pods.empty()) node_infos_.erase(name);
      } else {
        node_infos_.erase(name);
      }
      order_dirty_ = true;
      return;
    }
    auto fresh = std::make_unique<NodeInfo>(scheduling::parse_node(e.object));
    if (!slot || !slot->object) {
      relevant = true;
      order_dirty_ = true;
      if (std::find(zone_order_.begin(), zone_order_.end(), fresh->zone) == zone_order_.end()) {
        zone_order_.push_back(fresh->zone);
      }
    } else {
      relevant = scheduling::scheduling_relevant_change(*slot, *fresh);
      if (slot->zone != fresh->zone) order_dirty_ = true;
    }
    if (slot) {
      fresh->requested = slot->requested;
      fresh->non_zero_cpu = slot->non_zero_cpu;
      fresh->non_zero_memory = slot->non_zero_memory;
      fresh->pods = std::move(slot->pods);
      // Nodes keep their address: order_ points at them.
      *slot = std::move(*fresh);
    } else {
      slot = std::move(fresh);
    }
  }
  if (relevant) queue_.move_all_unschedulable();
}

void Scheduler::on_pod(const LocalEvent& e) {
  const kube::Object& pod = e.object;
  std::string uid(pod.uid());
  std::string node(node_name(pod));
  bool freed = false;
  if (e.type == EventType::kDeleted || (!node.empty() && terminal(pod))) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      freed = pod_node_.count(uid) != 0;
      unaccount(uid);
      assumed_.erase(uid);
      last_failure_.erase(uid);
    }
    queue_.forget(uid);
    if (freed) queue_.move_all_unschedulable();
    return;
  }
  if (!node.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto where = pod_node_.find(uid);
      if (where == pod_node_.end() || where->second != node) {
        account(uid, node, scheduling::parse_pod(pod));
      }
      assumed_.erase(uid);
      last_failure_.erase(uid);
    }
    queue_.forget(uid);
    return;
  }
  const Value* spec = pod.spec();
  std::string scheduler(spec != nullptr ? json::get_string(*spec, "schedulerName") : "");
  if (pod.being_deleted() || terminal(pod) || !handles(scheduler)) {
    queue_.forget(uid);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (assumed_.count(uid) != 0) return;
  }
  queue_.add_or_update(scheduling::parse_pod(pod));
}

void Scheduler::rebuild_order() {
  if (!order_dirty_) return;
  std::map<std::string, std::vector<NodeInfo*>> by_zone;
  for (auto& [name, info] : node_infos_) {
    if (info->object) by_zone[info->zone].push_back(info.get());
  }
  for (auto& [zone, nodes] : by_zone) {
    std::sort(nodes.begin(), nodes.end(), [](const NodeInfo* a, const NodeInfo* b) {
      return a->object.creation_timestamp() != b->object.creation_timestamp()
                 ? a->object.creation_timestamp() < b->object.creation_timestamp()
                 : a->name < b->name;
    });
  }
  // kube-scheduler's node tree: one node of each zone in turn.
  order_.clear();
  std::size_t longest = 0;
  for (const auto& [zone, nodes] : by_zone)
    longest = std::max(longest, nodes.size());
  for (std::size_t i = 0; i < longest; ++i) {
    for (const auto& zone : zone_order_) {
      auto it = by_zone.find(zone);
      if (it != by_zone.end() && i < it->second.size()) order_.push_back(it->second[i]);
    }
  }
  order_dirty_ = false;
}

void Scheduler::run() {
  while (!stopping_) {
    auto pod = queue_.pop();
    if (!pod) return;
    // Look at the pod as the cache has it now; it may have been bound or deleted meanwhile.
    kube::Object current = informer_.get(pods_, pod->key);
    bool assumed = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      assumed = assumed_.count(pod->uid) != 0;
    }
    if (!current || current.uid() != pod->uid || !node_name(current).empty() ||
        current.being_deleted() || assumed) {
      if (!assumed) queue_.forget(pod->uid);
      continue;
    }
    schedule_one(scheduling::parse_pod(current));
  }
}

Scheduler::Outcome Scheduler::find_host(const PodInfo& pod) {
  Outcome out;
  std::vector<Candidate> candidates;
  std::unordered_map<std::string, std::int64_t> reasons;
  std::unordered_set<std::string> unresolvable;
  std::int64_t all_nodes = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rebuild_order();
    all_nodes = static_cast<std::int64_t>(order_.size());
    if (all_nodes == 0) {
      out.message = "no nodes available to schedule pods";
      return out;
    }
    std::int64_t to_find =
        scheduling::num_feasible_nodes_to_find(all_nodes, options_.percentage_of_nodes_to_score);
    std::size_t n = order_.size();
    std::size_t start = next_start_ % n;
    std::size_t processed = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const NodeInfo& node = *order_[(start + i) % n];
      ++processed;
      auto failed = scheduling::filter(pod, node);
      if (failed.reasons.empty()) {
        candidates.push_back(
            {node.name, node.object, scheduling::least_allocated_score(pod, node)});
        if (static_cast<std::int64_t>(candidates.size()) >= to_find) break;
      } else {
        if (failed.unresolvable) unresolvable.insert(node.name);
        for (auto& r : failed.reasons)
          ++reasons[std::move(r)];
      }
    }
    next_start_ = (start + processed) % n;
    nodes_evaluated_ += processed;
  }
  if (candidates.empty()) {
    out.unschedulable = true;
    out.message = fit_error(pod, all_nodes, reasons, unresolvable);
    return out;
  }

  bool berth = pod.scheduler_name == options_.scheduler_name;
  std::string pod_json;
  if (berth && !extenders_.empty())
    pod_json = scheduling::ExtenderClient::without_type_meta(pod.object);
  auto node_refs = [&] {
    std::vector<const kube::Object*> refs;
    refs.reserve(candidates.size());
    for (const auto& c : candidates)
      refs.push_back(&c.node);
    return refs;
  };
  if (berth) {
    for (auto& extender : extenders_) {
      if (candidates.empty()) break;
      ++filter_calls_;
      auto result = extender.filter(pod_json, node_refs());
      if (!result.ok()) {
        if (extender.config().ignorable) {
          kube::log::v(
              1, "ignorable extender failed; skipping it",
              {{"extender", extender.config().url_prefix}, {"error", result.error().message}});
          continue;
        }
        out.message = result.error().message;
        return out;
      }
      std::unordered_set<std::string> marked;
      for (const auto& [node, why] : result->failed_unresolvable) {
        ++reasons[why];
        marked.insert(node);
        unresolvable.insert(node);
      }
      for (const auto& [node, why] : result->failed) {
        if (marked.count(node) == 0) ++reasons[why];
      }
      std::unordered_map<std::string, std::size_t> index;
      for (std::size_t i = 0; i < candidates.size(); ++i)
        index.emplace(candidates[i].name, i);
      std::vector<Candidate> kept;
      kept.reserve(result->nodes.size());
      for (const auto& name : result->nodes) {
        auto it = index.find(name);
        if (it != index.end()) kept.push_back(std::move(candidates[it->second]));
      }
      candidates = std::move(kept);
    }
    if (candidates.empty()) {
      out.unschedulable = true;
      out.message = fit_error(pod, all_nodes, reasons, unresolvable);
      return out;
    }
  }
  if (candidates.size() == 1) {
    out.host = candidates.front().name;
    return out;
  }
  if (berth) {
    std::unordered_map<std::string, std::int64_t> extra;
    for (auto& extender : extenders_) {
      if (extender.config().prioritize_verb.empty()) continue;
      ++prioritize_calls_;
      auto scores = extender.prioritize(pod_json, node_refs());
      // Prioritize errors are ignored, as kube-scheduler does.
      if (!scores.ok()) continue;
      for (const auto& s : *scores)
        extra[s.host] += s.score * extender.config().weight * kExtenderScoreScale;
    }
    for (auto& c : candidates) {
      auto it = extra.find(c.name);
      if (it != extra.end()) c.score += it->second;
    }
  }
  std::int64_t best = std::numeric_limits<std::int64_t>::min();
  std::uint64_t ties = 0;
  for (const auto& c : candidates) {
    if (c.score > best) {
      best = c.score;
      out.host = c.name;
      ties = 1;
    } else if (c.score == best) {
      // Reservoir sampling: each tied node wins with equal probability.
      ++ties;
      if (random_() % ties == 0) out.host = c.name;
    }
  }
  return out;
}

std::string Scheduler::fit_error(const PodInfo& pod, std::int64_t all_nodes,
                                 const std::unordered_map<std::string, std::int64_t>& reasons,
                                 const std::unordered_set<std::string>& unresolvable) {
  std::string message = scheduling::fit_error_message(all_nodes, reasons);
  if (pod.preempt_never) return message + scheduling::preemption_suffix(true, 0, 0);
  // DefaultPreemption tries every node that did not fail for good, the ones outside the
  // sample included. Where a lower-priority pod runs it would evict, which the simulator
  // does not model, so it words only the outcome where nothing can be evicted.
  std::int64_t victimless = 0;
  std::int64_t helpless = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (const NodeInfo* node : order_) {
    if (unresolvable.count(node->name) != 0) {
      ++helpless;
    } else if (node->has_pod_below(pod.priority)) {
      return message;
    } else {
      ++victimless;
    }
  }
  return message + scheduling::preemption_suffix(false, victimless, helpless);
}

void Scheduler::schedule_one(const PodInfo& pod) {
  Outcome outcome = find_host(pod);
  if (outcome.host.empty()) {
    if (outcome.unschedulable) {
      ++unschedulable_;
    } else {
      ++errors_;
    }
    report_failure(pod, outcome.unschedulable ? "Unschedulable" : "SchedulerError",
                   outcome.message);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = node_infos_.find(outcome.host);
    if (it == node_infos_.end() || !it->second->object) {
      // The node went away during the cycle.
      queue_.requeue(pod.uid, false);
      return;
    }
    account(pod.uid, outcome.host, pod);
    assumed_.insert(pod.uid);
  }
  post([this, pod, host = outcome.host]() mutable { bind(std::move(pod), std::move(host)); });
}

void Scheduler::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(writer_mu_);
    if (writer_stopping_) return;
    writes_.push_back(std::move(task));
  }
  writer_cv_.notify_one();
}

void Scheduler::run_writer() {
  std::unique_lock<std::mutex> lock(writer_mu_);
  for (;;) {
    writer_cv_.wait(lock, [&] { return writer_stopping_ || !writes_.empty(); });
    if (writer_stopping_) return;
    auto task = std::move(writes_.front());
    writes_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

void Scheduler::bind(PodInfo pod, std::string node) {
  const kube::Object& p = pod.object;
  auto st = client_.bind(p.namespace_(), p.name(), pod.uid, node);
  if (st.ok()) {
    ++scheduled_;
    queue_.forget(pod.uid);
    EventRecorder& events =
        pod.scheduler_name == options_.scheduler_name ? berth_events_ : default_events_;
    events.record(p, "Normal", "Scheduled", "Binding",
                  "Successfully assigned " + pod.key + " to " + node);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    assumed_.erase(pod.uid);
    auto where = pod_node_.find(pod.uid);
    if (where != pod_node_.end() && where->second == node) unaccount(pod.uid);
  }
  const ApiError& e = st.error();
  if (e.code == 404 || e.code == 409) {
    // Deleted, being deleted, or bound by someone else: the pod's events settle it.
    queue_.forget(pod.uid);
    return;
  }
  ++errors_;
  report_failure(pod, "SchedulerError", "binding rejected: " + e.message);
}

void Scheduler::report_failure(const PodInfo& pod, std::string reason, std::string message) {
  queue_.requeue(pod.uid, reason == "Unschedulable");
  bool new_message = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& last = last_failure_[pod.uid];
    new_message = last != message;
    last = message;
  }
  kube::log::v(2, "pod not scheduled",
               {{"pod", pod.key}, {"reason", reason}, {"message", message}});
  post([this, pod, reason = std::move(reason), message = std::move(message), new_message] {
    const kube::Object& p = pod.object;
    auto r = client_.update_with(
        pods_, p.namespace_(), p.name(), "status",
        [&](const kube::Object& current) -> ApiResult<json::Document> {
          if (current.uid() != pod.uid) return errors::not_found({"", "pods"}, p.name());
          if (!node_name(current).empty() || current.being_deleted()) {
            return errors::conflict({"", "pods"}, p.name(), "no longer pending");
          }
          json::Document doc = current.copy();
          auto& a = doc.GetAllocator();
          Value& conditions =
              json::ensure_array(json::ensure_object(doc, "status", a), "conditions", a);
          Value* scheduled = nullptr;
          for (auto& c : conditions.GetArray()) {
            if (json::get_string(c, "type") == "PodScheduled") scheduled = &c;
          }
          std::string now = now_rfc3339();
          if (scheduled == nullptr) {
            conditions.PushBack(Value(rapidjson::kObjectType), a);
            scheduled = &conditions[conditions.Size() - 1];
            json::set_string(*scheduled, "type", "PodScheduled", a);
          }
          std::string since =
              json::get_string(*scheduled, "status") == "False"
                  ? std::string(json::get_string(*scheduled, "lastTransitionTime", now))
                  : now;
          scheduled->SetObject();
          json::set_string(*scheduled, "type", "PodScheduled", a);
          json::set_string(*scheduled, "status", "False", a);
          json::set(*scheduled, "lastProbeTime", Value(rapidjson::kNullType), a);
          json::set_string(*scheduled, "lastTransitionTime", since, a);
          json::set_string(*scheduled, "reason", reason, a);
          json::set_string(*scheduled, "message", message, a);
          return doc;
        });
    if (!r.ok() && r.error().code != 404 && r.error().code != 409) {
      kube::log::v(1, "could not update PodScheduled",
                   {{"pod", pod.key}, {"error", r.error().message}});
    }
    if (r.ok() && new_message) {
      EventRecorder& events =
          pod.scheduler_name == options_.scheduler_name ? berth_events_ : default_events_;
      events.record(p, "Warning", "FailedScheduling", "Scheduling", message);
    }
  });
}

}  // namespace berth::sim
