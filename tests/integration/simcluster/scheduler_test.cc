// berth-sim's scheduler end to end: the in-tree filters decide where default-scheduler pods
// may go, and berth-scheduler pods go through a real berth-extender (started in-process and
// fed by watches of the simulated cluster, as the binary would be) over HTTP. Wording of
// conditions and events is kube-scheduler v1.26's (fixtures/k8s-1.26/objects/events-*).
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "kube/api/resource.h"
#include "kube/core/json.h"
#include "kube/http/client.h"
#include "scheduler-extender/config/config.h"
#include "scheduler-extender/feed/watch_feed.h"
#include "scheduler-extender/server/extender_server.h"
#include "tests/integration/simcluster/cluster_env.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;
namespace ext = berth::extender;
using berth::testing::wait_for;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kNs = "sched";

// berth-extender as its binary assembles it, minus flags: the HTTP server comes up first (it
// answers 503 until its caches have synced) so its URL can go into the cluster's scheduler
// configuration; connect() then feeds it from the cluster's API.
class InProcessExtender {
 public:
  InProcessExtender()
      : state_(
            ext::ClusterStateOptions{.hard_pod_affinity_weight = config_.hard_pod_affinity_weight}),
        policies_(state_, ext::make_policies(config_), config_.explain_nodes),
        service_(state_, policies_, config_, registry_, nullptr,
                 [this] { return connected_.load() && feed_->synced(); }) {
    start_server("127.0.0.1:0");
  }
  ~InProcessExtender() {
    stop_server();
    if (feed_) feed_->stop();
  }

  void start_server(const std::string& address) {
    auto s = ext::start_extender_server({.bind_address = address}, service_, registry_);
    if (!s.ok()) throw std::runtime_error("extender: " + s.error().message);
    server_ = std::move(*s);
    url_ = server_->url();
    port_ = server_->port();
  }
  void stop_server() {
    if (server_) server_->stop();
    server_.reset();
  }

  void connect(const std::string& cluster_url) {
    kube::Config c;
    c.server = cluster_url;
    auto client = kube::Client::create(c, {.qps = 0, .component = "extender"});
    if (!client.ok()) throw std::runtime_error("client: " + client.error().message);
    client_ = std::move(*client);
    feed_ = std::make_unique<ext::WatchFeed>(*client_, state_);
    feed_->start();
    connected_ = true;
  }
  bool synced() const { return connected_.load() && feed_->synced(); }

  const std::string& url() const { return url_; }
  std::uint16_t port() const { return port_; }
  std::size_t cached_pods() const { return state_.stats().pods; }

  // GET /explain?...: the decisions, most recent first.
  json::Document explain(std::string_view query) {
    auto r = http_.get(url_ + "/explain?" + std::string(query), seconds(5));
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.error().message);
    auto d = json::parse(r.ok() ? r->body : "{}");
    EXPECT_TRUE(d.ok());
    return d.ok() ? std::move(*d) : json::Document();
  }

 private:
  ext::ExtenderConfig config_;
  ext::ClusterState state_;
  ext::PolicySet policies_;
  kube::metrics::Registry registry_;
  ext::ExtenderService service_;
  std::unique_ptr<kube::http::Server> server_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<ext::WatchFeed> feed_;
  std::atomic<bool> connected_{false};
  std::string url_;
  std::uint16_t port_ = 0;
  kube::http::Client http_;
};

scheduling::ExtenderConfig extender_config(const std::string& url, bool ignorable = false) {
  scheduling::ExtenderConfig e;
  e.url_prefix = url;
  e.weight = 2;  // as deploy/ ships berth-scheduler
  e.ignorable = ignorable;
  e.http_timeout = seconds(5);
  return e;
}

