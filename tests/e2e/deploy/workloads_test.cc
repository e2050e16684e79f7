// Deployments, Services, PodDisruptionBudgets and NetworkPolicies: hardened pods that agree
// with their Services, flags that agree with their ports and volumes, and availability.
#include <set>
#include <string>

#include "kube/api/quantity.h"
#include "tests/e2e/deploy/deploy_test.h"

namespace berth::deploy_test {
namespace {

namespace json = kube::json;

std::optional<kube::Quantity> quantity(const json::Value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->IsString()) return kube::Quantity::parse(json::as_string(*v));
  if (v->IsInt64()) return kube::Quantity::from_units(v->GetInt64());
  return std::nullopt;
}

bool is_true(const json::Value* v) {
  return v != nullptr && v->IsBool() && v->GetBool();
}
bool is_false(const json::Value* v) {
  return v != nullptr && v->IsBool() && !v->GetBool();
}

// The Deployment whose pod template a map-style selector picks; nullptr unless exactly one.
const json::Value* selected_deployment(const std::vector<const json::Value*>& deployments,
                                       const json::Value& selector, bool map_style) {
  const json::Value* found = nullptr;
  int count = 0;
  for (const json::Value* d : deployments) {
    bool hit =
        map_style ? map_selects(selector, pod_labels(*d)) : selects(selector, pod_labels(*d));
    if (hit) {
      found = d;
      ++count;
    }
  }
  return count == 1 ? found : nullptr;
}

class Workloads : public DeployTree {};

TEST_F(Workloads, PodsRunWithoutPrivilege) {
  auto deployments = of_kind("Deployment");
  ASSERT_EQ(deployments.size(), 4u);
  for (const json::Value* d : deployments) {
    SCOPED_TRACE(describe(*d));
    const json::Value& spec = pod_spec(*d);
    const json::Value* pod_sc = json::find(spec, "securityContext");
    ASSERT_NE(pod_sc, nullptr);
    EXPECT_TRUE(is_true(json::find(*pod_sc, "runAsNonRoot")));
    EXPECT_GT(json::get_int(*pod_sc, "runAsUser", 1), 0);
    const json::Value* seccomp = json::find_path(*pod_sc, {"seccompProfile", "type"});
    ASSERT_NE(seccomp, nullptr);
    EXPECT_EQ(json::as_string(*seccomp), "RuntimeDefault");
    for (std::string_view host : {"hostNetwork", "hostPID", "hostIPC"})
      EXPECT_FALSE(is_true(json::find(spec, host))) << host;
    if (const json::Value* volumes = json::find(spec, "volumes")) {
      for (const json::Value& v : volumes->GetArray())
        EXPECT_EQ(json::find(v, "hostPath"), nullptr) << json::get_string(v, "name");
    }
    auto list = containers(spec);
    ASSERT_FALSE(list.empty());
    for (const json::Value* c : list) {
      SCOPED_TRACE(json::get_string(*c, "name"));
      const json::Value* sc = json::find(*c, "securityContext");
      ASSERT_NE(sc, nullptr);
      EXPECT_TRUE(is_false(json::find(*sc, "allowPrivilegeEscalation")));
      EXPECT_TRUE(is_true(json::find(*sc, "readOnlyRootFilesystem")));
      EXPECT_FALSE(is_true(json::find(*sc, "privileged")));
      EXPECT_GT(json::get_int(*sc, "runAsUser", 1), 0);
      EXPECT_EQ(strings(json::find_path(*sc, {"capabilities", "drop"})),
                std::vector<std::string>{"ALL"});
      EXPECT_EQ(json::find_path(*sc, {"capabilities", "add"}), nullptr);
      if (const json::Value* own = json::find_path(*sc, {"seccompProfile", "type"})) {
        EXPECT_EQ(json::as_string(*own), "RuntimeDefault");
      }
    }
  }
}

TEST_F(Workloads, ContainersHaveRequestsAndLimits) {
  for (const json::Value* d : of_kind("Deployment")) {
    for (const json::Value* c : containers(pod_spec(*d))) {
      SCOPED_TRACE(describe(*d) + " " + std::string(json::get_string(*c, "name")));
      for (std::string_view resource : {"cpu", "memory"}) {
        auto request = quantity(json::find_path(*c, {"resources", "requests", resource}));
        auto limit = quantity(json::find_path(*c, {"resources", "limits", resource}));
        ASSERT_TRUE(request && limit) << resource << " needs a valid request and limit";
        EXPECT_GT(request->milli(), 0) << resource;
        EXPECT_LE(*request, *limit) << resource;
      }
    }
  }
}

TEST_F(Workloads, ContainersHaveProbesOnDeclaredPorts) {
  for (const json::Value* d : of_kind("Deployment")) {
    const json::Value* c = json::find_path(pod_spec(*d), {"containers"});
    ASSERT_TRUE(c && c->IsArray());
    for (const json::Value& container : c->GetArray()) {
      SCOPED_TRACE(describe(*d) + " " + std::string(json::get_string(container, "name")));
      for (std::string_view probe : {"livenessProbe", "readinessProbe"}) {
        const json::Value* get = json::find_path(container, {probe, "httpGet"});
        ASSERT_NE(get, nullptr) << probe << " must be an HTTP probe";
        EXPECT_FALSE(json::get_string(*get, "path").empty()) << probe;
        const json::Value* port = json::find(*get, "port");
        ASSERT_NE(port, nullptr) << probe;
        auto number = resolve_port(container, *port);
        ASSERT_TRUE(number.has_value()) << probe << " port is not a container port";
        bool declared = false;
        for (const json::Value& p : json::find(container, "ports")->GetArray())
          declared |= json::get_int(p, "containerPort") == *number;
        EXPECT_TRUE(declared) << probe;
      }
    }
  }
}

TEST_F(Workloads, ReplicasSpreadAcrossNodes) {
  for (const json::Value* d : of_kind("Deployment")) {
    SCOPED_TRACE(describe(*d));
    const json::Value* selector = json::find_path(*d, {"spec", "selector"});
    ASSERT_NE(selector, nullptr);
    EXPECT_TRUE(selects(*selector, pod_labels(*d))) << "selector must select its own pods";
    const json::Value& spec = pod_spec(*d);
    bool spread = false;
    if (const json::Value* tsc = json::find(spec, "topologySpreadConstraints")) {
      for (const json::Value& t : tsc->GetArray()) {
        const json::Value* ls = json::find(t, "labelSelector");
        spread |= json::get_string(t, "topologyKey") == "kubernetes.io/hostname" &&
                  json::get_string(t, "whenUnsatisfiable") == "DoNotSchedule" &&
                  json::get_int(t, "maxSkew") == 1 && ls && selects(*ls, pod_labels(*d));
      }
    }
    if (const json::Value* anti = json::find_path(
            spec,
            {"affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"})) {
      for (const json::Value& term : anti->GetArray()) {
        const json::Value* ls = json::find(term, "labelSelector");
        spread |= json::get_string(term, "topologyKey") == "kubernetes.io/hostname" && ls &&
                  selects(*ls, pod_labels(*d));
      }
    }
    EXPECT_TRUE(spread) << "two replicas on one node share its failure";
    // Berth's own pods never depend on berth-scheduler (it could not schedule itself).
    EXPECT_EQ(json::find(spec, "schedulerName"), nullptr);
    auto strategy = json::find_path(*d, {"spec", "strategy", "rollingUpdate", "maxUnavailable"});
    ASSERT_NE(strategy, nullptr);
    EXPECT_EQ(strategy->IsInt64() ? strategy->GetInt64() : -1, 0) << "updates keep both replicas";
  }
}

TEST_F(Workloads, AdmissionAndSchedulingPathsAreCritical) {
  for (std::string_view name : {"berth-extender", "berth-webhooks", "berth-scheduler"}) {
    const json::Value* d = find("Deployment", name, kNamespace);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(json::get_string(pod_spec(*d), "priorityClassName"), "system-cluster-critical")
        << name;
  }
}

TEST_F(Workloads, BerthImagesArePinnedAndShared) {
  std::set<std::string> berth_images;
  for (const json::Value* d : of_kind("Deployment")) {
    for (const json::Value* c : containers(pod_spec(*d))) {
      std::string image(json::get_string(*c, "image"));
      auto colon = image.rfind(':');
      ASSERT_NE(colon, std::string::npos) << image << " has no tag";
      EXPECT_NE(image.substr(colon + 1), "latest") << image;
      EXPECT_EQ(json::get_string(*c, "imagePullPolicy"), "IfNotPresent") << image;
      if (image.find("/berth:") != std::string::npos) berth_images.insert(image);
    }
  }
  EXPECT_EQ(berth_images.size(), 1u) << "extender, webhooks and controller share one image";
}

// Every Berth server's flags agree with its ports, certificates and configuration volumes.
TEST_F(Workloads, FlagsAgreeWithPortsAndVolumes) {
  struct Expect {
    std::string_view deployment, binary;
    bool serves_https, certificate_files, has_config;
  };
  for (const Expect& e : {Expect{"berth-extender", "berth-extender", true, true, true},
                          Expect{"berth-webhooks", "berth-webhooks", true, false, true},
                          Expect{"berth-controller", "berth-controller", false, false, false}}) {
    SCOPED_TRACE(e.deployment);
    const json::Value* d = find("Deployment", e.deployment, kNamespace);
    ASSERT_NE(d, nullptr);
    const json::Value* c = container_running(*d, e.binary);
    ASSERT_NE(c, nullptr) << "no container runs " << e.binary;
    json::Value metrics_name("metrics");
    auto metrics_port = resolve_port(*c, metrics_name);
    ASSERT_TRUE(metrics_port.has_value());
    auto metrics = flag_value(*c, "--metrics-bind-address");
    ASSERT_TRUE(metrics.has_value());
    EXPECT_EQ(port_of(*metrics), *metrics_port);
    if (e.serves_https) {
      json::Value https_name("https");
      auto https_port = resolve_port(*c, https_name);
      ASSERT_TRUE(https_port.has_value());
      auto bind = flag_value(*c, "--bind-address");
      ASSERT_TRUE(bind.has_value());
      EXPECT_EQ(port_of(*bind), *https_port);
    } else {
      EXPECT_FALSE(has_flag(*c, "--bind-address"));
    }
    if (e.certificate_files) {
      auto cert = flag_value(*c, "--tls-cert-file");
      auto key = flag_value(*c, "--tls-private-key-file");
      ASSERT_TRUE(cert && key);
      SecretFile cert_file = mounted_secret(*d, *c, *cert);
      SecretFile key_file = mounted_secret(*d, *c, *key);
      EXPECT_EQ(cert_file.key, "tls.crt");
      EXPECT_EQ(key_file.key, "tls.key");
      EXPECT_EQ(cert_file.secret, key_file.secret);
      EXPECT_EQ(cert_file.secret, std::string(e.deployment) + "-tls");
    } else {
      EXPECT_FALSE(has_flag(*c, "--tls-cert-file"));
    }
    if (e.has_config) {
      auto config = flag_value(*c, "--config");
      ASSERT_TRUE(config.has_value());
      EXPECT_FALSE(mounted_config(objects(), *d, *c, *config).empty());
    }
  }
  const json::Value* controller = find("Deployment", "berth-controller", kNamespace);
  ASSERT_NE(controller, nullptr);
  const json::Value* c = container_running(*controller, "berth-controller");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(has_flag(*c, "--leader-elect"));
}

TEST_F(Workloads, ServicesSelectOneDeploymentAndTargetItsPorts) {
  auto deployments = of_kind("Deployment");
  auto services = of_kind("Service");
  ASSERT_FALSE(services.empty());
  for (const json::Value* s : services) {
    SCOPED_TRACE(describe(*s));
    const json::Value* selector = json::find_path(*s, {"spec", "selector"});
    ASSERT_NE(selector, nullptr);
    const json::Value* d = selected_deployment(deployments, *selector, true);
    ASSERT_NE(d, nullptr) << "must select exactly one Deployment's pods";
    const json::Value* ports = json::find_path(*s, {"spec", "ports"});
    ASSERT_TRUE(ports && ports->IsArray() && !ports->Empty());
    for (const json::Value& p : ports->GetArray()) {
      EXPECT_FALSE(json::get_string(p, "name").empty());
      const json::Value* target = json::find(p, "targetPort");
      ASSERT_NE(target, nullptr) << json::get_string(p, "name");
      bool matched = false;
      for (const json::Value* c : containers(pod_spec(*d))) {
        auto number = resolve_port(*c, *target);
        if (!number) continue;
        for (const json::Value& cp : json::find(*c, "ports")->GetArray()) {
          matched |=
              json::get_int(cp, "containerPort") == *number &&
              json::get_string(cp, "protocol", "TCP") == json::get_string(p, "protocol", "TCP");
        }
      }
      EXPECT_TRUE(matched) << "port " << json::get_string(p, "name")
                           << " targets no container port";
    }
  }
}

TEST_F(Workloads, DisruptionBudgetsLeaveRoomToDrain) {
  auto deployments = of_kind("Deployment");
  for (const json::Value* pdb : of_kind("PodDisruptionBudget")) {
    SCOPED_TRACE(describe(*pdb));
    const json::Value* selector = json::find_path(*pdb, {"spec", "selector"});
    ASSERT_NE(selector, nullptr);
    const json::Value* d = selected_deployment(deployments, *selector, false);
    ASSERT_NE(d, nullptr);
    std::int64_t replicas = json::get_int(*json::find(*d, "spec"), "replicas", 1);
    const json::Value* min = json::find_path(*pdb, {"spec", "minAvailable"});
    ASSERT_TRUE(min && min->IsInt64()) << "minAvailable as a count";
    EXPECT_GE(min->GetInt64(), 1);
    EXPECT_LT(min->GetInt64(), replicas) << "a budget equal to the replicas blocks every drain";
  }
  const json::Value* webhooks = find("PodDisruptionBudget", "berth-webhooks", kNamespace);
  ASSERT_NE(webhooks, nullptr);
}

TEST_F(Workloads, NetworkPoliciesDenyByDefaultAndOpenServedPorts) {
  bool default_deny = false;
  for (const json::Value* np : of_kind("NetworkPolicy")) {
    const json::Value* selector = json::find_path(*np, {"spec", "podSelector"});
    ASSERT_NE(selector, nullptr) << describe(*np);
    EXPECT_EQ(strings(json::find_path(*np, {"spec", "policyTypes"})),
              std::vector<std::string>{"Ingress"})
        << describe(*np);
    if (selector->IsObject() && selector->MemberCount() == 0) {
      default_deny = json::find_path(*np, {"spec", "ingress"}) == nullptr;
    }
  }
  EXPECT_TRUE(default_deny) << "berth-system needs a deny-all ingress policy";

  // Each port a Service or probe uses must be opened by a policy selecting the pods.
  for (const json::Value* d : of_kind("Deployment")) {
    for (const json::Value* c : containers(pod_spec(*d))) {
      const json::Value* ports = json::find(*c, "ports");
      if (ports == nullptr) continue;
      for (const json::Value& p : ports->GetArray()) {
        SCOPED_TRACE(describe(*d) + " port " + std::string(json::get_string(p, "name")));
        bool open = false;
        for (const json::Value* np : of_kind("NetworkPolicy")) {
          const json::Value* selector = json::find_path(*np, {"spec", "podSelector"});
          if (!selects(*selector, pod_labels(*d))) continue;
          const json::Value* ingress = json::find_path(*np, {"spec", "ingress"});
          if (ingress == nullptr) continue;
          for (const json::Value& rule : ingress->GetArray()) {
            const json::Value* rule_ports = json::find(rule, "ports");
            if (rule_ports == nullptr) continue;
            for (const json::Value& rp : rule_ports->GetArray()) {
              auto number = resolve_port(*c, *json::find(rp, "port"));
              open |= number && *number == json::get_int(p, "containerPort");
            }
          }
        }
        EXPECT_TRUE(open);
      }
    }
  }
}

TEST_F(Workloads, OnlyBerthSchedulerReachesTheExtender) {
  const json::Value* np = find("NetworkPolicy", "berth-extender", kNamespace);
  const json::Value* extender = find("Deployment", "berth-extender", kNamespace);
  const json::Value* scheduler = find("Deployment", "berth-scheduler", kNamespace);
  ASSERT_TRUE(np && extender && scheduler);
  const json::Value* c = container_running(*extender, "berth-extender");
  ASSERT_NE(c, nullptr);
  json::Value https("https");
  auto port = resolve_port(*c, https);
  ASSERT_TRUE(port.has_value());
  int rules_for_port = 0;
  for (const json::Value& rule : json::find_path(*np, {"spec", "ingress"})->GetArray()) {
    bool covers = false;
    for (const json::Value& rp : json::find(rule, "ports")->GetArray()) {
      auto number = resolve_port(*c, *json::find(rp, "port"));
      covers |= number && *number == *port;
    }
    if (!covers) continue;
    ++rules_for_port;
    const json::Value* from = json::find(rule, "from");
    ASSERT_TRUE(from && from->IsArray() && from->Size() == 1) << "exactly one allowed source";
    const json::Value* peer = json::find((*from)[0], "podSelector");
    ASSERT_NE(peer, nullptr);
    EXPECT_EQ(json::find((*from)[0], "namespaceSelector"), nullptr) << "same namespace only";
    EXPECT_TRUE(selects(*peer, pod_labels(*scheduler)));
    EXPECT_FALSE(selects(*peer, pod_labels(*extender)));
  }
  EXPECT_EQ(rules_for_port, 1);
}

}  // namespace
}  // namespace berth::deploy_test
