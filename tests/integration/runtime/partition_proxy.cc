#include "tests/integration/runtime/partition_proxy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace berth::testing {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Abortive close: the peer reads ECONNRESET, not a clean end of stream.
void abort_socket(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  shutdown(fd, SHUT_RDWR);
}

bool forward(int from, int to) {
  std::array<char, 32 * 1024> buf;
  ssize_t n = read(from, buf.data(), buf.size());
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = send(to, buf.data() + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

}  // namespace

PartitionProxy::PartitionProxy(std::uint16_t target_port) : target_port_(target_port) {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener_, 128) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "partition proxy: cannot listen";
    return;
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

PartitionProxy::~PartitionProxy() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (int fd : live_)
      abort_socket(fd);
  }
  if (listener_ >= 0) shutdown(listener_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  for (std::thread& t : relays_)
    t.join();
  if (listener_ >= 0) close(listener_);
}

void PartitionProxy::partition() {
  std::lock_guard lock(mu_);
  partitioned_ = true;
  for (int fd : live_)
    abort_socket(fd);
}

void PartitionProxy::heal() {
  std::lock_guard lock(mu_);
  partitioned_ = false;
}

std::size_t PartitionProxy::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

void PartitionProxy::accept_loop() {
  while (true) {
    int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    std::lock_guard lock(mu_);
    if (closing_) {
      close(client);
      return;
    }
    if (partitioned_) {
      ++refused_;
      abort_socket(client);
      close(client);
      continue;
    }
    int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in target = loopback(target_port_);
    if (server < 0 || connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
      if (server >= 0) close(server);
      close(client);
      continue;
    }
    live_.push_back(client);
    live_.push_back(server);
    relays_.emplace_back([this, client, server] { relay(client, server); });
  }
}

void PartitionProxy::relay(int a, int b) {
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  bool open = true;
  while (open) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0 && !forward(a, b)) open = false;
    if (open && fds[1].revents != 0 && !forward(b, a)) open = false;
  }
  std::lock_guard lock(mu_);
  close_pair_locked(a, b);
}

void PartitionProxy::close_pair_locked(int a, int b) {
  for (int fd : {a, b}) {
    auto it = std::find(live_.begin(), live_.end(), fd);
    if (it != live_.end()) {
      abort_socket(fd);
      live_.erase(it);
    }
    close(fd);
  }
}

}  // namespace berth::testing
