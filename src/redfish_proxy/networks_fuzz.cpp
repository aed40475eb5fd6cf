#include "core/fuzz_harness.h"
#include "redfish_proxy/networks.h"

namespace {
// First line: a list entry; the rest: addresses and hosts to look up in it.
void fuzz(std::string_view in) {
  const size_t nl = in.find('\n');
  auto entry = ceems::redfish_proxy::parse_network_entry(in.substr(0, nl));
  if (!entry.ok() || nl == std::string_view::npos) return;
  ceems::redfish_proxy::NetworkList list({*entry});
  const std::string_view rest = in.substr(nl + 1);
  (void)list.contains_ip(rest);
  (void)list.contains_host(ceems::redfish_proxy::host_of(rest));
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
