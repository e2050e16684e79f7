// PartitionProxy: a TCP relay to a local server that can partition its clients away - every
// open connection is reset and new ones are refused (reset on accept) until heal() - which is
// what a network partition between one controller replica and the apiserver looks like.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::testing {

class PartitionProxy {
 public:
  explicit PartitionProxy(std::uint16_t target_port);
  ~PartitionProxy();
  PartitionProxy(const PartitionProxy&) = delete;
  PartitionProxy& operator=(const PartitionProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void partition();
  void heal();
  std::size_t refused() const;

 private:
  void accept_loop();
  void relay(int a, int b);
  void close_pair_locked(int a, int b);

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  mutable std::mutex mu_;
  bool partitioned_ = false;
  bool closing_ = false;
  std::size_t refused_ = 0;
  std::vector<int> live_;  // sockets of relayed connections
  std::vector<std::thread> relays_;
  std::thread acceptor_;
};

}  // namespace berth::testing
