#include "sim/apiserver/printers.h"

#include <gtest/gtest.h>

namespace berth::sim {
namespace {

namespace json = kube::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

json::Document doc(std::string_view text) {
  auto d = json::parse(text);
  EXPECT_TRUE(d.ok()) << text;
  return std::move(d).value();
}

kube::SystemTime at(std::string_view rfc3339) {
  return *kube::parse_time(rfc3339);
}

TEST(HumanDuration, FollowsTheApiserverBands) {
  EXPECT_EQ(human_duration(seconds(-5)), "<invalid>");
  EXPECT_EQ(human_duration(std::chrono::milliseconds(-1500)), "0s");
  EXPECT_EQ(human_duration(seconds(0)), "0s");
  EXPECT_EQ(human_duration(seconds(5)), "5s");
  EXPECT_EQ(human_duration(seconds(119)), "119s");
  EXPECT_EQ(human_duration(seconds(120)), "2m");
  EXPECT_EQ(human_duration(seconds(123)), "2m3s");
  EXPECT_EQ(human_duration(seconds(346)), "5m46s");
  EXPECT_EQ(human_duration(minutes(10) + seconds(30)), "10m");
  EXPECT_EQ(human_duration(minutes(179)), "179m");
  EXPECT_EQ(human_duration(hours(3)), "3h");
  EXPECT_EQ(human_duration(hours(3) + minutes(20)), "3h20m");
  EXPECT_EQ(human_duration(hours(9) + minutes(20)), "9h");
  EXPECT_EQ(human_duration(hours(47)), "47h");
  EXPECT_EQ(human_duration(hours(48)), "2d");
  EXPECT_EQ(human_duration(hours(24 * 3 + 4)), "3d4h");
  EXPECT_EQ(human_duration(hours(24 * 7)), "7d");
  EXPECT_EQ(human_duration(hours(24 * 12 + 5)), "12d");
  EXPECT_EQ(human_duration(hours(24 * (365 * 2 + 30))), "2y30d");
  EXPECT_EQ(human_duration(hours(24 * 365 * 3)), "3y");
  EXPECT_EQ(human_duration(hours(24 * 365 * 9)), "9y");
}

TEST(AgeSince, UnknownWithoutATimestamp) {
  auto now = at("2026-11-25T04:10:00Z");
  EXPECT_EQ(age_since("2026-11-25T04:07:57Z", now), "2m3s");
  EXPECT_EQ(age_since("", now), "<unknown>");
  EXPECT_EQ(age_since("yesterday", now), "<unknown>");
}

TEST(SummarizePod, PendingAndRunning) {
  auto now = at("2026-11-25T04:10:00Z");
  auto pending = doc(R"({"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Pending"}})");
  PodSummary p = summarize_pod(pending, now);
  EXPECT_EQ(p.ready, "0/1");
  EXPECT_EQ(p.status, "Pending");
  EXPECT_EQ(p.restarts, "0");
  EXPECT_FALSE(p.completed);

  auto running = doc(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{
      "phase":"Running","containerStatuses":[
        {"name":"a","ready":true,"restartCount":1,"state":{"running":{}}},
        {"name":"b","ready":false,"restartCount":0,"state":{"running":{}}}]}})");
  PodSummary r = summarize_pod(running, now);
  EXPECT_EQ(r.ready, "1/2");
  EXPECT_EQ(r.status, "Running");
  EXPECT_EQ(r.restarts, "1");
}

TEST(SummarizePod, WaitingReasonAndLastRestart) {
  auto now = at("2026-11-25T04:10:00Z");
  auto crash = doc(R"({"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Running",
      "containerStatuses":[{"name":"c","ready":false,"restartCount":4,
        "state":{"waiting":{"reason":"CrashLoopBackOff"}},
        "lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-11-25T04:09:18Z"}}}]}})");
  PodSummary s = summarize_pod(crash, now);
  EXPECT_EQ(s.status, "CrashLoopBackOff");
  EXPECT_EQ(s.restarts, "4 (42s ago)");
  EXPECT_EQ(s.ready, "0/1");

  auto creating = doc(R"({"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Pending",
      "containerStatuses":[{"name":"c","ready":false,"restartCount":0,
        "state":{"waiting":{"reason":"ContainerCreating"}}}]}})");
  EXPECT_EQ(summarize_pod(creating, now).status, "ContainerCreating");
}

