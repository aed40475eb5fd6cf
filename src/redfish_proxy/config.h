// The redfish_proxy configuration file (--config.file): TLS verification of the BMCs
// and the optional static map of compute-node IPs to BMC URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ceems::redfish_proxy {

struct TargetConfig {
  std::vector<std::string> host_ip_addrs;  // compute-node IPs, compared as exact strings
  std::string url;                         // BMC base URL
};

struct ProxyConfig {
  bool insecure_skip_verify = false;  // redfish_config.web.insecure_skip_verify
  std::vector<TargetConfig> targets;  // redfish_config.targets
  // redfish_config.web.trusted_proxies: peers whose X-Real-IP header is believed
  // (addresses or networks). Unset: loopback only.
  std::optional<std::vector<std::string>> trusted_proxies;
  // redfish_config.web.allowed_hosts: BMC hosts (addresses, networks, names) that an
  // X-Redfish-Url header may name. Empty: any (with targets: only theirs).
  std::vector<std::string> allowed_hosts;
};

// Parses the YAML text; source names the file in errors ("<source>: <key>: <problem>
// (line N)"). Wrong types, malformed YAML, target URLs that are not http(s) URLs with a
// host, an empty file, a missing redfish_config section and (unlike the reference,
// which ignores them) unknown keys at any level are errors.
Result<ProxyConfig> parse_proxy_config(std::string_view yaml, const std::string& source);

// Reads and parses the file (at most 4 MiB).
Result<ProxyConfig> load_proxy_config(const std::string& path);

}  // namespace ceems::redfish_proxy
