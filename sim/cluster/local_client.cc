#include "sim/cluster/local_client.h"

#include <stdexcept>
#include <thread>

#include "sim/faults/fault_injector.h"

namespace berth::sim {

namespace json = kube::json;

LocalClient::LocalClient(ObjectApi& api, Identity identity, FaultInjector* faults)
    : api_(&api), identity_(std::move(identity)), faults_(faults) {}

LocalClient LocalClient::as(Identity identity) const {
  return LocalClient(*api_, std::move(identity), faults_);
}

ResourcePtr LocalClient::resource(std::string_view group, std::string_view version,
                                  std::string_view plural) const {
  ResourcePtr r = api_->registry().find(group, version, plural);
  if (!r) {
    throw std::logic_error("berth-sim serves no " + std::string(plural) + "." + std::string(group) +
                           "/" + std::string(version));
  }
  return r;
}

WriteOptions LocalClient::write_options() const {
  WriteOptions w;
  w.field_manager = identity_.field_manager;
  w.user.username = identity_.username;
  w.user.groups = identity_.groups;
  return w;
}

ApiStatus LocalClient::inject(std::string_view verb, std::string_view plural,
                              std::string_view subresource) const {
  if (faults_ == nullptr) return {};
  FaultDecision d = faults_->decide(verb, plural, subresource, /*internal=*/true);
  if (d.delay.count() > 0) std::this_thread::sleep_for(d.delay);
  if (d.error) return *d.error;
  return {};
}

ApiResult<kube::Object> LocalClient::get(const ResourcePtr& resource, std::string_view namespace_,
                                         std::string_view name) const {
  KUBE_RETURN_IF_ERROR(inject("get", resource->plural, ""));
  return api_->get(*resource, namespace_, name);
}

ApiResult<kube::Object> LocalClient::create(const ResourcePtr& resource,
                                            std::string_view namespace_,
                                            json::Document body) const {
  KUBE_RETURN_IF_ERROR(inject("create", resource->plural, ""));
  KUBE_ASSIGN_OR_RETURN(WriteResult r,
                        api_->create(resource, namespace_, std::move(body), write_options()));
  return std::move(r.object);
}

ApiResult<kube::Object> LocalClient::update(const ResourcePtr& resource, json::Document body,
                                            std::string_view subresource) const {
  KUBE_RETURN_IF_ERROR(inject("update", resource->plural, subresource));
  const json::Value* meta = json::find(body, "metadata");
  if (meta == nullptr) return errors::bad_request("update without metadata");
  std::string ns(json::get_string(*meta, "namespace"));
  std::string name(json::get_string(*meta, "name"));
  KUBE_ASSIGN_OR_RETURN(WriteResult r, api_->update(resource, ns, name, subresource,
                                                    std::move(body), write_options()));
  return std::move(r.object);
}

ApiResult<kube::Object> LocalClient::update_with(const ResourcePtr& resource,
                                                 std::string_view namespace_, std::string_view name,
                                                 std::string_view subresource,
                                                 const ObjectApi::Mutation& mutate) const {
  KUBE_RETURN_IF_ERROR(inject("update", resource->plural, subresource));
  KUBE_ASSIGN_OR_RETURN(
      WriteResult r,
      api_->guaranteed_update(resource, namespace_, name, subresource, mutate, write_options()));
  return std::move(r.object);
}

ApiResult<kube::Object> LocalClient::patch(const ResourcePtr& resource, std::string_view namespace_,
                                           std::string_view name, PatchType type,
                                           std::string_view body,
                                           std::string_view subresource) const {
  KUBE_RETURN_IF_ERROR(inject("patch", resource->plural, subresource));
  PatchOptions options;
  static_cast<WriteOptions&>(options) = write_options();
  KUBE_ASSIGN_OR_RETURN(WriteResult r,
                        api_->patch(resource, namespace_, name, subresource, type, body, options));
  return std::move(r.object);
}

ApiResult<DeleteResult> LocalClient::remove(const ResourcePtr& resource,
                                            std::string_view namespace_, std::string_view name,
                                            DeleteOptions options) const {
  KUBE_RETURN_IF_ERROR(inject("delete", resource->plural, ""));
  options.user.username = identity_.username;
  options.user.groups = identity_.groups;
  return api_->remove(resource, namespace_, name, options);
}

ApiStatus LocalClient::bind(std::string_view namespace_, std::string_view name,
                            std::string_view uid, std::string_view node) const {
  KUBE_RETURN_IF_ERROR(inject("create", "pods", "binding"));
  json::Document b(rapidjson::kObjectType);
  auto& a = b.GetAllocator();
  json::set_string(b, "kind", "Binding", a);
  json::set_string(b, "apiVersion", "v1", a);
  json::Value& meta = json::ensure_object(b, "metadata", a);
  json::set_string(meta, "name", name, a);
  json::set_string(meta, "namespace", namespace_, a);
  if (!uid.empty()) json::set_string(meta, "uid", uid, a);
  json::Value& target = json::ensure_object(b, "target", a);
  json::set_string(target, "kind", "Node", a);
  json::set_string(target, "name", node, a);
  return api_->bind(namespace_, name, b, write_options());
}

}  // namespace berth::sim
