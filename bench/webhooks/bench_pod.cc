#include "bench/webhooks/bench_pod.h"

namespace berth::bench {

std::string pod_review() {
  std::string env;
  for (int i = 0; i < 10; ++i) {
    env += (i ? "," : "") + std::string(R"({"name":"SETTING_)") + std::to_string(i) +
           R"(","value":"value-)" + std::to_string(i) + R"("})";
  }
  const std::string app =
      R"({"name":"app","image":"shop/checkout:2.14.1","ports":[{"name":"http","containerPort":8080,)"
      R"("protocol":"TCP"}],"env":[)" +
      env +
      R"(],"resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"memory":"512Mi"}},)"
      R"("volumeMounts":[{"name":"kube-api-access-8x2kq","readOnly":true,)"
      R"("mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],)"
      R"("livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},)"
      R"("timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},)"
      R"("readinessProbe":{"httpGet":{"path":"/readyz","port":8080,"scheme":"HTTP"},)"
      R"("timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3},)"
      R"("terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",)"
      R"("imagePullPolicy":"IfNotPresent","securityContext":{"runAsNonRoot":true,)"
      R"("allowPrivilegeEscalation":false}})";
  const std::string proxy =
      R"({"name":"proxy","image":"envoyproxy/envoy:v1.28.0","args":["-c","/etc/envoy/envoy.yaml"],)"
      R"("resources":{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"memory":"128Mi"}},)"
      R"("volumeMounts":[{"name":"kube-api-access-8x2kq","readOnly":true,)"
      R"("mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],)"
      R"("terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",)"
      R"("imagePullPolicy":"IfNotPresent","securityContext":{"runAsNonRoot":true}})";
  const std::string pod =
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"checkout-6f9c8d7b5-",)"
      R"("namespace":"shop","creationTimestamp":null,"labels":{"app":"checkout",)"
      R"("pod-template-hash":"6f9c8d7b5","version":"2.14.1","app.kubernetes.io/part-of":"shop"},)"
      R"("annotations":{"berth.dev/log-sidecar":"true","berth.dev/log-paths":)"
      R"("/var/log/checkout/*.log","berth.dev/mount-secrets":"checkout-db,payment-api",)"
      R"("prometheus.io/scrape":"true","prometheus.io/port":"9090"},)"
      R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":)"
      R"("checkout-6f9c8d7b5","uid":"5b1c2a0e-8c53-4a63-9a1f-0d0c6f0a7e21","controller":true,)"
      R"("blockOwnerDeletion":true}],"managedFields":[{"manager":"kube-controller-manager",)"
      R"("operation":"Update","apiVersion":"v1","time":"2026-11-25T04:10:34Z","fieldsType":)"
      R"("FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:berth.dev/log-paths":{},)"
      R"("f:berth.dev/log-sidecar":{},"f:berth.dev/mount-secrets":{}},"f:generateName":{},)"
      R"("f:labels":{".":{},"f:app":{},"f:pod-template-hash":{},"f:version":{}},)"
      R"("f:ownerReferences":{".":{},"k:{\"uid\":\"5b1c2a0e-8c53-4a63-9a1f-0d0c6f0a7e21\"}":{}}},)"
      R"("f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:env":{},"f:image":{},)"
      R"("f:name":{},"f:ports":{},"f:resources":{}},"k:{\"name\":\"proxy\"}":{".":{},)"
      R"("f:image":{},"f:name":{}}},"f:dnsPolicy":{},"f:restartPolicy":{}}}}]},)"
      R"("spec":{"volumes":[{"name":"kube-api-access-8x2kq","projected":{"sources":[)"
      R"({"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":)"
      R"({"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},)"
      R"({"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1",)"
      R"("fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],"containers":[)" +
      app + "," + proxy +
      R"(],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":)"
      R"("ClusterFirst","serviceAccountName":"checkout","serviceAccount":"checkout",)"
      R"("securityContext":{"runAsNonRoot":true},"schedulerName":"default-scheduler",)"
      R"("tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":)"
      R"("NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable",)"
      R"("operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,)"
      R"("enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{}})";
  return R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":)"
         R"("0b5e3f4c-9d52-4c8e-8a9b-3e1f2d4c5b6a","kind":{"group":"","version":"v1","kind":)"
         R"("Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"requestKind":)"
         R"({"group":"","version":"v1","kind":"Pod"},"requestResource":{"group":"","version":)"
         R"("v1","resource":"pods"},"namespace":"shop","operation":"CREATE","userInfo":)"
         R"({"username":"system:serviceaccount:kube-system:replicaset-controller","groups":)"
         R"(["system:serviceaccounts","system:authenticated"]},"object":)" +
         pod +
         R"(,"oldObject":null,"dryRun":false,"options":{"kind":"CreateOptions","apiVersion":)"
         R"("meta.k8s.io/v1"}}})";
}

std::shared_ptr<webhooks::WebhooksConfig> bench_config() {
  auto c = std::make_shared<webhooks::WebhooksConfig>();
  c->registry.global.mirrors["docker.io"] = webhooks::Mirror{"mirror.corp:5000", "hub"};
  c->registry.global.pull_secrets = {"mirror-pull"};
  return c;
}

void add_bench_namespace(webhooks::NamespaceLabelMap& namespaces) {
  namespaces.set("shop", {{"berth.dev/injection", "enabled"}});
}

}  // namespace berth::bench
