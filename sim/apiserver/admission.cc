#include "sim/apiserver/admission.h"

#include <random>
#include <set>

#include "kube/core/strings.h"
#include "sim/apiserver/object_api.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

std::string_view operation_name(Operation op) {
  switch (op) {
    case Operation::kCreate:
      return "CREATE";
    case Operation::kUpdate:
      return "UPDATE";
    case Operation::kDelete:
      return "DELETE";
    case Operation::kConnect:
      return "CONNECT";
  }
  return "";
}

ApiStatus AdmissionPlugin::admit(AdmissionRequest&) {
  return {};
}

ApiStatus AdmissionPlugin::validate(const AdmissionRequest&) {
  return {};
}

namespace {

bool is(const AdmissionRequest& r, std::string_view group, std::string_view plural) {
  return r.resource && r.resource->group == group && r.resource->plural == plural &&
         r.subresource.empty();
}

bool creating(const AdmissionRequest& r, std::string_view group, std::string_view plural) {
  return r.operation == Operation::kCreate && is(r, group, plural) && r.object != nullptr;
}

// Namespaces must exist and not be terminating for new content; the built-in ones stay.
class NamespaceLifecycle : public AdmissionPlugin {
 public:
  explicit NamespaceLifecycle(ObjectApi& api) : api_(api) {}
  std::string_view name() const override { return "NamespaceLifecycle"; }
  ApiStatus admit(AdmissionRequest& r) override {
    if (!r.resource) return {};
    if (r.operation == Operation::kDelete && is(r, "", "namespaces") &&
        (r.name == "default" || r.name == "kube-system" || r.name == "kube-public")) {
      return errors::forbidden({"", "namespaces"}, r.name, "this namespace may not be deleted");
    }
    if (r.operation != Operation::kCreate || !r.resource->namespaced || r.namespace_.empty()) {
      return {};
    }
    ResourcePtr namespaces = api_.registry().find("", "v1", "namespaces");
    auto ns = api_.get(*namespaces, "", r.namespace_);
    if (!ns.ok()) return errors::not_found({"", "namespaces"}, r.namespace_);
    if (ns->being_deleted() && r.resource->plural != "events") {
      GroupResource gr = r.resource->group_resource();
      if (!r.subresource.empty()) gr.resource += "/" + r.subresource;
      return errors::forbidden(
          gr, r.name,
          "unable to create new content in namespace " + r.namespace_ +
              " because it is being terminated",
          {{"NamespaceTerminating", "namespace " + r.namespace_ + " is being terminated",
            "metadata.namespace"}});
    }
    return {};
  }

