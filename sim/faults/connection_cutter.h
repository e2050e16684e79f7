// Cutting TCP connections of this process's own listeners mid-stream, the way a crashing
// apiserver or a broken network path does: the client sees its connection end without the
// terminal chunk of a watch or without any response at all.
//
// kube::http streams can only be finished cleanly, so this works below them: it finds the
// server-side sockets of a listening port among the process's descriptors (/proc/self/fd) and
// shuts them down (shutdown(2), SHUT_RDWR). The io thread owning the socket then sees the
// connection fail and cleans up as for any peer that went away. A descriptor could be closed
// and reused between being matched and being shut down; that window is a few system calls
// long and at worst cuts another connection of the same listener, which fault injection
// tolerates.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::sim {

// Shuts down the accepted connections whose local port is in `ports` and whose peer address
// ("127.0.0.1:53422", "[::1]:53422", as kube::http::Request::remote_address) satisfies
// `select`. Returns how many were cut. Linux only; returns 0 where /proc is unavailable.
std::size_t cut_connections(const std::vector<std::uint16_t>& ports,
                            const std::function<bool(std::string_view peer)>& select);

}  // namespace berth::sim
