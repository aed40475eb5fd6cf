// An IP address without any name service behind it: the resolver's results, the
// name servers of resolv.conf, what the HTTP client connects to and the listener
// binds. Parsing accepts only what cannot be mistaken for a host name.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ceems::dns {

class IpAddress {
 public:
  enum class Family : uint8_t { kV4, kV6 };

  // 0.0.0.0
  IpAddress() = default;
  static IpAddress v4(const std::array<uint8_t, 4>& bytes);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes, std::string zone = {});

  // Dotted-quad IPv4 (four decimal parts, no leading zeros: "010.1.1.1" would be
  // octal to inet_aton and decimal to others) or RFC 4291 IPv6 text, with an
  // optional "%zone" (interface name or index) on IPv6 only. No brackets, no port.
  static std::optional<IpAddress> parse(std::string_view text);
  // The address of a sockaddr_in/sockaddr_in6 (a peer from accept, a local end);
  // nullopt for other families or a short length.
  static std::optional<IpAddress> from_sockaddr(const sockaddr* addr, socklen_t len);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  // 4 bytes for IPv4, 16 for IPv6, in network order.
  std::span<const uint8_t> bytes() const { return {bytes_.data(), is_v4() ? 4u : 16u}; }
  const std::string& zone() const { return zone_; }
  IpAddress without_zone() const {
    IpAddress a = *this;
    a.zone_.clear();
    return a;
  }

  // "192.0.2.1", "2001:db8::1" (RFC 5952: lower case, longest zero run shortened),
  // "::ffff:192.0.2.1", "fe80::1%eth0".
  std::string to_string() const;

  // Fills out with this address and port for connect/bind/sendto and returns the
  // length to pass with it. A zone that names no interface is an error.
  Result<socklen_t> to_sockaddr(uint16_t port, sockaddr_storage& out) const;

  bool operator==(const IpAddress&) const = default;

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};
  std::string zone_;
};

// "host:port", with brackets around an IPv6 address ("[::1]:53"), as Go's JoinHostPort.
std::string join_host_port(const IpAddress& address, uint16_t port);

}  // namespace ceems::dns