 private:
  ObjectApi& api_;
};

// The service account's API credentials mounted into every pod.
class ServiceAccountAdmission : public AdmissionPlugin {
 public:
  explicit ServiceAccountAdmission(ObjectApi& api) : api_(api) {}
  std::string_view name() const override { return "ServiceAccount"; }
  ApiStatus admit(AdmissionRequest& r) override {
    if (!creating(r, "", "pods")) return {};
    json::Document& pod = *r.object;
    auto& a = pod.GetAllocator();
    Value& spec = json::ensure_object(pod, "spec", a);
    std::string sa(json::get_string(spec, "serviceAccountName"));
    if (sa.empty()) sa = std::string(json::get_string(spec, "serviceAccount"));
    if (sa.empty()) sa = "default";
    json::set_string(spec, "serviceAccountName", sa, a);
    json::set_string(spec, "serviceAccount", sa, a);
    ResourcePtr accounts = api_.registry().find("", "v1", "serviceaccounts");
    auto account = api_.get(*accounts, r.namespace_, sa);
    if (!account.ok()) {
      return errors::forbidden({"", "pods"}, r.name,
                               "error looking up service account " + r.namespace_ + "/" + sa +
                                   ": serviceaccount " + go_quote(sa) + " not found");
    }
    const Value* automount = json::find(spec, "automountServiceAccountToken");
    if (automount == nullptr)
      automount = json::find(account->json(), "automountServiceAccountToken");
    if (automount != nullptr && automount->IsBool() && !automount->GetBool()) return {};
    constexpr std::string_view kMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
    for (std::string_view list : {"initContainers", "containers"}) {
      const Value* cs = json::find(spec, list);
      if (cs == nullptr || !cs->IsArray()) continue;
      for (const auto& c : cs->GetArray()) {
        const Value* mounts = json::find(c, "volumeMounts");
        if (mounts == nullptr || !mounts->IsArray()) continue;
        for (const auto& m : mounts->GetArray()) {
          if (json::get_string(m, "mountPath") == kMountPath) return {};
        }
      }
    }
    std::string volume = "kube-api-access-" + kube::random_suffix(5);
    auto source = json::parse(
        R"({"projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},)"
        R"({"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},)"
        R"({"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}})");
    Value v(rapidjson::kObjectType);
    json::set_string(v, "name", volume, a);
    json::set(v, "projected", Value(*json::find(*source, "projected"), a), a);
    json::ensure_array(spec, "volumes", a).PushBack(std::move(v), a);
    for (std::string_view list : {"initContainers", "containers"}) {
      Value* cs = json::find(spec, list);
      if (cs == nullptr || !cs->IsArray()) continue;
      for (auto& c : cs->GetArray()) {
        Value mount(rapidjson::kObjectType);
        json::set_string(mount, "name", volume, a);
        json::set(mount, "readOnly", Value(true), a);
        json::set_string(mount, "mountPath", kMountPath, a);
        json::ensure_array(c, "volumeMounts", a).PushBack(std::move(mount), a);
        // volumeMounts sits after resources in Go order.
        order_after_resources(c, a);
      }
    }
    return {};
  }

 private:
  static void order_after_resources(Value& c, json::Allocator& a) {
    Value moved = std::move(*json::find(c, "volumeMounts"));
    json::remove(c, "volumeMounts");
    Value out(rapidjson::kObjectType);
    bool placed = false;
    for (auto& m : c.GetObject()) {
      std::string_view key = json::as_string(m.name);
      bool later = key == "volumeDevices" || key == "livenessProbe" || key == "readinessProbe" ||
                   key == "startupProbe" || key == "lifecycle" || key == "terminationMessagePath" ||
                   key == "terminationMessagePolicy" || key == "imagePullPolicy" ||
                   key == "securityContext" || key == "stdin" || key == "stdinOnce" || key == "tty";
      if (later && !placed) {
        out.AddMember("volumeMounts", std::move(moved), a);
        placed = true;
      }
      out.AddMember(m.name, m.value, a);
    }
    if (!placed) out.AddMember("volumeMounts", std::move(moved), a);
    c = std::move(out);
  }
  ObjectApi& api_;
};

// Pods tolerate not-ready and unreachable nodes for 300 s unless they say otherwise.
class DefaultTolerationSeconds : public AdmissionPlugin {
 public:
  std::string_view name() const override { return "DefaultTolerationSeconds"; }
  ApiStatus admit(AdmissionRequest& r) override {
    if (!creating(r, "", "pods")) return {};
    json::Document& pod = *r.object;
    auto& a = pod.GetAllocator();
    Value& spec = json::ensure_object(pod, "spec", a);
    Value& tolerations = json::ensure_array(spec, "tolerations", a);
    for (std::string_view key :
         {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
      bool present = false;
      for (const auto& t : tolerations.GetArray()) {
        std::string_view effect = json::get_string(t, "effect");
        std::string_view tkey = json::get_string(t, "key");
        bool all_keys = tkey.empty() && json::get_string(t, "operator") == "Exists";
        if ((tkey == key || all_keys) && (effect.empty() || effect == "NoExecute")) present = true;
      }
      if (present) continue;
      Value t(rapidjson::kObjectType);
      json::set_string(t, "key", key, a);
      json::set_string(t, "operator", "Exists", a);
      json::set_string(t, "effect", "NoExecute", a);
      json::set(t, "tolerationSeconds", Value(std::int64_t{300}), a);
      tolerations.PushBack(std::move(t), a);
    }
    return {};
  }
};

// spec.priority and preemptionPolicy from the pod's PriorityClass (or the global default).
class PriorityAdmission : public AdmissionPlugin {
 public:
  explicit PriorityAdmission(ObjectApi& api) : api_(api) {}
  std::string_view name() const override { return "Priority"; }
  ApiStatus admit(AdmissionRequest& r) override {
    if (!creating(r, "", "pods")) return {};
    json::Document& pod = *r.object;
    auto& a = pod.GetAllocator();
    Value& spec = json::ensure_object(pod, "spec", a);
    std::string class_name(json::get_string(spec, "priorityClassName"));
    ResourcePtr classes = api_.registry().find("scheduling.k8s.io", "v1", "priorityclasses");
    std::int64_t priority = 0;
    std::string policy = "PreemptLowerPriority";
    if (!class_name.empty()) {
      auto pc = api_.get(*classes, "", class_name);
      if (!pc.ok()) {
        return errors::forbidden({"", "pods"}, r.name,
                                 "no PriorityClass with name " + class_name + " was found");
      }
      priority = json::get_int(pc->json(), "value", 0);
      policy = std::string(json::get_string(pc->json(), "preemptionPolicy", policy));
    } else {
      auto all = api_.list(*classes, "", {});
      if (all.ok()) {
        for (const auto& pc : all->items) {
          if (!json::get_bool(pc.json(), "globalDefault")) continue;
          json::set_string(spec, "priorityClassName", pc.name(), a);
          priority = json::get_int(pc.json(), "value", 0);
          policy = std::string(json::get_string(pc.json(), "preemptionPolicy", policy));
          break;
        }
      }
    }
    if (const Value* given = json::find(spec, "priority");
        given != nullptr && given->IsInt64() && given->GetInt64() != priority) {
      return errors::forbidden({"", "pods"}, r.name,
                               "the integer value of priority (" +
                                   std::to_string(given->GetInt64()) +
                                   ") must not be provided in pod spec; priority admission "
                                   "controller computed " +
                                   std::to_string(priority) + " from the given PriorityClass name");
    }
    json::set(spec, "priority", Value(priority), a);
    if (json::find(spec, "preemptionPolicy") == nullptr) {
      json::set_string(spec, "preemptionPolicy", policy, a);
    }
    return {};
  }

