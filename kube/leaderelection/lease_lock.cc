#include "kube/leaderelection/lease_lock.h"

#include "kube/api/resource.h"
#include "kube/core/json.h"

namespace kube {
namespace {

void set_time(json::Value& spec, std::string_view key, const std::optional<SystemTime>& t,
              json::Allocator& a) {
  if (t) json::set_string(spec, key, format_micro_time(*t), a);
}

std::optional<SystemTime> get_time(const json::Value& spec, std::string_view key) {
  std::string_view text = json::get_string(spec, key);
  if (text.empty()) return std::nullopt;
  return parse_time(text);
}

class KubeLeaseLock final : public LeaseLock {
 public:
  KubeLeaseLock(Client& client, std::string namespace_, std::string name)
      : client_(client), namespace_(std::move(namespace_)), name_(std::move(name)) {}

  Result<VersionedLeaseRecord> get(const CancelToken& cancel) override {
    KUBE_ASSIGN_OR_RETURN(
        HttpResponse response,
        client_.request("GET", resources::kLeases.path(namespace_, name_), {}, {}, cancel));
    KUBE_ASSIGN_OR_RETURN(Object lease, Object::parse(response.body));
    {
      std::lock_guard lock(mu_);
      last_ = lease;
    }
    return VersionedLeaseRecord{lease_record_from_spec(lease.spec()),
                                std::string(lease.resource_version())};
  }

  Result<std::string> create(const LeaseRecord& record, const CancelToken& cancel) override {
    json::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    json::set_string(doc, "apiVersion", resources::kLeases.api_version(), a);
    json::set_string(doc, "kind", resources::kLeases.kind, a);
    json::Value& metadata = json::ensure_object(doc, "metadata", a);
    json::set_string(metadata, "name", name_, a);
    json::set_string(metadata, "namespace", namespace_, a);
    json::Document spec = lease_spec_json(record);
    json::set(doc, "spec", json::Value(spec, a), a);
    return write("POST", resources::kLeases.path(namespace_), json::dump(doc), cancel);
  }

  Result<std::string> update(const LeaseRecord& record, std::string_view version,
                             const CancelToken& cancel) override {
    json::Document doc;
    {
      std::lock_guard lock(mu_);
      if (last_ && last_.resource_version() == version) doc = last_.copy();
    }
    if (!doc.IsObject()) {
      // Not read at this version (a fast-path renewal after our own write): build the object.
      doc.SetObject();
      auto& a = doc.GetAllocator();
      json::set_string(doc, "apiVersion", resources::kLeases.api_version(), a);
      json::set_string(doc, "kind", resources::kLeases.kind, a);
      json::Value& metadata = json::ensure_object(doc, "metadata", a);
      json::set_string(metadata, "name", name_, a);
      json::set_string(metadata, "namespace", namespace_, a);
    }
    auto& a = doc.GetAllocator();
    json::Value& metadata = json::ensure_object(doc, "metadata", a);
    json::set_string(metadata, "resourceVersion", version, a);
    json::Document spec = lease_spec_json(record);
    json::set(doc, "spec", json::Value(spec, a), a);
    return write("PUT", resources::kLeases.path(namespace_, name_), json::dump(doc), cancel);
  }

  std::string describe() const override { return namespace_ + "/" + name_; }

 private:
  Result<std::string> write(std::string_view method, const std::string& path,
                            const std::string& body, const CancelToken& cancel) {
    KUBE_ASSIGN_OR_RETURN(HttpResponse response,
                          client_.request(method, path, body, "application/json", cancel));
    KUBE_ASSIGN_OR_RETURN(Object lease, Object::parse(response.body));
    std::lock_guard lock(mu_);
    last_ = lease;
    return std::string(lease.resource_version());
  }

  Client& client_;
  const std::string namespace_;
  const std::string name_;
  std::mutex mu_;
  Object last_;  // the Lease as last read or written
};

}  // namespace

json::Document lease_spec_json(const LeaseRecord& record) {
  json::Document spec(rapidjson::kObjectType);
  auto& a = spec.GetAllocator();
  json::set_string(spec, "holderIdentity", record.holder_identity, a);
  json::set(spec, "leaseDurationSeconds", json::Value(record.lease_duration_seconds), a);
  set_time(spec, "acquireTime", record.acquire_time, a);
  set_time(spec, "renewTime", record.renew_time, a);
  json::set(spec, "leaseTransitions", json::Value(record.lease_transitions), a);
  return spec;
}

LeaseRecord lease_record_from_spec(const json::Value* spec) {
  LeaseRecord r;
  if (spec == nullptr || !spec->IsObject()) return r;
  r.holder_identity = std::string(json::get_string(*spec, "holderIdentity"));
  r.lease_duration_seconds = static_cast<int>(json::get_int(*spec, "leaseDurationSeconds"));
  r.acquire_time = get_time(*spec, "acquireTime");
  r.renew_time = get_time(*spec, "renewTime");
  r.lease_transitions = static_cast<int>(json::get_int(*spec, "leaseTransitions"));
  return r;
}

std::unique_ptr<LeaseLock> LeaseLock::for_lease(Client& client, std::string namespace_,
                                                std::string name) {
  return std::make_unique<KubeLeaseLock>(client, std::move(namespace_), std::move(name));
}

}  // namespace kube
