// Listening sockets for the server: --web.listen-address parsing and binding, and
// systemd socket activation. The server binds sockets itself (rather than letting
// cpp-httplib do it) so that a bind error can name the address and errno, ":port" can
// be dual-stack, and systemd-passed sockets take the same path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ceems::http {

struct ListenAddress {
  std::string host;  // empty: every interface
  int port = 0;      // 0: any free port
  std::string text;  // as given, for messages
};

// Accepts "host:port", ":port" and "[v6]:port"; the port is numeric.
Result<ListenAddress> parse_listen_address(std::string_view s);

// A bound, listening, close-on-exec TCP socket. ":port" listens on IPv6 and IPv4 when
// the host has IPv6, else on 0.0.0.0. Errors read like Go's, e.g.
// "listen tcp 127.0.0.1:9010: bind: Address already in use".
Result<int> bind_listener(const ListenAddress& address);

// The listening sockets systemd passed (LISTEN_PID/LISTEN_FDS, fds from 3), which are
// consumed: the variables are unset so that children do not inherit them.
Result<std::vector<int>> systemd_listeners();

// The peer of a connected socket as Go reports it: IPv4 peers of a dual-stack socket
// without their "::ffff:" prefix, "@" for a Unix socket, empty when unknown.
struct PeerAddress {
  std::string ip;
  int port = 0;
};
PeerAddress peer_address(int fd);

// Address family of a socket (AF_INET when it cannot be read).
int socket_family(int fd);

// Local port of a socket (0 when it has none, e.g. a Unix socket).
int socket_port(int fd);
// Local address of a socket as "host:port" / "[v6]:port" / a Unix path, for logs.
std::string socket_address(int fd);

}  // namespace ceems::http