 private:
  ObjectApi& api_;
};

// PVCs without a class get the default StorageClass.
class DefaultStorageClass : public AdmissionPlugin {
 public:
  explicit DefaultStorageClass(ObjectApi& api) : api_(api) {}
  std::string_view name() const override { return "DefaultStorageClass"; }
  ApiStatus admit(AdmissionRequest& r) override {
    if (!creating(r, "", "persistentvolumeclaims")) return {};
    json::Document& pvc = *r.object;
    auto& a = pvc.GetAllocator();
    Value& spec = json::ensure_object(pvc, "spec", a);
    if (json::find(spec, "storageClassName") != nullptr) return {};
    ResourcePtr classes = api_.registry().find("storage.k8s.io", "v1", "storageclasses");
    auto all = api_.list(*classes, "", {});
    if (!all.ok()) return {};
    for (const auto& sc : all->items) {
      if (sc.annotation("storageclass.kubernetes.io/is-default-class") == "true") {
        json::set_string(spec, "storageClassName", sc.name(), a);
        break;
      }
    }
    return {};
  }

 private:
  ObjectApi& api_;
};

// Protection finalizers on claims and volumes.
class StorageObjectInUseProtection : public AdmissionPlugin {
 public:
  std::string_view name() const override { return "StorageObjectInUseProtection"; }
  ApiStatus admit(AdmissionRequest& r) override {
    std::string_view finalizer;
    if (creating(r, "", "persistentvolumeclaims")) finalizer = "kubernetes.io/pvc-protection";
    if (creating(r, "", "persistentvolumes")) finalizer = "kubernetes.io/pv-protection";
    if (finalizer.empty()) return {};
    auto& a = r.object->GetAllocator();
    Value& meta = json::ensure_object(*r.object, "metadata", a);
    Value& list = json::ensure_array(meta, "finalizers", a);
    for (const auto& f : list.GetArray()) {
      if (json::as_string(f) == finalizer) return {};
    }
    list.PushBack(json::make_string(finalizer, a), a);
    return {};
  }
};

// ClusterIP and NodePort allocation (the Service REST storage's job in the apiserver).
class ServiceAllocation : public AdmissionPlugin {
 public:
  explicit ServiceAllocation(ObjectApi& api) : api_(api) {
    auto parts = kube::split(api.options().service_cidr, '/');
    auto octets = kube::split(parts.empty() ? std::string_view() : parts[0], '.');
    if (octets.size() == 4) {
      for (auto o : octets)
        base_ = (base_ << 8) | static_cast<std::uint32_t>(kube::parse_int(o).value_or(0));
    }
    if (parts.size() == 2) {
      auto bits = kube::parse_int(parts[1]).value_or(24);
      size_ = bits >= 32 ? 1 : (bits <= 16 ? 65536 : (1u << (32 - bits)));
    }
  }
  std::string_view name() const override { return "ServiceIPAllocation"; }
  ApiStatus admit(AdmissionRequest& r) override {
    if (!creating(r, "", "services")) return {};
    json::Document& svc = *r.object;
    auto& a = svc.GetAllocator();
    Value& spec = json::ensure_object(svc, "spec", a);
    std::string_view type = json::get_string(spec, "type", "ClusterIP");
    if (type == "ExternalName") return {};
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> used;
    std::set<std::int64_t> used_ports;
    collect(used, used_ports);
    std::string ip(json::get_string(spec, "clusterIP"));
    if (ip.empty()) {
      if (const Value* ips = json::find(spec, "clusterIPs");
          ips != nullptr && ips->IsArray() && !ips->Empty()) {
        ip = std::string(json::as_string((*ips)[0]));
      }
    }
    if (ip.empty()) {
      ip = pick(used);
      if (ip.empty()) return errors::internal("failed to allocate a serviceIP: range is full");
    } else if (ip != "None") {
      if (used.count(ip) != 0) {
        return errors::invalid(
            "Service", "", r.name,
            {FieldError::invalid(
                "spec.clusterIPs", "[]string{" + go_quote(ip) + "}",
                "failed to allocate IP " + ip + ": provided IP is already allocated")});
      }
    }
    json::set_string(spec, "clusterIP", ip, a);
    Value ips(rapidjson::kArrayType);
    ips.PushBack(json::make_string(ip, a), a);
    json::set(spec, "clusterIPs", std::move(ips), a);
    if (json::find(spec, "ipFamilies") == nullptr) {
      Value families(rapidjson::kArrayType);
      families.PushBack(json::make_string("IPv4", a), a);
      json::set(spec, "ipFamilies", std::move(families), a);
    }
    if (json::find(spec, "ipFamilyPolicy") == nullptr) {
      json::set_string(spec, "ipFamilyPolicy", "SingleStack", a);
    }
    if (type == "NodePort" || type == "LoadBalancer") {
      if (Value* ports = json::find(spec, "ports"); ports != nullptr && ports->IsArray()) {
        for (auto& p : ports->GetArray()) {
          if (json::find(p, "nodePort") != nullptr) continue;
          std::int64_t port = pick_port(used_ports);
          if (port == 0) return errors::internal("failed to allocate a nodePort: range is full");
          used_ports.insert(port);
          json::set(p, "nodePort", Value(port), a);
        }
      }
    }
    reserved_.push_back(ip);
    if (reserved_.size() > 64) reserved_.erase(reserved_.begin());
    return {};
  }

