// NodePool: berth-sim's fake Nodes. It registers N nodes the way kubelets do (labels for
// hostname, OS, architecture, zone, region and rack; capacity/allocatable; conditions
// MemoryPressure/DiskPressure/PIDPressure/Ready; addresses; nodeInfo; a podCIDR) and keeps
// them alive: each node's Lease in kube-node-lease is renewed every lease interval (spread
// evenly over the interval, so 5,000 nodes renew at a steady rate rather than in bursts), and
// node status (lastHeartbeatTime) is refreshed every status interval, as kubelet v1.26 does
// with its nodeStatusReportFrequency. See ../shared/fixtures/k8s-1.26/objects/node-fake.json.
//
// Address plan: node i has InternalIP 172.16.0.0 + i + 1 and podCIDR
// 10.(128 + i / 256).(i % 256).0/24 (hence at most 32,768 nodes).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kube/core/result.h"
#include "sim/cluster/local_client.h"

namespace berth::sim {

struct NodePoolOptions {
  int count = 3;
  std::string name_prefix = "sim-node-";  // nodes are <prefix>0 .. <prefix>N-1
  // Capacity = allocatable, as Kubernetes quantities.
  std::string cpu = "4";
  std::string memory = "8Gi";
  int pods = 110;
  std::string region = "region-1";
  // topology.kubernetes.io/zone values, assigned round-robin.
  std::vector<std::string> zones{"zone-a", "zone-b", "zone-c"};
  // topology.berth.dev/rack = "<zone>-rack-<r>": nodes of a zone round-robin over its racks.
  int racks_per_zone = 1;
  // Extra labels on every node.
  std::map<std::string, std::string> labels{};
  std::chrono::milliseconds lease_interval{std::chrono::seconds(10)};
  std::chrono::milliseconds status_interval{std::chrono::minutes(5)};
};

// Validates counts, quantities and label values; kInvalid with a message naming the option.
kube::Status validate(const NodePoolOptions& options);

struct SimNode {
  std::string name;
  std::string zone;
  std::string rack;
  std::string internal_ip;
  std::string pod_cidr;           // "10.128.3.0/24"
  std::uint32_t pod_network = 0;  // the /24 as a host-order address (x.y.z.0)
};

class NodePool {
 public:
  NodePool(LocalClient client, NodePoolOptions options);
  ~NodePool();
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  // Registers every node and its Lease (taking over existing ones of the same name), then
  // starts the heartbeat thread.
  kube::Status start();
  // Stops heartbeats. Idempotent.
  void stop();

  const std::vector<SimNode>& nodes() const { return nodes_; }
  // Null when `name` is not one of the pool's nodes.
  const SimNode* find(std::string_view name) const;
  const NodePoolOptions& options() const { return options_; }

  // Marks a node Ready or NotReady (kubelet stopped posting: Ready=Unknown would follow from
  // the node lifecycle controller; the sim sets Ready=False, reason KubeletNotReady) and
  // stops or resumes its Lease renewal. Game days and scheduler tests use it.
  kube::Status set_ready(std::string_view name, bool ready);

  // Lease renewals done so far (tests wait on heartbeats).
  std::uint64_t renewals() const { return renewals_.load(); }

 private:
  kube::json::Document node_body(const SimNode& node) const;
  kube::Status register_node(const SimNode& node);
  void renew_lease(const SimNode& node);
  void refresh_status(const SimNode& node);
  void run();

  LocalClient client_;
  NodePoolOptions options_;
  std::vector<SimNode> nodes_;
  std::unordered_map<std::string, std::size_t> by_name_;
  ResourcePtr nodes_resource_;
  ResourcePtr leases_resource_;
  std::string boot_id_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<bool> not_ready_;  // guarded by mu_
  std::atomic<std::uint64_t> renewals_{0};
  std::thread thread_;
};

}  // namespace berth::sim
