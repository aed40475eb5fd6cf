// Lists of addresses, networks and host names an operator writes in the proxy's
// config: the peers whose X-Real-IP is believed (trusted_proxies) and the BMC hosts
// that an X-Redfish-Url header may name (allowed_hosts).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ceems::redfish_proxy {

// One entry: "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1", or a DNS name.
struct NetworkEntry {
  bool is_name = false;
  std::string name;  // lower case, without a trailing dot
  int family = 0;    // 4 or 6
  std::array<uint8_t, 16> address{};
  int prefix = 0;  // significant bits
};

// Parses an entry; an error quotes it. Bits beyond the prefix must be zero
// ("10.1.0.0/8" is refused: it is almost always a typo).
Result<NetworkEntry> parse_network_entry(std::string_view text);

// A literal IPv4 or IPv6 address (brackets and an IPv4-mapped prefix are accepted).
bool parse_ip(std::string_view text, int& family, std::array<uint8_t, 16>& address);

class NetworkList {
 public:
  NetworkList() = default;
  explicit NetworkList(std::vector<NetworkEntry> entries) : entries_(std::move(entries)) {}
  // what names the config key in errors.
  static Result<NetworkList> parse(const std::vector<std::string>& entries, const std::string& what);
  // Loopback: 127.0.0.0/8 and ::1.
  static NetworkList loopback();

  bool empty() const { return entries_.empty(); }
  // A literal IP inside one of the networks.
  bool contains_ip(std::string_view ip) const;
  // A host as written in a URL (an IP literal, possibly bracketed, or a name; no
  // port): an IP is matched against the networks, a name against the names.
  bool contains_host(std::string_view host) const;

 private:
  std::vector<NetworkEntry> entries_;
};

// The host of "host[:port]" ("[v6]:port" keeps no brackets).
std::string_view host_of(std::string_view host_port);

}  // namespace ceems::redfish_proxy
