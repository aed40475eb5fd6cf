// The hosts, resolv.conf and nsswitch.conf parsers, the IP address parser and
// the name check on arbitrary text: never a crash, results within their bounds,
// and an address prints as text that parses back to it.
#include <cstdlib>

#include "core/fuzz_harness.h"
#include "dns/hosts.h"
#include "dns/ip_address.h"
#include "dns/names.h"
#include "dns/nsswitch.h"
#include "dns/resolv_conf.h"

namespace {
void fuzz(std::string_view in) {
  const auto hosts = ceems::dns::parse_hosts(in);
  for (const auto& [name, addresses] : hosts.by_name) {
    if (name.empty() || addresses.empty() || hosts.lookup(name) != addresses) std::abort();
  }
  for (const auto& [address, names] : hosts.by_address) {
    if (names.empty() || !ceems::dns::IpAddress::parse(address)) std::abort();
  }

  const auto conf = ceems::dns::parse_resolv_conf(in, "node.example");
  if (conf.servers.empty() || conf.servers.size() > ceems::dns::ResolvConf::kMaxNameServers) std::abort();
  if (conf.ndots < 0 || conf.ndots > 15 || conf.attempts < 1 || conf.attempts > 5) std::abort();
  if (conf.timeout.count() < 1 || conf.timeout.count() > 30) std::abort();
  for (const auto& domain : conf.search) {
    if (domain.size() < 2 || domain.back() != '.') std::abort();
  }

  const auto order = ceems::dns::parse_nsswitch_hosts(in);
  if (order.empty() || order.size() > 2) std::abort();

  if (auto address = ceems::dns::IpAddress::parse(in)) {
    auto again = ceems::dns::IpAddress::parse(address->to_string());
    if (!again || !(*again == *address)) std::abort();
  }
  (void)ceems::dns::check_domain_name(in);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
