#include "bench/runtime/pods.h"

#include <unistd.h>

#include <fstream>
#include <thread>

namespace berth::bench {

std::string pod_json(int i, long long rv) {
  const std::string rs = "api-" + std::to_string(i / 3 % 100000) + "-7c9d5f8b4";
  const std::string name = rs + "-" + std::to_string(i);
  const std::string ns = "team-" + std::to_string(i % kNamespaces);
  const std::string node = "node-" + std::to_string(i % kNodes);
  const std::string uid = "8d0e6f1a-3b2c-4d5e-8f70-" + std::to_string(200000000000LL + i);
  const std::string rs_uid = "c41d2e3f-5a6b-4c7d-9e8f-" + std::to_string(300000000000LL + i / 3);
  const std::string ip = "10." + std::to_string(i / 65536 % 256) + "." +
                         std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
  std::string s;
  s.reserve(4600);
  s += R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":")" + name + R"(","generateName":")" +
       rs + R"(-","namespace":")" + ns + R"(","uid":")" + uid + R"(","resourceVersion":")" +
       std::to_string(rv) +
       R"(","creationTimestamp":"2026-11-24T21:14:05Z","labels":{"app.kubernetes.io/name":"api",)"
       R"("app.kubernetes.io/instance":"api-)" +
       std::to_string(i % kNamespaces) +
       R"(","app.kubernetes.io/component":"server","pod-template-hash":"7c9d5f8b4"},)"
       R"("annotations":{"berth.dev/workload-class":"latency-critical",)"
       R"("kubectl.kubernetes.io/restartedAt":"2026-11-20T10:00:00Z"},"ownerReferences":[{)"
       R"("apiVersion":"apps/v1","kind":"ReplicaSet","name":")" +
       rs + R"(","uid":")" + rs_uid +
       R"(","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":)"
       R"("kube-controller-manager","operation":"Update","apiVersion":"v1",)"
       R"("time":"2026-11-24T21:14:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{)"
       R"("f:annotations":{".":{},"f:berth.dev/workload-class":{},)"
       R"("f:kubectl.kubernetes.io/restartedAt":{}},"f:generateName":{},"f:labels":{".":{},)"
       R"("f:app.kubernetes.io/component":{},"f:app.kubernetes.io/instance":{},)"
       R"("f:app.kubernetes.io/name":{},"f:pod-template-hash":{}},"f:ownerReferences":{)"
       R"(".":{},"k:{\"uid\":\")" +
       rs_uid +
       R"(\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"server\"}":{".":{},)"
       R"("f:env":{".":{},"k:{\"name\":\"GOMAXPROCS\"}":{".":{},"f:name":{},"f:valueFrom":{}}},)"
       R"("f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},)"
       R"("k:{\"containerPort\":9000,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},)"
       R"("f:name":{},"f:protocol":{}}},"f:resources":{".":{},"f:limits":{},"f:requests":{}}}},)"
       R"("f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},)"
       R"("f:terminationGracePeriodSeconds":{}}}},{"manager":"kubelet","operation":"Update",)"
       R"("apiVersion":"v1","time":"2026-11-24T21:14:09Z","fieldsType":"FieldsV1",)"
       R"("fieldsV1":{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},)"
       R"("f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},)"
       R"("f:hostIP":{},"f:phase":{},"f:podIP":{},"f:startTime":{}}},"subresource":"status"}]},)"
       R"("spec":{"volumes":[{"name":"kube-api-access-)" +
       std::to_string(10000 + i % 90000) +
       R"(","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,)"
       R"("path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt",)"
       R"("path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{)"
       R"("apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],)"
       R"("containers":[{"name":"server","image":"registry.example.com/team/api:2.8.1",)"
       R"("ports":[{"name":"http","containerPort":9000,"protocol":"TCP"}],"env":[{"name":)"
       R"("GOMAXPROCS","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu",)"
       R"("divisor":"0"}}}],"resources":{"limits":{"cpu":"2","memory":"1Gi"},"requests":{)"
       R"("cpu":"500m","memory":"512Mi"}},"volumeMounts":[{"name":"kube-api-access","readOnly":)"
       R"(true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],)"
       R"("livenessProbe":{"httpGet":{"path":"/livez","port":9000,"scheme":"HTTP"},)"
       R"("timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},)"
       R"("terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",)"
       R"("imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always",)"
       R"("terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":)"
       R"("default","serviceAccount":"default","nodeName":")" +
       node +
       R"(","securityContext":{},"affinity":{"podAntiAffinity":{)"
       R"("preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{)"
       R"("labelSelector":{"matchLabels":{"app.kubernetes.io/name":"api"}},)"
       R"("topologyKey":"kubernetes.io/hostname"}}]}},"schedulerName":"default-scheduler",)"
       R"("tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists",)"
       R"("effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable",)"
       R"("operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,)"
       R"("enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{)"
       R"("phase":"Running","conditions":[{"type":"Initialized","status":"True",)"
       R"("lastProbeTime":null,"lastTransitionTime":"2026-11-24T21:14:05Z"},{"type":"Ready",)"
       R"("status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-24T21:14:09Z"},)"
       R"({"type":"ContainersReady","status":"True","lastProbeTime":null,)"
       R"("lastTransitionTime":"2026-11-24T21:14:09Z"},{"type":"PodScheduled","status":"True",)"
       R"("lastProbeTime":null,"lastTransitionTime":"2026-11-24T21:14:05Z"}],"hostIP":"172.16.)" +
       std::to_string(i % kNodes / 256) + "." + std::to_string(i % kNodes % 256) +
       R"(","podIP":")" + ip + R"(","podIPs":[{"ip":")" + ip +
       R"("}],"startTime":"2026-11-24T21:14:05Z","containerStatuses":[{"name":"server",)"
       R"("state":{"running":{"startedAt":"2026-11-24T21:14:08Z"}},"lastState":{},"ready":true,)"
       R"("restartCount":0,"image":"registry.example.com/team/api:2.8.1","imageID":)"
       R"("registry.example.com/team/api@sha256:)" +
       std::string(64, 'a') + R"(","containerID":"containerd://)" + std::string(64, 'b') +
       R"(","started":true}],"qosClass":"Burstable"}})";
  return s;
}

std::vector<kube::Object> parsed_pods(int count) {
  std::vector<kube::Object> out(static_cast<std::size_t>(count));
  auto work = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      out[static_cast<std::size_t>(i)] = kube::Object::parse(pod_json(i)).value();
  };
  std::thread half(work, 0, count / 2);
  work(count / 2, count);
  half.join();
  return out;
}

const std::vector<kube::Object>& decoded_pods() {
  static const std::vector<kube::Object> pods = parsed_pods(kPods);
  return pods;
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace berth::bench
