// The web config parser and the URL helpers on arbitrary text.
#include <chrono>
#include <string_view>

#include "core/fuzz_harness.h"
#include "redfish/config.h"

namespace {

void fuzz_redfish_config(std::string_view data) {
  auto cfg = ceems::redfish::parse_redfish_web_config(data, "fuzz.yml");
  if (!cfg.ok()) {
    // Every rejection names the file, or the operator cannot tell which one to fix.
    if (cfg.error().message().find("fuzz.yml") == std::string::npos) __builtin_trap();
    return;
  }
  // What the parser promises about an accepted file.
  if (cfg->protocol.empty() || cfg->port < 0 || cfg->port > 65535 || cfg->source != "fuzz.yml")
    __builtin_trap();
  if (cfg->timeout && (cfg->timeout->count() <= 0 || *cfg->timeout > std::chrono::hours(1))) __builtin_trap();
  const std::string host = ceems::redfish::expand_hostname(cfg->hostname, "node");
  auto url = ceems::redfish::build_bmc_url(cfg->protocol, host, cfg->port);
  if (url.ok()) (void)ceems::redfish::dialable_url(*url);
  (void)ceems::redfish::redact_url(cfg->external_url);
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz_redfish_config)