 private:
  void collect(std::set<std::string>& used, std::set<std::int64_t>& ports) {
    SnapshotPtr all = api_.store().list("/services", "");
    for (const auto& s : all->items) {
      const Value* spec = s.spec();
      if (spec == nullptr) continue;
      used.insert(std::string(json::get_string(*spec, "clusterIP")));
      if (const Value* ps = json::find(*spec, "ports"); ps != nullptr && ps->IsArray()) {
        for (const auto& p : ps->GetArray())
          ports.insert(json::get_int(p, "nodePort", 0));
      }
    }
    // Handed out moments ago to creates that may not be stored yet.
    for (const auto& r : reserved_)
      used.insert(r);
  }
  std::string address(std::uint32_t offset) const {
    std::uint32_t v = base_ + offset;
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." +
           std::to_string((v >> 8) & 255) + "." + std::to_string(v & 255);
  }
  std::string pick(const std::set<std::string>& used) {
    // .0 is the network, .1 the kubernetes Service, the last the broadcast address.
    std::uint32_t first = 2;
    std::uint32_t last = size_ > 2 ? size_ - 2 : 1;
    if (last < first) return {};
    std::uint32_t span = last - first + 1;
    std::uint32_t start = static_cast<std::uint32_t>(rng_() % span);
    for (std::uint32_t i = 0; i < span; ++i) {
      std::string candidate = address(first + (start + i) % span);
      if (used.count(candidate) == 0) return candidate;
    }
    return {};
  }
  std::int64_t pick_port(const std::set<std::int64_t>& used) {
    constexpr std::int64_t kFirst = 30000;
    constexpr std::int64_t kSpan = 32767 - 30000 + 1;
    std::int64_t start = static_cast<std::int64_t>(rng_() % kSpan);
    for (std::int64_t i = 0; i < kSpan; ++i) {
      std::int64_t p = kFirst + (start + i) % kSpan;
      if (used.count(p) == 0) return p;
    }
    return 0;
  }

  ObjectApi& api_;
  std::mutex mu_;
  std::uint32_t base_ = (10u << 24);
  std::uint32_t size_ = 256;
  std::vector<std::string> reserved_;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace

std::vector<std::shared_ptr<AdmissionPlugin>> builtin_admission_plugins(ObjectApi& api) {
  return {
      std::make_shared<NamespaceLifecycle>(api),  std::make_shared<ServiceAccountAdmission>(api),
      std::make_shared<PriorityAdmission>(api),   std::make_shared<DefaultTolerationSeconds>(),
      std::make_shared<DefaultStorageClass>(api), std::make_shared<StorageObjectInUseProtection>(),
      std::make_shared<ServiceAllocation>(api)};
}

}  // namespace berth::sim