TEST(SummarizePod, TerminatedContainers) {
  auto now = at("2026-11-25T04:10:00Z");
  auto exit = doc(R"({"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Failed",
      "containerStatuses":[{"name":"c","state":{"terminated":{"exitCode":3}}}]}})");
  PodSummary f = summarize_pod(exit, now);
  EXPECT_EQ(f.status, "ExitCode:3");
  EXPECT_TRUE(f.completed);
  auto signal = doc(R"({"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Failed",
      "containerStatuses":[{"name":"c","state":{"terminated":{"exitCode":137,"signal":9}}}]}})");
  EXPECT_EQ(summarize_pod(signal, now).status, "Signal:9");
  auto done = doc(R"({"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Succeeded",
      "containerStatuses":[{"name":"c","state":{"terminated":{"exitCode":0,
        "reason":"Completed"}}}]}})");
  EXPECT_EQ(summarize_pod(done, now).status, "Completed");
  // One container finished, another still serving: Running while the pod is Ready.
  auto sidecar = doc(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{
      "phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[
        {"name":"a","ready":false,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}},
        {"name":"b","ready":true,"state":{"running":{}}}]}})");
  EXPECT_EQ(summarize_pod(sidecar, now).status, "Running");
}

TEST(SummarizePod, InitContainersAndDeletion) {
  auto now = at("2026-11-25T04:10:00Z");
  auto init = doc(R"({"spec":{"initContainers":[{"name":"i"},{"name":"j"}],"containers":[
      {"name":"c"}]},"status":{"phase":"Pending","initContainerStatuses":[
        {"name":"i","restartCount":2,"state":{"terminated":{"exitCode":0}}},
        {"name":"j","restartCount":0,"state":{"running":{}}}]}})");
  PodSummary s = summarize_pod(init, now);
  EXPECT_EQ(s.status, "Init:1/2");
  EXPECT_EQ(s.restarts, "2");
  auto failed = doc(R"({"spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"c"}]},
      "status":{"phase":"Pending","initContainerStatuses":[{"name":"i",
        "state":{"terminated":{"exitCode":1,"reason":"Error"}}}]}})");
  EXPECT_EQ(summarize_pod(failed, now).status, "Init:Error");
  auto backoff = doc(R"({"spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"c"}]},
      "status":{"phase":"Pending","initContainerStatuses":[{"name":"i",
        "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})");
  EXPECT_EQ(summarize_pod(backoff, now).status, "Init:CrashLoopBackOff");
  auto deleting = doc(R"({"metadata":{"deletionTimestamp":"2026-11-25T04:09:00Z"},
      "spec":{"containers":[{"name":"c"}]},"status":{"phase":"Pending"}})");
  EXPECT_EQ(summarize_pod(deleting, now).status, "Terminating");
}

TEST(NodeStatus, ReadyConditionAndCordon) {
  EXPECT_EQ(node_status(doc(R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})")),
            "Ready");
  EXPECT_EQ(node_status(doc(R"({"status":{"conditions":[{"type":"Ready","status":"False"}]}})")),
            "NotReady");
  EXPECT_EQ(node_status(doc(R"({"status":{"conditions":[{"type":"Ready",
      "status":"Unknown"}]}})")),
            "NotReady");
  EXPECT_EQ(node_status(doc(R"({"status":{}})")), "Unknown");
  EXPECT_EQ(node_status(doc(R"({"spec":{"unschedulable":true},"status":{"conditions":[
      {"type":"Ready","status":"True"}]}})")),
            "Ready,SchedulingDisabled");
}

TEST(NodeRoles, FromRoleLabels) {
  EXPECT_EQ(node_roles(doc(R"({"metadata":{"labels":{"kubernetes.io/os":"linux"}}})")), "<none>");
  EXPECT_EQ(node_roles(doc(R"({"metadata":{"labels":{"node-role.kubernetes.io/worker":"",
      "node-role.kubernetes.io/control-plane":"","kubernetes.io/role":"edge"}}})")),
            "control-plane,edge,worker");
}

