#include "sim/kubelet/kubelet.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "sim/cluster/duration.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// What the container runtime reports for an image reference: the fully qualified name
// (docker.io/library/nginx:1.25) and a digest reference.
std::string qualified_image(std::string_view image) {
  std::string out(image);
  auto slash = out.find('/');
  bool has_registry = slash != std::string::npos &&
                      (out.substr(0, slash).find_first_of(".:") != std::string::npos ||
                       out.substr(0, slash) == "localhost");
  if (slash == std::string::npos) {
    out = "docker.io/library/" + out;
  } else if (!has_registry) {
    out = "docker.io/" + out;
  }
  auto last_slash = out.rfind('/');
  if (out.find('@') == std::string::npos && out.find(':', last_slash) == std::string::npos) {
    out += ":latest";
  }
  return out;
}

std::string image_id(std::string_view qualified) {
  std::string repo(qualified.substr(0, qualified.find('@')));
  auto colon = repo.rfind(':');
  if (colon != std::string::npos && colon > repo.rfind('/')) repo.resize(colon);
  std::uint64_t h = kube::fnv1a64(qualified);
  std::uint64_t h2 = kube::fnv1a64(std::string(qualified) + "#");
  return repo + "@sha256:" + hex64(h) + hex64(h2) + hex64(h ^ h2) + hex64(h + h2);
}

Value condition(std::string_view type, bool status, std::string_view reason,
                std::string_view message, const Value* existing, const std::string& now,
                json::Allocator& a) {
  Value c(rapidjson::kObjectType);
  std::string_view s = status ? "True" : "False";
  json::set_string(c, "type", type, a);
  json::set_string(c, "status", s, a);
  json::set(c, "lastProbeTime", Value(rapidjson::kNullType), a);
  std::string_view since = now;
  if (existing != nullptr && json::get_string(*existing, "status") == s) {
    since = json::get_string(*existing, "lastTransitionTime", now);
  }
  json::set_string(c, "lastTransitionTime", since, a);
  if (!reason.empty()) json::set_string(c, "reason", reason, a);
  if (!message.empty()) json::set_string(c, "message", message, a);
  return c;
}

const Value* find_condition(const Value* status, std::string_view type) {
  const Value* conditions = status != nullptr ? json::find(*status, "conditions") : nullptr;
  if (conditions == nullptr || !conditions->IsArray()) return nullptr;
  for (const auto& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == type) return &c;
  }
  return nullptr;
}

}  // namespace

struct Kubelet::PodState {
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string node;
  Stage stage = Stage::kAdmitted;
  Mode mode = Mode::kNormal;
  std::optional<milliseconds> exit_after;
  int exit_code = 0;
  std::string restart_policy = "Always";
  milliseconds start_delay{0};
  milliseconds stop_delay{0};
  int restarts = 0;
  std::string ip;
  std::string start_time;  // the pod's startTime
  std::string started_at;  // the containers' current (or last) run
  std::string finished_at;
  int last_exit_code = 0;
  std::size_t containers = 0;
  std::vector<std::string> container_ids;
  std::vector<std::string> last_container_ids;
  bool terminating = false;
  bool written = false;  // the kubelet has reported status for this pod
  std::uint64_t generation = 0;
};

kube::Status validate(const KubeletOptions& o) {
  auto invalid = [](std::string m) {
    return kube::Error::make(kube::Reason::kInvalid, std::move(m));
  };
  if (o.pod_start_delay.count() < 0 || o.pod_stop_delay.count() < 0) {
    return invalid("pod start and stop delays must not be negative");
  }
  if (!(o.start_jitter >= 0 && o.start_jitter <= 1)) {
    return invalid("--pod-start-jitter must be between 0 and 1");
  }
  if (o.crash_loop_backoff.count() < 1 || o.max_crash_loop_backoff < o.crash_loop_backoff) {
    return invalid("crash-loop backoff must be positive and not above its maximum");
  }
  if (o.crash_run_time.count() < 0) return invalid("crash run time must not be negative");
  return {};
}

Kubelet::Kubelet(LocalClient client, const NodePool& nodes, LocalInformer& informer,
                 KubeletOptions options)
    : client_(std::move(client)),
      nodes_(nodes),
      informer_(informer),
      options_(options),
      pods_(client_.resource("", "v1", "pods")) {
  random_state_ = options_.seed != 0 ? options_.seed : std::random_device{}();
}

Kubelet::~Kubelet() {
  stop();
}

void Kubelet::register_handlers() {
  informer_.add_handler(pods_, [this](const LocalEvent& e) { on_pod(e); });
}

