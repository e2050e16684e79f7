#include "sim/controllers/indexes.h"

#include "sim/controllers/workload.h"

namespace berth::sim {

void add_workload_indexes(LocalInformer& informer, const ResourcePtr& resource) {
  informer.add_index(resource, std::string(kByControllerUid),
                     [](const kube::Object& o) -> std::vector<std::string> {
                       const auto* ref = workload::controller_ref(o);
                       if (ref == nullptr) return {};
                       return {std::string(kube::json::get_string(*ref, "uid"))};
                     });
  informer.add_index(resource, std::string(kOrphansByNamespace),
                     [](const kube::Object& o) -> std::vector<std::string> {
                       if (workload::controller_ref(o) != nullptr) return {};
                       return {std::string(o.namespace_())};
                     });
  informer.add_index(resource, std::string(kByNamespace),
                     [](const kube::Object& o) -> std::vector<std::string> {
                       return {std::string(o.namespace_())};
                     });
}

}  // namespace berth::sim