TEST(SelectorString, SortedRequirements) {
  auto s = doc(R"({"matchLabels":{"tier":"a","app":"web"},"matchExpressions":[
      {"key":"env","operator":"In","values":["prod","dev"]},
      {"key":"canary","operator":"DoesNotExist"},{"key":"zone","operator":"NotIn",
      "values":["b"]},{"key":"gpu","operator":"Exists"}]})");
  EXPECT_EQ(selector_string(&s), "app=web,!canary,env in (dev,prod),gpu,tier=a,zone notin (b)");
  EXPECT_EQ(selector_string(nullptr), "");
}

TEST(JsonPath, SimplePaths) {
  auto o = doc(R"({"spec":{"replicas":3,"items":[{"name":"a"},{"name":"b"}],
      "labels":{"a.b/c":"x"}}})");
  ASSERT_NE(evaluate_json_path(o, ".spec.replicas"), nullptr);
  EXPECT_EQ(evaluate_json_path(o, ".spec.replicas")->GetInt64(), 3);
  EXPECT_EQ(json::as_string(*evaluate_json_path(o, "{.spec.items[1].name}")), "b");
  EXPECT_EQ(json::as_string(*evaluate_json_path(o, ".spec.items[-1].name")), "b");
  EXPECT_EQ(json::as_string(*evaluate_json_path(o, ".spec.labels['a.b/c']")), "x");
  EXPECT_EQ(evaluate_json_path(o, ".spec.items[2].name"), nullptr);
  EXPECT_EQ(evaluate_json_path(o, ".status.phase"), nullptr);
  EXPECT_EQ(evaluate_json_path(o, ".spec.items[x"), nullptr);
}

TEST(PrinterFor, CustomResourceColumnsAndDefaults) {
  ResourceInfo crd;
  crd.group = "fx.example.com";
  crd.plural = "widgets";
  crd.custom = true;
  TablePrinter none = printer_for(crd);
  ASSERT_EQ(none.columns.size(), 2u);
  EXPECT_EQ(none.columns[1].name, "Age");
  EXPECT_EQ(none.columns[1].type, "date");

  crd.printer_columns = {{"Replicas", "integer", "", "", ".spec.replicas", 0},
                         {"Phase", "string", "", "phase of the widget", ".status.phase", 1},
                         {"Ok", "boolean", "", "", ".status.ok", 0}};
  TablePrinter p = printer_for(crd);
  ASSERT_EQ(p.columns.size(), 4u);
  EXPECT_EQ(p.columns[1].description,
            "Custom resource definition column (in JSONPath format): .spec.replicas");
  EXPECT_EQ(p.columns[2].description, "phase of the widget");
  auto w = doc(R"({"metadata":{"name":"w1"},"spec":{"replicas":"7"},"status":{"ok":true}})");
  json::Document cells(rapidjson::kArrayType);
  bool completed = false;
  p.cells(p, w, std::chrono::system_clock::now(), cells, cells.GetAllocator(), completed);
  EXPECT_EQ(json::dump(cells), R"(["w1",7,null,true])");

  ResourceInfo other;
  other.group = "scheduling.k8s.io";
  other.plural = "priorityclasses";
  TablePrinter d = printer_for(other);
  ASSERT_EQ(d.columns.size(), 2u);
  EXPECT_EQ(d.columns[1].name, "Created At");
}

TEST(PrinterFor, EventsShowTheirObjectAndSource) {
  ResourceInfo events;
  events.plural = "events";
  TablePrinter p = printer_for(events);
  ASSERT_EQ(p.columns.size(), 10u);
  EXPECT_EQ(p.columns[0].name, "Last Seen");
  auto e = doc(R"({"metadata":{"name":"web.1"},"involvedObject":{"kind":"Deployment",
      "name":"web"},"reason":"ScalingReplicaSet","message":" Scaled up ","type":"Normal",
      "source":{"component":"deployment-controller"},"count":2,
      "firstTimestamp":"2026-11-25T04:00:00Z","lastTimestamp":"2026-11-25T04:09:00Z"})");
  json::Document cells(rapidjson::kArrayType);
  bool completed = false;
  p.cells(p, e, at("2026-11-25T04:10:00Z"), cells, cells.GetAllocator(), completed);
  EXPECT_EQ(json::dump(cells),
            R"(["60s","Normal","ScalingReplicaSet","deployment/web","","deployment-controller",)"
            R"("Scaled up","10m",2,"web.1"])");
}

}  // namespace
}  // namespace berth::sim
