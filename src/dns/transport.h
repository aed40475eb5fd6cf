// How a DNS message reaches a name server and its answer comes back: a pure
// interface, so that resolver tests script the network (testing/fake_transport.h).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"
#include "dns/resolv_conf.h"

namespace ceems::dns {

class DnsTransport {
 public:
  virtual ~DnsTransport() = default;

  // Sends query to server and returns the reply, over UDP or (tcp) over TCP
  // with RFC 1035's two-byte length prefix. Never waits past deadline: kTimeout
  // "i/o timeout" then. Replies whose id or question differ from query's are not
  // the answer and are ignored on UDP (until the deadline) and an error on TCP.
  // Safe to call from several threads at once.
  virtual Result<std::string> exchange(const NameServer& server, std::string_view query, bool tcp,
                                       std::chrono::steady_clock::time_point deadline) = 0;
};

// The network: a socket per exchange (UDP connected, so that only the server's
// datagrams arrive, and an ICMP "port unreachable" fails it at once), poll(2)
// for the deadline.
DnsTransport& socket_transport();

}  // namespace ceems::dns
