// Host name resolution without the C library's name service switch.
//
// A static glibc binary must not call getaddrinfo/getnameinfo: they load the
// host's NSS modules, built for whatever glibc the host has. Like Go's own
// resolver (the original exporter is a static Go binary), this one reads
// /etc/nsswitch.conf, /etc/hosts and /etc/resolv.conf itself and asks the name
// servers over UDP/TCP.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/filesystem.h"
#include "core/result.h"
#include "dns/ip_address.h"
#include "dns/transport.h"

namespace ceems::dns {

class Resolver {
 public:
  virtual ~Resolver() = default;

  // The addresses of host, IPv4 first (A, then AAAA records; in file order from
  // /etc/hosts), for the caller to try in order:
  // - an IP literal (IPv6 with an optional "%zone", no brackets) is returned
  //   as it is, without any I/O;
  // - "localhost" and names under ".localhost" are 127.0.0.1 and ::1 unless
  //   /etc/hosts says otherwise, and never go to DNS (RFC 6761);
  // - otherwise the sources of nsswitch.conf in order: /etc/hosts, then DNS
  //   (search list and ndots of resolv.conf; a trailing dot means the name is
  //   absolute). No I/O runs past deadline.
  // Errors name the host and the cause, like Go's: kNotFound "lookup bmc-1: no
  // such host"; kTimeout "lookup bmc-1 on 10.0.0.2:53: i/o timeout"; kIo
  // "lookup bmc-1 on 10.0.0.2:53: server misbehaving"; kInvalid for a name that
  // cannot be asked.
  virtual Result<std::vector<IpAddress>> lookup_host(
      std::string_view host, std::chrono::steady_clock::time_point deadline) const = 0;

  // The names of an IP address: /etc/hosts, then a PTR query, as nsswitch.conf
  // orders them. Names are absolute ("bmc-1.example.com."); PTR targets that are
  // not valid host names are dropped. kInvalid when ip is not an IP address.
  virtual Result<std::vector<std::string>> lookup_addr(
      std::string_view ip, std::chrono::steady_clock::time_point deadline) const = 0;
};

struct ResolverOptions {
  std::string hosts_path = "/etc/hosts";
  std::string resolv_conf_path = "/etc/resolv.conf";
  std::string nsswitch_path = "/etc/nsswitch.conf";
  // The files are read again when this long has passed since they were last
  // read, and parsed again when their content changed (Go checks every 5 s too).
  std::chrono::steady_clock::duration recheck_interval = std::chrono::seconds(5);
  // Gives the search list when resolv.conf has no "search" or "domain" line (its
  // domain part); empty: gethostname(2).
  std::string local_hostname;
  // steady_clock::now when empty; tests set it to move time themselves.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// A resolver over fs and transport, which must outlive it. Thread-safe.
std::unique_ptr<Resolver> make_resolver(const Filesystem& fs, DnsTransport& transport,
                                        ResolverOptions options = {});

// The process-wide resolver over the real files and the network.
std::shared_ptr<const Resolver> make_system_resolver();

}  // namespace ceems::dns
