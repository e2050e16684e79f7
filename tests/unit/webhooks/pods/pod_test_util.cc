#include "tests/unit/webhooks/pods/pod_test_util.h"

namespace berth::webhooks::testing {

std::string container(const std::string& name, const std::string& image, const std::string& extra) {
  return R"({"name":")" + name + R"(","image":")" + image +
         R"(","resources":{},"volumeMounts":[{"name":"kube-api-access-w6q7j","readOnly":true,)"
         R"("mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],)"
         R"("terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",)"
         R"("imagePullPolicy":"IfNotPresent")" +
         extra + "}";
}

std::string pod(const std::string& annotations, const std::string& containers,
                const std::string& spec_extra, const std::string& metadata_extra) {
  std::string out = R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","namespace":"app",)"
                    R"("creationTimestamp":null,"labels":{"app":"web"})";
  if (!annotations.empty()) out += R"(,"annotations":{)" + annotations + "}";
  out += metadata_extra;
  out += R"(},"spec":{"volumes":[{"name":"kube-api-access-w6q7j","projected":{"sources":[)"
         R"({"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}],)"
         R"("defaultMode":420}}],"containers":[)" +
         containers +
         R"(],"restartPolicy":"Always","terminationGracePeriodSeconds":30,)"
         R"("dnsPolicy":"ClusterFirst","serviceAccountName":"default","securityContext":{},)"
         R"("schedulerName":"default-scheduler","priority":0,"enableServiceLinks":true)" +
         spec_extra + R"(},"status":{}})";
  return out;
}

}  // namespace berth::webhooks::testing
