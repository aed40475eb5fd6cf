// The proxy's config file is operator-supplied YAML read at start-up: anything
// malformed must come back as an error naming the file, never a crash or a hang.
#include "core/fuzz_harness.h"
#include "redfish_proxy/config.h"
#include "redfish_proxy/resolver.h"

namespace {

void fuzz(std::string_view in) {
  auto cfg = ceems::redfish_proxy::parse_proxy_config(in, "fuzz.yml");
  if (!cfg.ok()) {
    if (cfg.error().message().rfind("fuzz.yml: ", 0) != 0) __builtin_trap();
    return;
  }
  // Whatever the parser accepts, the proxy must be able to build its target table from.
  if (!ceems::redfish_proxy::TargetTable::create(*cfg).ok()) __builtin_trap();
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
