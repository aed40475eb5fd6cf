// The "hosts:" line of nsswitch.conf(5): whether /etc/hosts or DNS answers first.
#pragma once

#include <string_view>
#include <vector>

namespace ceems::dns {

enum class HostSource { kFiles, kDns };

// The sources of the last "hosts:" line that we can serve, in its order.
//
// Only "files" and "dns" are served. A static binary cannot load the C
// library's other modules, so "myhostname", "mdns4_minimal", "resolve",
// "mymachines" and the like are skipped (Go's own resolver skips most of them
// too), as are action brackets such as "[NOTFOUND=return]". When the file or
// the line is missing, or names neither source (a host that only lists
// "resolve" still has a resolv.conf that systemd-resolved keeps pointing at its
// stub), the order is files then dns, the C library's default.
std::vector<HostSource> parse_nsswitch_hosts(std::string_view text);

}  // namespace ceems::dns
