#include "dns/hosts.h"

#include <algorithm>

#include "core/go/text.h"
#include "core/strings.h"
#include "dns/names.h"

namespace ceems::dns {

std::vector<IpAddress> HostsFile::lookup(std::string_view name) const {
  auto it = by_name.find(lower_ascii(strip_trailing_dot(name)));
  return it == by_name.end() ? std::vector<IpAddress>{} : it->second;
}

std::vector<std::string> HostsFile::lookup_address(const IpAddress& address) const {
  auto it = by_address.find(address.without_zone().to_string());
  return it == by_address.end() ? std::vector<std::string>{} : it->second;
}

HostsFile parse_hosts(std::string_view text) {
  HostsFile out;
  go::for_each_line(text, [&](std::string_view line) {
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const auto f = fields(line);
    if (f.size() < 2) return;
    auto address = IpAddress::parse(f[0]);
    if (!address) return;
    const std::string key = address->without_zone().to_string();
    auto& names = out.by_address[key];
    for (size_t i = 1; i < f.size(); ++i) {
      const std::string_view name = strip_trailing_dot(f[i]);
      // "." or "host.." name nothing a lookup could ask for.
      if (name.empty() || name.back() == '.') continue;
      auto& addresses = out.by_name[lower_ascii(name)];
      if (std::find(addresses.begin(), addresses.end(), *address) == addresses.end()) {
        addresses.push_back(*address);
      }
      if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
    }
    if (names.empty()) out.by_address.erase(key);
  });
  return out;
}

}  // namespace ceems::dns
