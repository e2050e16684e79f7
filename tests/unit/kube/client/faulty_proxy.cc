#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tests/unit/kube/client/fake_apiserver.h"

namespace berth::testing {
namespace {

int connect_local(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// An RST instead of a FIN: the peer sees "connection reset", as after a crash.
void reset(int fd) {
  linger lin{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
  ::shutdown(fd, SHUT_RDWR);
}

}  // namespace

FaultyProxy::FaultyProxy(std::uint16_t target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ADD_FAILURE() << "proxy listen: " << std::strerror(errno);
    return;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultyProxy::~FaultyProxy() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  cut_all();
  for (std::thread& t : threads_)
    t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void FaultyProxy::accept_loop() {
  while (true) {
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR) continue;
      return;
    }
    int server = connect_local(target_port_);
    std::lock_guard lock(mu_);
    if (stopping_ || server < 0) {
      ::close(client);
      if (server >= 0) ::close(server);
      if (stopping_) return;
      continue;
    }
    ++accepted_;
    open_fds_.push_back(client);
    open_fds_.push_back(server);
    threads_.emplace_back([this, client, server] { pump(client, server); });
  }
}

void FaultyProxy::pump(int client_fd, int server_fd) {
  pollfd fds[2] = {{client_fd, POLLIN, 0}, {server_fd, POLLIN, 0}};
  char buf[64 * 1024];
  bool open = true;
  while (open) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2 && open; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        open = false;
        break;
      }
      int out = fds[1 - i].fd;
      for (ssize_t sent = 0; sent < n;) {
        ssize_t w = ::send(out, buf + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
        if (w <= 0) {
          open = false;
          break;
        }
        sent += w;
      }
    }
  }
  std::lock_guard lock(mu_);
  // Whoever ends first resets both sides, so neither lingers half-open.
  for (int fd : {client_fd, server_fd}) {
    auto it = std::find(open_fds_.begin(), open_fds_.end(), fd);
    if (it != open_fds_.end()) {
      reset(fd);
      open_fds_.erase(it);
    }
    ::close(fd);
  }
}

void FaultyProxy::cut_all() {
  std::lock_guard lock(mu_);
  for (int fd : open_fds_)
    reset(fd);
  open_fds_.clear();
}

std::size_t FaultyProxy::connections_accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

}  // namespace berth::testing