// A pod of `scheduler` requesting `cpu`; `extra_spec` is spliced into the spec.
std::string pod_json(std::string_view name, std::string_view scheduler, std::string_view cpu,
                     std::string_view labels = R"({"app":"web"})",
                     std::string_view extra_spec = "") {
  std::string out = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")";
  out += name;
  out += R"(","namespace":"sched","labels":)";
  out += labels;
  out += R"(},"spec":{"schedulerName":")";
  out += scheduler;
  out += "\",";
  out += extra_spec;
  if (!extra_spec.empty()) out += ",";
  out += R"("containers":[{"name":"c","image":"nginx:1.25","resources":{"requests":{"cpu":")";
  out += cpu;
  out += R"(","memory":"64Mi"}}}]}})";
  return out;
}

constexpr std::string_view kAntiAffinity =
    R"("affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)"
    R"({"labelSelector":{"matchLabels":{"app":"web"}},"topologyKey":"kubernetes.io/hostname"}]}})";
constexpr std::string_view kPreferDb =
    R"("affinity":{"podAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[)"
    R"({"weight":100,"podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"db"}},)"
    R"("topologyKey":"kubernetes.io/hostname"}}]}})";

std::string node_of(const kube::Object& pod) {
  const json::Value* spec = pod.spec();
  return spec != nullptr ? std::string(json::get_string(*spec, "nodeName")) : std::string();
}

std::int64_t rv_of(const kube::Object& o) {
  return std::stoll(std::string(o.resource_version()));
}

// Core/v1 events about `pod` with `reason`, oldest first.
std::vector<kube::Object> events_for(ClusterEnv& env, std::string_view pod,
                                     std::string_view reason) {
  std::vector<kube::Object> out;
  for (auto& e : env.list(kube::resources::kEvents, kNs)) {
    const json::Value* involved = json::find(e.json(), "involvedObject");
    if (involved != nullptr && json::get_string(*involved, "name") == pod &&
        json::get_string(e.json(), "reason") == reason) {
      out.push_back(e);
    }
  }
  return out;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void start(SimClusterOptions options) {
    env = std::make_unique<ClusterEnv>(std::move(options));
    env->create(kube::resources::kNamespaces,
                R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"sched"}})");
  }
  kube::Object create_pod(const std::string& text) {
    return env->create(kube::resources::kPods, text);
  }
  // Waits for the pod to be bound; returns its node ("" on timeout, which fails the test).
  std::string wait_bound(std::string_view name, seconds timeout = seconds(20)) {
    bool ok = false;
    auto pod = env->wait_for(
        kube::resources::kPods, kNs, name,
        [](const kube::Object& p) { return !node_of(p).empty(); }, &ok, timeout);
    EXPECT_TRUE(ok) << name << " not bound: " << (pod ? json::dump(pod.json()) : "absent");
    return ok ? node_of(pod) : "";
  }
  kube::Object wait_unscheduled(std::string_view name, std::string_view reason) {
    bool ok = false;
    auto pod = env->wait_for(
        kube::resources::kPods, kNs, name,
        [&](const kube::Object& p) {
          return node_of(p).empty() && pod_scheduled(p, "status") == "False" &&
                 pod_scheduled(p, "reason") == reason;
        },
        &ok);
    EXPECT_TRUE(ok) << name << ": " << (pod ? json::dump(pod.json()) : "absent");
    return pod;
  }
  // The scheduler has seen every write up to `object` (node changes before pods arrive).
  void wait_scheduler_saw(const kube::Object& object) {
    ASSERT_TRUE(object);
    std::int64_t rv = rv_of(object);
    ASSERT_TRUE(
        wait_for([&] { return env->cluster().informer().delivered_rv() >= rv; }, seconds(10)));
  }
  kube::Object wait_event(std::string_view pod, std::string_view reason) {
    kube::Object found;
    EXPECT_TRUE(wait_for(
        [&] {
          auto events = events_for(*env, pod, reason);
          if (events.empty()) return false;
          found = events.back();
          return true;
        },
        seconds(20)))
        << "no " << reason << " event for " << pod;
    return found;
  }

  std::unique_ptr<ClusterEnv> env;
};

// --- default-scheduler: in-tree filters only --------------------------------------------------