void Kubelet::start() {
  thread_ = std::thread([this] { run(); });
}

void Kubelet::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t Kubelet::pod_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pods_by_uid_.size();
}

double Kubelet::uniform() {
  return static_cast<double>(splitmix64(random_state_) >> 11) * 0x1.0p-53;
}

void Kubelet::schedule(PodState& state, milliseconds delay) {
  ++state.generation;
  timers_.push_back(Timer{Clock::now() + delay, sequence_++, state.uid, state.generation});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
  cv_.notify_one();
}

std::string Kubelet::allocate_ip(const SimNode& node) {
  auto& used = used_ips_[node.name];
  if (used.empty()) used.assign(256, false);
  // .0 is the network, .1 the node's bridge, .255 broadcast.
  for (std::uint32_t host = 2; host < 255; ++host) {
    if (used[host]) continue;
    used[host] = true;
    std::uint32_t a = node.pod_network + host;
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
           std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
  }
  return "";
}

void Kubelet::release_ip(PodState& state) {
  if (state.ip.empty()) return;
  auto dot = state.ip.rfind('.');
  auto host = kube::parse_int(std::string_view(state.ip).substr(dot + 1));
  auto it = used_ips_.find(state.node);
  if (host && it != used_ips_.end() && *host >= 0 && *host < 256) {
    it->second[static_cast<std::size_t>(*host)] = false;
  }
  state.ip.clear();
}

void Kubelet::on_pod(const LocalEvent& event) {
  const kube::Object& pod = event.object;
  const Value* spec = pod.spec();
  if (spec == nullptr) return;
  std::string_view node_name = json::get_string(*spec, "nodeName");
  if (node_name.empty() || nodes_.find(node_name) == nullptr) return;
  std::string uid(pod.uid());

  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  auto it = pods_by_uid_.find(uid);
  if (event.type == EventType::kDeleted) {
    if (it != pods_by_uid_.end()) {
      release_ip(*it->second);
      pods_by_uid_.erase(it);
    }
    return;
  }
  if (it == pods_by_uid_.end()) {
    auto state = std::make_unique<PodState>();
    state->namespace_ = std::string(pod.namespace_());
    state->name = std::string(pod.name());
    state->uid = uid;
    state->node = std::string(node_name);
    state->restart_policy = std::string(json::get_string(*spec, "restartPolicy", "Always"));
    if (const Value* c = json::find(*spec, "containers"); c != nullptr && c->IsArray()) {
      state->containers = c->Size();
    }
    std::string_view fail = pod.annotation(kFailAnnotation).value_or("");
    if (fail == "crash-loop") state->mode = Mode::kCrashLoop;
    if (fail == "never-ready") state->mode = Mode::kNeverReady;
    if (auto v = pod.annotation(kExitAfterAnnotation)) state->exit_after = parse_duration(*v);
    if (auto v = pod.annotation(kExitCodeAnnotation)) {
      auto code = kube::parse_int(*v);
      state->exit_code = code ? static_cast<int>(std::clamp<long long>(*code, 0, 255)) : 1;
    }
    std::optional<milliseconds> start;
    if (auto v = pod.annotation(kStartDelayAnnotation)) start = parse_duration(*v);
    if (!start) {
      double factor = 1.0 + (uniform() * 2.0 - 1.0) * options_.start_jitter;
      start = milliseconds(static_cast<std::int64_t>(
          static_cast<double>(options_.pod_start_delay.count()) * factor));
    }
    state->start_delay = *start;
    std::optional<milliseconds> stop;
    if (auto v = pod.annotation(kStopDelayAnnotation)) stop = parse_duration(*v);
    state->stop_delay = stop.value_or(options_.pod_stop_delay);
    if (fail != "" && fail != "crash-loop" && fail != "never-ready") {
      kube::log::warn("unknown sim.berth.dev/fail mode; running the pod normally",
                      {{"pod", pod.key()}, {"mode", fail}});
    }
    const Value* status = pod.status();
    std::string_view phase = status != nullptr ? json::get_string(*status, "phase") : "";
    if (phase == "Succeeded" || phase == "Failed") {
      state->stage = Stage::kFinished;
      state->written = true;
    } else if (status != nullptr && json::find(*status, "startTime") != nullptr) {
      // Started before this kubelet saw it (status written by someone else): keep it as is.
      state->stage = Stage::kRunning;
      state->written = true;
      state->start_time = std::string(json::get_string(*status, "startTime"));
    }
    it = pods_by_uid_.emplace(uid, std::move(state)).first;
    if (!pod.being_deleted() && it->second->stage == Stage::kAdmitted) schedule(*it->second, {});
  }
  PodState& state = *it->second;
  if (pod.being_deleted() && !state.terminating) {
    state.terminating = true;
    std::int64_t grace = json::get_int(*pod.metadata(), "deletionGracePeriodSeconds", 0);
    milliseconds delay = std::min(state.stop_delay, milliseconds(grace * 1000));
    schedule(state, delay);
  }
}

