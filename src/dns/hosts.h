// hosts(5): the static table consulted before (or instead of) DNS, as nsswitch.conf orders it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dns/ip_address.h"

namespace ceems::dns {

struct HostsFile {
  // Lower-case name without a trailing dot -> its addresses in file order (a
  // name on several lines collects all of them, no duplicates).
  std::map<std::string, std::vector<IpAddress>, std::less<>> by_name;
  // IpAddress::to_string() without the zone -> the names on its lines as written (canonical name
  // first, then aliases; no duplicates), for reverse lookups.
  std::map<std::string, std::vector<std::string>, std::less<>> by_address;

  // name is matched without case; a trailing dot is ignored ("Host." is "host").
  std::vector<IpAddress> lookup(std::string_view name) const;
  std::vector<std::string> lookup_address(const IpAddress& address) const;
};

// Never fails: comments ('#' to the end of a line), blank lines, lines with an
// address that does not parse or without any name are skipped, as the C
// library and Go do.
HostsFile parse_hosts(std::string_view text);

}  // namespace ceems::dns
