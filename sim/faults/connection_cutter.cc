#include "sim/faults/connection_cutter.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace berth::sim {

namespace {

// Port and printable address of a sockaddr, formatted like kube::http's remote_address.
std::optional<std::pair<std::uint16_t, std::string>> endpoint(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) == nullptr) return std::nullopt;
    std::uint16_t port = ntohs(in->sin_port);
    return std::make_pair(port, std::string(text) + ":" + std::to_string(port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)) == nullptr) return std::nullopt;
    std::uint16_t port = ntohs(in6->sin6_port);
    return std::make_pair(port, "[" + std::string(text) + "]:" + std::to_string(port));
  }
  return std::nullopt;
}

}  // namespace

std::size_t cut_connections(const std::vector<std::uint16_t>& ports,
                            const std::function<bool(std::string_view peer)>& select) {
  if (ports.empty()) return 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  std::vector<int> fds;
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd < 0 || fd == ::dirfd(dir)) continue;
    fds.push_back(static_cast<int>(fd));
  }
  ::closedir(dir);

  std::size_t cut = 0;
  for (int fd : fds) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    auto local_ep = endpoint(local);
    if (!local_ep || std::find(ports.begin(), ports.end(), local_ep->first) == ports.end()) {
      continue;
    }
    sockaddr_storage peer{};
    len = sizeof(peer);
    // Listening sockets have no peer; only accepted connections get past this.
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) continue;
    auto peer_ep = endpoint(peer);
    if (!peer_ep || !select(peer_ep->second)) continue;
    if (::shutdown(fd, SHUT_RDWR) == 0) ++cut;
  }
  return cut;
}

}  // namespace berth::sim