// Five nodes, each closed to ordinary pods for a different reason but nodes 2 and 3: cordoned,
// tainted, labelled disk=ssd, plain, NotReady.
class DefaultSchedulerTest : public SchedulerTest {
 protected:
  void SetUp() override {
    start(fast_options(5));
    env->merge_patch(kube::resources::kNodes, "", "sim-node-0",
                     R"({"spec":{"unschedulable":true}})");
    env->merge_patch(
        kube::resources::kNodes, "", "sim-node-1",
        R"({"spec":{"taints":[{"key":"dedicated","value":"gpu","effect":"NoSchedule"}]}})");
    env->merge_patch(kube::resources::kNodes, "", "sim-node-2",
                     R"({"metadata":{"labels":{"disk":"ssd"}}})");
    ASSERT_TRUE(env->cluster().nodes().set_ready("sim-node-4", false).ok());
    bool ok = false;
    auto last = env->wait_for(
        kube::resources::kNodes, "", "sim-node-4",
        [](const kube::Object& n) {
          const json::Value* c = json::find_path(n.json(), {"status", "conditions"});
          if (c == nullptr || !c->IsArray()) return false;
          for (const auto& x : c->GetArray()) {
            if (json::get_string(x, "type") == "Ready")
              return json::get_string(x, "status") != "True";
          }
          return false;
        },
        &ok);
    ASSERT_TRUE(ok);
    wait_scheduler_saw(last);
  }
};

TEST_F(DefaultSchedulerTest, BindsOnlyToNodesThatPassEveryFilter) {
  // nodeSelector: only node 2 carries disk=ssd.
  create_pod(pod_json("ssd", "default-scheduler", "100m", R"({"app":"a"})",
                      R"("nodeSelector":{"disk":"ssd"})"));
  // Required node affinity naming the unschedulable, the tainted and the NotReady node plus
  // node 3: only node 3 is open.
  const std::string any_but_2 =
      R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":)"
      R"({"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/hostname",)"
      R"("operator":"In","values":["sim-node-0","sim-node-1","sim-node-3","sim-node-4"]}]}]}}})";
  create_pod(pod_json("affinity", "default-scheduler", "100m", R"({"app":"a"})", any_but_2));
  // Tolerating the taint opens node 1, and the affinity keeps it to nodes 0 and 1.
  const std::string gpu =
      R"("tolerations":[{"key":"dedicated","operator":"Equal","value":"gpu","effect":"NoSchedule"}],)"
      R"("affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":)"
      R"({"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/hostname",)"
      R"("operator":"In","values":["sim-node-0","sim-node-1"]}]}]}}})";
  create_pod(pod_json("gpu", "default-scheduler", "100m", R"({"app":"a"})", gpu));
  // Tolerating node.kubernetes.io/unschedulable is what DaemonSets do to land on cordoned nodes.
  const std::string cordoned =
      R"("tolerations":[{"key":"node.kubernetes.io/unschedulable","operator":"Exists",)"
      R"("effect":"NoSchedule"}],"nodeSelector":{"kubernetes.io/hostname":"sim-node-0"})";
  create_pod(pod_json("cordoned", "default-scheduler", "100m", R"({"app":"a"})", cordoned));

  EXPECT_EQ(wait_bound("ssd"), "sim-node-2");
  EXPECT_EQ(wait_bound("affinity"), "sim-node-3");
  EXPECT_EQ(wait_bound("gpu"), "sim-node-1");
  EXPECT_EQ(wait_bound("cordoned"), "sim-node-0");

  // Unconstrained pods spread over the two open nodes only.
  std::set<std::string> used;
  for (int i = 0; i < 6; ++i)
    create_pod(pod_json("free-" + std::to_string(i), "default-scheduler", "100m"));
  for (int i = 0; i < 6; ++i)
    used.insert(wait_bound("free-" + std::to_string(i)));
  EXPECT_EQ(used, (std::set<std::string>{"sim-node-2", "sim-node-3"}));

  // The Scheduled event as kube-scheduler writes it (events.k8s.io, seen through core/v1).
  auto scheduled = wait_event("ssd", "Scheduled");
  ASSERT_TRUE(scheduled);
  EXPECT_EQ(json::get_string(scheduled.json(), "message"),
            "Successfully assigned sched/ssd to sim-node-2");
  EXPECT_EQ(json::get_string(scheduled.json(), "type"), "Normal");
  EXPECT_EQ(json::get_string(scheduled.json(), "action"), "Binding");
  EXPECT_EQ(json::get_string(scheduled.json(), "reportingComponent"), "default-scheduler");
  auto bound = env->get(kube::resources::kPods, kNs, "ssd");
  EXPECT_EQ(pod_scheduled(bound, "status"), "True");
}