void Kubelet::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (timers_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto due = timers_.front().due;
    if (Clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    Timer t = std::move(timers_.back());
    timers_.pop_back();
    lock.unlock();
    step(t.uid, t.generation);
    lock.lock();
  }
}

void Kubelet::step(const std::string& uid, std::uint64_t generation) {
  PodState snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_by_uid_.find(uid);
    if (it == pods_by_uid_.end() || it->second->generation != generation) return;
    PodState& s = *it->second;
    std::string now = now_rfc3339();
    milliseconds next{-1};
    if (s.terminating) {
      s.stage = Stage::kStopping;
      release_ip(s);
    } else {
      switch (s.stage) {
        case Stage::kAdmitted:
          s.stage = Stage::kCreating;
          s.start_time = now;
          next = s.start_delay;
          break;
        case Stage::kCreating:
        case Stage::kBackOff:
          if (s.ip.empty()) s.ip = allocate_ip(*nodes_.find(s.node));
          s.stage = Stage::kRunning;
          s.started_at = now;
          s.container_ids.clear();
          if (s.mode == Mode::kCrashLoop) {
            next = options_.crash_run_time;
          } else if (s.exit_after) {
            next = *s.exit_after;
          }
          break;
        case Stage::kRunning: {
          // The containers exit.
          s.last_exit_code = s.mode == Mode::kCrashLoop ? 1 : s.exit_code;
          s.finished_at = now;
          s.last_container_ids = s.container_ids;
          bool restart = s.restart_policy == "Always" ||
                         (s.restart_policy == "OnFailure" && s.last_exit_code != 0);
          if (restart) {
            ++s.restarts;
            s.stage = Stage::kBackOff;
            milliseconds backoff = options_.crash_loop_backoff;
            for (int i = 1; i < s.restarts && backoff < options_.max_crash_loop_backoff; ++i)
              backoff *= 2;
            next = std::min(backoff, options_.max_crash_loop_backoff);
          } else {
            s.stage = Stage::kFinished;
            release_ip(s);
          }
          break;
        }
        case Stage::kFinished:
        case Stage::kStopping:
          return;
      }
    }
    if (s.stage == Stage::kRunning && s.container_ids.empty()) {
      for (std::size_t i = 0; i < s.containers; ++i)
        s.container_ids.push_back(
            hex64(splitmix64(random_state_)) + hex64(splitmix64(random_state_)) +
            hex64(splitmix64(random_state_)) + hex64(splitmix64(random_state_)));
    }
    if (next.count() >= 0) schedule(s, next);
    snapshot = s;
  }

  if (snapshot.stage == Stage::kStopping) {
    finish_deletion(snapshot);
    return;
  }
  if (!write_status(snapshot)) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_by_uid_.find(uid);
  if (it != pods_by_uid_.end()) it->second->written = true;
}

