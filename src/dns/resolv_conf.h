// resolv.conf(5): where DNS questions go and how names are completed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/ip_address.h"

namespace ceems::dns {

struct NameServer {
  IpAddress address;
  uint16_t port = 53;

  // "10.0.0.2:53", "[fe80::1%eth0]:53": how errors name the server.
  std::string to_string() const { return join_host_port(address, port); }
  bool operator==(const NameServer&) const = default;
};

struct ResolvConf {
  // The C library reads at most three (MAXNS); so does Go, and so do we.
  static constexpr size_t kMaxNameServers = 3;
  static constexpr int kMaxNdots = 15;
  static constexpr std::chrono::seconds kMaxTimeout{30};
  static constexpr int kMaxAttempts = 5;

  // 127.0.0.1 and ::1 when the file names none (the C library and Go).
  std::vector<NameServer> servers;
  // Absolute domains (with the trailing dot) tried after or before a name, as ndots says.
  std::vector<std::string> search;
  int ndots = 1;
  std::chrono::seconds timeout{5};
  int attempts = 2;
  bool rotate = false;
  bool use_tcp = false;  // options use-vc / usevc / tcp
};

// The configuration of a missing file: servers as above, the search list from
// local_hostname's domain.
ResolvConf default_resolv_conf(std::string_view local_hostname = {});

// Never fails: lines it does not understand, servers that are not IP addresses
// and unknown options are skipped, numbers out of range are clamped (ndots 0..15,
// timeout 1..30 s, attempts 1..5). "search" and "domain" replace each other, the
// last one wins. Without either, the search list is the domain of
// local_hostname when it has one ("node1.cluster.example" -> "cluster.example."),
// as the C library does.
ResolvConf parse_resolv_conf(std::string_view text, std::string_view local_hostname = {});

}  // namespace ceems::dns