TEST_F(DefaultSchedulerTest, PodThatFitsNowhereStaysPendingWithTheFitErrorUntilRoomIsMade) {
  // No node's cpu is ever oversubscribed, whatever the order of events.
  PodWatch watch(env->client(), std::string(kNs), "app=big", [](const PodWatch::Pods& pods) {
    std::map<std::string, int> per_node;
    for (const auto& [name, pod] : pods) {
      std::string node = node_of(pod);
      if (!node.empty() && ++per_node[node] > 1) return "two 3-cpu pods on " + node;
    }
    return std::string();
  });
  for (int i = 0; i < 3; ++i)
    create_pod(pod_json("big-" + std::to_string(i), "default-scheduler", "3", R"({"app":"big"})"));
  // Two fit (nodes 2 and 3); whichever came last waits.
  std::string pending;
  ASSERT_TRUE(wait_for(
      [&] {
        int bound = 0;
        pending.clear();
        for (int i = 0; i < 3; ++i) {
          auto p = env->get(kube::resources::kPods, kNs, "big-" + std::to_string(i));
          if (!node_of(p).empty()) {
            ++bound;
          } else if (pod_scheduled(p, "reason") == "Unschedulable") {
            pending = "big-" + std::to_string(i);
          }
        }
        return bound == 2 && !pending.empty();
      },
      seconds(20)));

  // kube-scheduler v1.26's FitError: reasons sorted, counted over all five nodes, then what
  // DefaultPreemption concluded (no pod of lower priority to evict on the two full nodes;
  // nothing to gain on the three that failed for good), after " <message>.".
  const std::string expected =
      "0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
      "1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, "
      "1 node(s) were unschedulable, 2 Insufficient cpu. preemption: 0/5 nodes are available: "
      "2 No preemption victims found for incoming pod, "
      "3 Preemption is not helpful for scheduling..";
  auto pod = wait_unscheduled(pending, "Unschedulable");
  EXPECT_EQ(pod_scheduled(pod, "message"), expected);
  EXPECT_EQ(pod_phase(pod), "Pending");
  auto failed = wait_event(pending, "FailedScheduling");
  ASSERT_TRUE(failed);
  EXPECT_EQ(json::get_string(failed.json(), "message"), expected);
  EXPECT_EQ(json::get_string(failed.json(), "type"), "Warning");
  EXPECT_EQ(json::get_string(failed.json(), "action"), "Scheduling");

  // Freeing a node is a cluster change: the waiting pod is retried and takes its place.
  std::string freed;
  for (int i = 0; i < 3; ++i) {
    auto p = env->get(kube::resources::kPods, kNs, "big-" + std::to_string(i));
    if (!node_of(p).empty()) {
      freed = node_of(p);
      // Graceful: the kubelet stops the pod and finishes the deletion.
      auto removed = env->client().remove(kube::resources::kPods, kNs, p.name());
      ASSERT_TRUE(removed.ok()) << removed.error().to_string();
      break;
    }
  }
  EXPECT_EQ(wait_bound(pending), freed);

  // Both open nodes are full again, of priority-0 pods. For a pod of higher priority
  // kube-scheduler would evict one; the simulator does not preempt, so it states only the
  // fit error rather than word a preemption it does not carry out.
  env->create(
      kube::ResourceType{"scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false},
      R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",)"
      R"("metadata":{"name":"high"},"value":1000})");
  create_pod(pod_json("urgent", "default-scheduler", "3", R"({"app":"big"})",
                      R"("priorityClassName":"high")"));
  auto urgent = wait_unscheduled("urgent", "Unschedulable");
  EXPECT_EQ(pod_scheduled(urgent, "message"),
            "0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
            "1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, "
            "1 node(s) were unschedulable, 2 Insufficient cpu.");
  EXPECT_EQ(watch.first_violation(), "");
  EXPECT_GE(env->cluster().scheduler()->stats().unschedulable, 1u);
}

// The condition and events have the shape of kube-scheduler v1.26's
// (fixtures/k8s-1.26/objects: a FailedScheduling and a Scheduled event, a pending pod).
TEST_F(DefaultSchedulerTest, ConditionAndEventsHaveKubeSchedulersShape) {
  BERTH_REQUIRE_FIXTURES();
  auto events = berth::testing::read_fixture_json("objects/events-preemption-list.json");
  auto pending = berth::testing::read_fixture_json("objects/pod-preemptor-nominated.json");
  ASSERT_TRUE(events && pending);
  const json::Value& items = (*events)["items"];
  const json::Value* fixture_failed = nullptr;
  const json::Value* fixture_scheduled = nullptr;
  for (const auto& e : items.GetArray()) {
    if (json::get_string(e, "reason") == "FailedScheduling" && fixture_failed == nullptr)
      fixture_failed = &e;
    if (json::get_string(e, "reason") == "Scheduled") fixture_scheduled = &e;
  }
  ASSERT_TRUE(fixture_failed != nullptr && fixture_scheduled != nullptr);

  create_pod(pod_json("nowhere", "default-scheduler", "100m", R"({"app":"a"})",
                      R"("nodeSelector":{"disk":"nvme"})"));
  create_pod(pod_json("somewhere", "default-scheduler", "100m"));
  create_pod(pod_json("never", "default-scheduler", "100m", R"({"app":"a"})",
                      R"("preemptionPolicy":"Never","nodeSelector":{"disk":"nvme"})"));
  auto pod = wait_unscheduled("nowhere", "Unschedulable");
  EXPECT_EQ(pod_scheduled(pod, "message"),
            "0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
            "1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, "
            "1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. "
            "preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling..");
  const json::Value* conditions = json::find_path(pod.json(), {"status", "conditions"});
  ASSERT_TRUE(conditions != nullptr && conditions->IsArray() && conditions->Size() == 1u);
  expect_same_keys((*pending)["status"]["conditions"][0], (*conditions)[0]);

  auto never = wait_unscheduled("never", "Unschedulable");
  const std::string suffix = ". preemption: not eligible due to preemptionPolicy=Never..";
  std::string message = pod_scheduled(never, "message");
  ASSERT_GT(message.size(), suffix.size());
  EXPECT_EQ(message.substr(message.size() - suffix.size()), suffix) << message;

  auto failed = wait_event("nowhere", "FailedScheduling");
  ASSERT_TRUE(failed);
  // (Items of a list carry no kind and apiVersion.)
  expect_same_keys(*fixture_failed, failed.json(), {"managedFields", "kind", "apiVersion"});
  EXPECT_FALSE(wait_bound("somewhere").empty());
  auto scheduled = wait_event("somewhere", "Scheduled");
  ASSERT_TRUE(scheduled);
  expect_same_keys(*fixture_scheduled, scheduled.json(), {"managedFields", "kind", "apiVersion"});
}

TEST(NumFeasibleNodesToFind, FollowsKubeScheduler126) {
  using scheduling::num_feasible_nodes_to_find;
  EXPECT_EQ(num_feasible_nodes_to_find(50, 0), 50);  // below minFeasibleNodesToFind: all
  EXPECT_EQ(num_feasible_nodes_to_find(99, 10), 99);
  EXPECT_EQ(num_feasible_nodes_to_find(100, 0), 100);   // 50% of 100 = 50, floored to 100
  EXPECT_EQ(num_feasible_nodes_to_find(250, 0), 120);   // 50 - 2 = 48%
  EXPECT_EQ(num_feasible_nodes_to_find(1000, 0), 420);  // 50 - 8 = 42%
  EXPECT_EQ(num_feasible_nodes_to_find(5000, 0), 500);  // 50 - 40 = 10%
  EXPECT_EQ(num_feasible_nodes_to_find(6000, 0), 300);  // 50 - 48 = 2%, raised to 5%
  EXPECT_EQ(num_feasible_nodes_to_find(20000, 0), 1000);
  EXPECT_EQ(num_feasible_nodes_to_find(250, 10), 100);  // 25, floored to 100
  EXPECT_EQ(num_feasible_nodes_to_find(250, 60), 150);
  EXPECT_EQ(num_feasible_nodes_to_find(250, 100), 250);
  EXPECT_EQ(num_feasible_nodes_to_find(5000, 3), 150);  // an explicit percentage is not raised to 5
}

// --- berth-scheduler: through berth-extender ----------------------------------------------------

class BerthSchedulerTest : public SchedulerTest {
 protected:
  void start_with_extender(SimClusterOptions o, bool ignorable = false) {
    o.scheduler_options.extenders = {extender_config(extender.url(), ignorable)};
    start(std::move(o));
    extender.connect(env->url());
    ASSERT_TRUE(wait_for([&] { return extender.synced(); }, seconds(20)));
  }
  // Creates the pod, waits for its binding and for the extender's cache to hold it (the
  // extender learns placements from its pod watch).
  std::string place(const std::string& name, const std::string& text) {
    std::size_t before = extender.cached_pods();
    create_pod(text);
    std::string node = wait_bound(name);
    EXPECT_TRUE(wait_for([&] { return extender.cached_pods() > before; }, seconds(10)));
    return node;
  }
  // The extender's most recent decision for a pod and verb (null when none).
  json::Document decision(std::string_view pod, std::string_view verb) {
    auto d = extender.explain("pod=sched/" + std::string(pod) + "&verb=" + std::string(verb));
    json::Document out;
    const json::Value* list = json::find(d, "decisions");
    if (list != nullptr && list->IsArray() && !list->Empty())
      out.CopyFrom((*list)[0], out.GetAllocator());
    return out;
  }

  InProcessExtender extender;
};

TEST_F(BerthSchedulerTest, RequiredAntiAffinitySpreadsOnePerNodeAndTheSurplusWaitsWithTheReason) {
  start_with_extender(fast_options(3));
  std::set<std::string> nodes;
  for (int i = 0; i < 3; ++i) {
    std::string name = "web-" + std::to_string(i);
    nodes.insert(
        place(name, pod_json(name, "berth-scheduler", "100m", R"({"app":"web"})", kAntiAffinity)));
  }
  EXPECT_EQ(nodes.size(), 3u);

  create_pod(pod_json("web-3", "berth-scheduler", "100m", R"({"app":"web"})", kAntiAffinity));
  auto pod = wait_unscheduled("web-3", "Unschedulable");

  // The extender rejected all three candidates for one anti-affinity reason, and the
  // scheduler reported it the way kube-scheduler words a FitError.
  auto filter = decision("web-3", "filter");
  ASSERT_TRUE(filter.IsObject()) << "no filter decision for web-3";
  EXPECT_EQ(json::get_int(filter, "candidates"), 3);
  EXPECT_EQ(json::get_int(filter, "feasible"), 0);
  const json::Value* reasons = json::find(filter, "reasons");
  ASSERT_TRUE(reasons != nullptr && reasons->IsObject() && reasons->MemberCount() == 1u)
      << json::dump(filter);
  std::string reason(json::as_string(reasons->MemberBegin()->name));
  EXPECT_TRUE(reason == "node(s) didn't match pod anti-affinity rules" ||
              reason == "node(s) didn't satisfy existing pods anti-affinity rules")
      << reason;
  // Anti-affinity is resolvable by eviction (kube-scheduler's InterPodAffinity says
  // Unschedulable, not UnschedulableAndUnresolvable), but no pod has a lower priority.
  const std::string expected = "0/3 nodes are available: 3 " + reason +
                               ". preemption: 0/3 nodes are available: 3 No preemption victims "
                               "found for incoming pod..";
  EXPECT_EQ(pod_scheduled(pod, "message"), expected);
  auto failed = wait_event("web-3", "FailedScheduling");
  ASSERT_TRUE(failed);
  EXPECT_EQ(json::get_string(failed.json(), "message"), expected);
  EXPECT_EQ(json::get_string(failed.json(), "reportingComponent"), "berth-scheduler");

  // Prioritize is not called when a single node survives filtering (web-2 had one left), and
  // is for web-0, with the extender's per-policy reasoning.
  EXPECT_FALSE(decision("web-2", "prioritize").IsObject());
  auto first = decision("web-0", "prioritize");
  ASSERT_TRUE(first.IsObject());
  EXPECT_EQ(json::get_int(first, "candidates"), 3);

  // A node freed: the extender's watch reopens it and the waiting pod lands there.
  auto web0 = env->get(kube::resources::kPods, kNs, "web-0");
  ASSERT_TRUE(env->client().remove(kube::resources::kPods, kNs, "web-0").ok());
  EXPECT_EQ(wait_bound("web-3"), node_of(web0));
  EXPECT_GE(env->cluster().scheduler()->stats().extender_filter_calls, 5u);
}

TEST_F(BerthSchedulerTest, PreferredAffinityCoLocates) {
  start_with_extender(fast_options(3));
  std::string db = place("db", pod_json("db", "berth-scheduler", "200m", R"({"app":"db"})"));
  ASSERT_FALSE(db.empty());
  for (int i = 0; i < 3; ++i) {
    std::string name = "app-" + std::to_string(i);
    EXPECT_EQ(place(name, pod_json(name, "berth-scheduler", "100m", R"({"app":"web"})", kPreferDb)),
              db);
  }
  // /explain shows why: the db node ranked first, with InterPodAffinity's part.
  auto d = decision("app-0", "prioritize");
  ASSERT_TRUE(d.IsObject());
  const json::Value* ranked = json::find(d, "nodes");
  ASSERT_TRUE(ranked != nullptr && ranked->IsArray() && ranked->Size() == 3u) << json::dump(d);
  EXPECT_EQ(json::get_string((*ranked)[0], "node"), db);
  EXPECT_NE(json::find_path((*ranked)[0], {"policies", "InterPodAffinity"}), nullptr)
      << json::dump(d);
  EXPECT_GT(json::get_int((*ranked)[0], "score"), json::get_int((*ranked)[1], "score"));
}

// The extender receives only kube-scheduler's sample: numFeasibleNodesToFind of the feasible
// nodes, from a start index that rotates.
struct SampleCase {
  std::int64_t percentage;
  std::int64_t expected;
};

class SamplingTest : public BerthSchedulerTest, public ::testing::WithParamInterface<SampleCase> {};

TEST_P(SamplingTest, ExtenderReceivesNumFeasibleNodesToFind) {
  SimClusterOptions o = fast_options(250);
  o.nodes.lease_interval = seconds(10);  // 250 leases every 200 ms would only load the machine
  o.scheduler_options.percentage_of_nodes_to_score = GetParam().percentage;
  start_with_extender(std::move(o));
  for (std::string name : {"s-0", "s-1"}) {
    create_pod(pod_json(name, "berth-scheduler", "100m"));
    ASSERT_FALSE(wait_bound(name).empty());
    auto d = decision(name, "filter");
    ASSERT_TRUE(d.IsObject()) << name;
    EXPECT_EQ(json::get_int(d, "candidates"), GetParam().expected) << name;
  }
  // Fewer feasible nodes than the sample: the extender gets every one of them (zone-a holds
  // 84 of the 250 nodes).
  create_pod(pod_json("zonal", "berth-scheduler", "100m", R"({"app":"web"})",
                      R"("nodeSelector":{"topology.kubernetes.io/zone":"zone-a"})"));
  ASSERT_FALSE(wait_bound("zonal").empty());
  auto d = decision("zonal", "filter");
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(json::get_int(d, "candidates"), 84);
}

INSTANTIATE_TEST_SUITE_P(Percentages, SamplingTest,
                         ::testing::Values(SampleCase{0, 120}, SampleCase{10, 100},
                                           SampleCase{60, 150}),
                         [](const ::testing::TestParamInfo<SampleCase>& param) {
                           return "percentage" + std::to_string(param.param.percentage);
                         });

TEST_F(BerthSchedulerTest, IgnorableExtenderThatIsDownIsSkipped) {
  extender.stop_server();  // nothing listens on its port any more
  start_with_extender(fast_options(3), /*ignorable=*/true);
  // Without the extender nothing enforces pod anti-affinity (the simulator has no
  // InterPodAffinity of its own): four pods fit on three nodes.
  for (int i = 0; i < 4; ++i) {
    std::string name = "web-" + std::to_string(i);
    create_pod(pod_json(name, "berth-scheduler", "100m", R"({"app":"web"})", kAntiAffinity));
  }
  for (int i = 0; i < 4; ++i)
    EXPECT_FALSE(wait_bound("web-" + std::to_string(i)).empty());
  auto stats = env->cluster().scheduler()->stats();
  EXPECT_GE(stats.extender_filter_calls, 4u);
  EXPECT_EQ(stats.errors, 0u);
}

TEST_F(BerthSchedulerTest, ExtenderThatIsDownKeepsPodsPendingAndRetriesWithBackoff) {
  const std::uint16_t port = extender.port();
  extender.stop_server();
  SimClusterOptions o = fast_options(3);
  o.scheduler_options.queue.initial_backoff = milliseconds(100);
  o.scheduler_options.queue.max_backoff = milliseconds(400);
  start_with_extender(std::move(o));
  Scheduler& scheduler = *env->cluster().scheduler();

  auto created_at = std::chrono::steady_clock::now();
  create_pod(pod_json("web-0", "berth-scheduler", "100m", R"({"app":"web"})", kAntiAffinity));
  auto pod = wait_unscheduled("web-0", "SchedulerError");
  const std::string prefix = "Post \"" + extender.url() + "/filter\": ";
  EXPECT_EQ(pod_scheduled(pod, "message").substr(0, prefix.size()), prefix)
      << pod_scheduled(pod, "message");
  EXPECT_EQ(pod_phase(pod), "Pending");
  auto failed = wait_event("web-0", "FailedScheduling");
  ASSERT_TRUE(failed);
  EXPECT_EQ(json::get_string(failed.json(), "message"), pod_scheduled(pod, "message"));

  // Retried, but spaced by the backoff (100, 200, 400, 400 ms ...): never more often than one
  // attempt per initial backoff, which a retry loop without backoff would exceed a
  // hundredfold.
  ASSERT_TRUE(wait_for([&] { return scheduler.stats().errors >= 4; }, seconds(20)));
  auto elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - created_at);
  auto attempts = scheduler.stats().extender_filter_calls;
  EXPECT_LE(attempts, 1 + static_cast<std::uint64_t>(elapsed.count() / 100)) << elapsed.count();
  EXPECT_TRUE(node_of(env->get(kube::resources::kPods, kNs, "web-0")).empty());

  // The extender comes back on the same port: the next retry goes through it and binds.
  extender.start_server("127.0.0.1:" + std::to_string(port));
  EXPECT_FALSE(wait_bound("web-0").empty());
  auto d = decision("web-0", "filter");
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(json::get_int(d, "feasible"), 3);
}

}  // namespace
}  // namespace berth::sim::testing