bool Kubelet::write_status(const PodState& s) {
  const SimNode* node = nodes_.find(s.node);
  std::string now = now_rfc3339();
  LocalClient kubelet =
      client_.as({"system:node:" + s.node, {"system:nodes", "system:authenticated"}, "kubelet"});
  auto result = kubelet.update_with(
      pods_, s.namespace_, s.name, "status",
      [&](const kube::Object& current) -> ApiResult<json::Document> {
        if (current.uid() != s.uid) return errors::not_found({"", "pods"}, s.name);
        json::Document doc = current.copy();
        auto& a = doc.GetAllocator();
        const Value* old_status = json::find(current.json(), "status");
        Value status(rapidjson::kObjectType);
        std::string_view phase = "Pending";
        if (s.stage == Stage::kRunning || s.stage == Stage::kBackOff) phase = "Running";
        if (s.stage == Stage::kFinished) phase = s.last_exit_code == 0 ? "Succeeded" : "Failed";
        if (s.stage == Stage::kStopping && old_status != nullptr) {
          phase = json::get_string(*old_status, "phase", "Pending");
        }
        json::set_string(status, "phase", phase, a);

        const Value* containers = json::find(*json::find(doc, "spec"), "containers");
        std::vector<std::string> names;
        if (containers != nullptr && containers->IsArray()) {
          for (const auto& c : containers->GetArray())
            names.emplace_back(json::get_string(c, "name"));
        }
        bool running = s.stage == Stage::kRunning;
        bool ready = running && s.mode == Mode::kNormal;
        bool terminal = s.stage == Stage::kFinished;
        std::string unready;
        for (const auto& n : names)
          unready += (unready.empty() ? "" : " ") + n;
        std::string_view reason = terminal ? "PodCompleted" : "ContainersNotReady";
        std::string message = terminal ? "" : "containers with unready status: [" + unready + "]";

        Value conditions(rapidjson::kArrayType);
        conditions.PushBack(condition("Initialized", true, "", "",
                                      find_condition(old_status, "Initialized"), now, a),
                            a);
        conditions.PushBack(condition("Ready", ready, ready ? "" : reason, ready ? "" : message,
                                      find_condition(old_status, "Ready"), now, a),
                            a);
        conditions.PushBack(
            condition("ContainersReady", ready, ready ? "" : reason, ready ? "" : message,
                      find_condition(old_status, "ContainersReady"), now, a),
            a);
        // The pod runs here, so it is scheduled (the kubelet reports PodScheduled=True even
        // for pods created with a nodeName, which no binding touched).
        conditions.PushBack(condition("PodScheduled", true, "", "",
                                      find_condition(old_status, "PodScheduled"), now, a),
                            a);
        json::set(status, "conditions", std::move(conditions), a);
        if (node != nullptr) json::set_string(status, "hostIP", node->internal_ip, a);
        if (!s.ip.empty() && s.stage != Stage::kCreating) {
          json::set_string(status, "podIP", s.ip, a);
          Value ips(rapidjson::kArrayType);
          Value ip(rapidjson::kObjectType);
          json::set_string(ip, "ip", s.ip, a);
          ips.PushBack(ip, a);
          json::set(status, "podIPs", std::move(ips), a);
        } else if (old_status != nullptr && terminal) {
          // A finished pod keeps the address it ran with.
          if (const Value* ip = json::find(*old_status, "podIP"))
            json::set(status, "podIP", Value(*ip, a), a);
          if (const Value* ips = json::find(*old_status, "podIPs"))
            json::set(status, "podIPs", Value(*ips, a), a);
        }
        json::set_string(status, "startTime", s.start_time.empty() ? now : s.start_time, a);

        const Value* init = json::find(*json::find(doc, "spec"), "initContainers");
        if (init != nullptr && init->IsArray() && !init->Empty()) {
          Value statuses(rapidjson::kArrayType);
          for (const auto& c : init->GetArray()) {
            std::string image = qualified_image(json::get_string(c, "image"));
            Value cs(rapidjson::kObjectType);
            json::set_string(cs, "name", json::get_string(c, "name"), a);
            Value state(rapidjson::kObjectType);
            Value t(rapidjson::kObjectType);
            json::set(t, "exitCode", Value(0), a);
            json::set_string(t, "reason", "Completed", a);
            json::set_string(t, "startedAt", s.start_time.empty() ? now : s.start_time, a);
            json::set_string(t, "finishedAt", s.start_time.empty() ? now : s.start_time, a);
            json::set(state, "terminated", std::move(t), a);
            json::set(cs, "state", std::move(state), a);
            json::set(cs, "lastState", Value(rapidjson::kObjectType), a);
            json::set(cs, "ready", Value(s.stage != Stage::kCreating), a);
            json::set(cs, "restartCount", Value(0), a);
            json::set_string(cs, "image", image, a);
            json::set_string(cs, "imageID", image_id(image), a);
            json::set(cs, "started", Value(false), a);
            statuses.PushBack(cs, a);
          }
          json::set(status, "initContainerStatuses", std::move(statuses), a);
        }

        Value statuses(rapidjson::kArrayType);
        std::size_t index = 0;
        if (containers != nullptr && containers->IsArray()) {
          for (const auto& c : containers->GetArray()) {
            std::string image(json::get_string(c, "image"));
            std::string qualified = qualified_image(image);
            std::string id = index < s.container_ids.size() ? s.container_ids[index] : "";
            std::string last_id =
                index < s.last_container_ids.size() ? s.last_container_ids[index] : "";
            ++index;
            Value cs(rapidjson::kObjectType);
            json::set_string(cs, "name", json::get_string(c, "name"), a);
            Value state(rapidjson::kObjectType);
            Value last(rapidjson::kObjectType);
            auto terminated = [&](const std::string& container_id) {
              Value t(rapidjson::kObjectType);
              int code = s.stage == Stage::kStopping ? 0 : s.last_exit_code;
              json::set(t, "exitCode", Value(code), a);
              json::set_string(t, "reason", code == 0 ? "Completed" : "Error", a);
              json::set_string(t, "startedAt", s.started_at.empty() ? now : s.started_at, a);
              json::set_string(t, "finishedAt", s.stage == Stage::kStopping ? now : s.finished_at,
                               a);
              if (!container_id.empty()) {
                json::set_string(t, "containerID", "containerd://" + container_id, a);
              }
              return t;
            };
            switch (s.stage) {
              case Stage::kAdmitted:
              case Stage::kCreating: {
                Value w(rapidjson::kObjectType);
                json::set_string(w, "reason", "ContainerCreating", a);
                json::set(state, "waiting", std::move(w), a);
                break;
              }
              case Stage::kRunning: {
                Value r(rapidjson::kObjectType);
                json::set_string(r, "startedAt", s.started_at, a);
                json::set(state, "running", std::move(r), a);
                break;
              }
              case Stage::kBackOff: {
                Value w(rapidjson::kObjectType);
                json::set_string(w, "reason", "CrashLoopBackOff", a);
                milliseconds backoff = options_.crash_loop_backoff;
                for (int i = 1; i < s.restarts && backoff < options_.max_crash_loop_backoff; ++i)
                  backoff *= 2;
                backoff = std::min(backoff, options_.max_crash_loop_backoff);
                json::set_string(
                    w, "message",
                    "back-off " + format_duration(backoff) +
                        " restarting failed container=" + std::string(json::get_string(c, "name")) +
                        " pod=" + s.name + "_" + s.namespace_ + "(" + s.uid + ")",
                    a);
                json::set(state, "waiting", std::move(w), a);
                json::set(last, "terminated", terminated(last_id), a);
                break;
              }
              case Stage::kFinished:
                json::set(state, "terminated", terminated(last_id), a);
                break;
              case Stage::kStopping:
                json::set(state, "terminated", terminated(id), a);
                break;
            }
            if (s.stage == Stage::kRunning && s.restarts > 0) {
              Value t(rapidjson::kObjectType);
              json::set(t, "exitCode", Value(s.last_exit_code), a);
              json::set_string(t, "reason", s.last_exit_code == 0 ? "Completed" : "Error", a);
              json::set_string(t, "finishedAt", s.finished_at, a);
              if (!last_id.empty())
                json::set_string(t, "containerID", "containerd://" + last_id, a);
              json::set(last, "terminated", std::move(t), a);
            }
            json::set(cs, "state", std::move(state), a);
            json::set(cs, "lastState", std::move(last), a);
            json::set(cs, "ready", Value(ready), a);
            json::set(cs, "restartCount", Value(s.restarts), a);
            bool pulled = s.stage != Stage::kAdmitted && s.stage != Stage::kCreating;
            json::set_string(cs, "image", pulled ? qualified : image, a);
            json::set_string(cs, "imageID", pulled ? image_id(qualified) : "", a);
            if (!id.empty() && s.stage == Stage::kRunning) {
              json::set_string(cs, "containerID", "containerd://" + id, a);
            }
            json::set(cs, "started", Value(running), a);
            statuses.PushBack(cs, a);
          }
        }
        json::set(status, "containerStatuses", std::move(statuses), a);
        if (old_status != nullptr) {
          if (const Value* qos = json::find(*old_status, "qosClass")) {
            json::set(status, "qosClass", Value(*qos, a), a);
          }
        }
        json::set(doc, "status", std::move(status), a);
        return doc;
      });
  if (!result.ok()) {
    if (result.error().code != 404) {
      kube::log::v(1, "kubelet could not update pod status",
                   {{"pod", s.namespace_ + "/" + s.name}, {"error", result.error().message}});
    }
    return false;
  }
  return true;
}

void Kubelet::finish_deletion(const PodState& s) {
  if (s.written) write_status(s);
  DeleteOptions options;
  options.grace_period_seconds = 0;
  options.precondition_uid = s.uid;
  auto r =
      client_.as({"system:node:" + s.node, {"system:nodes", "system:authenticated"}, "kubelet"})
          .remove(pods_, s.namespace_, s.name, options);
  if (!r.ok() && r.error().code != 404 && r.error().code != 409) {
    kube::log::warn("kubelet could not delete a terminated pod",
                    {{"pod", s.namespace_ + "/" + s.name}, {"error", r.error().message}});
    // Try again shortly; the pod is still terminating.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_by_uid_.find(s.uid);
    if (it != pods_by_uid_.end()) schedule(*it->second, milliseconds(1000));
  }
}

}  // namespace berth::sim
