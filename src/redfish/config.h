// The Redfish collector's web configuration file (--collector.redfish.web-config) and
// the BMC URL built from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/filesystem.h"
#include "core/result.h"

namespace ceems::redfish {

// The `redfish_web_config` mapping. Absent keys keep these defaults, except `protocol`,
// which is required. Unlike the reference, which ignores unknown keys and then fails
// with an unrelated URL error (or silently uses a default), an unknown key at any level
// is an error naming the file, line and key. The one exception is `host`: the
// reference's own test fixture misspells `hostname` that way and relies on it being
// ignored, so it is ignored with a warning.
struct RedfishWebConfig {
  std::string protocol;
  std::string hostname;  // may contain the `{hostname}` placeholder; empty: IPMI discovery
  int64_t port = 0;
  std::string external_url;  // the redfish_proxy, when set
  std::string username;
  std::string password;  // never to be logged or put into an error
  bool insecure_skip_verify = false;
  bool use_session_token = false;
  // `timeout` (a duration such as 5s, 1ms to 1h): the bound of each Redfish request;
  // unset: the collector's default (redfish::kRequestTimeout).
  std::optional<std::chrono::milliseconds> timeout;

  std::string source;                 // the file, for errors found after parsing
  std::vector<std::string> warnings;  // accepted but suspicious, for the log
};

// Parses the YAML text of a config file; source names the file in errors. Errors name
// the line, the offending key and, except for credential keys, the offending value. An
// empty file, a file without the redfish_web_config section and unknown keys are
// errors.
Result<RedfishWebConfig> parse_redfish_web_config(std::string_view yaml, std::string_view source);

// Makes flag_value absolute (an empty value is the working directory, which then
// fails to read as a file) and parses the file it names.
Result<RedfishWebConfig> load_redfish_web_config(const Filesystem& fs, const std::string& flag_value);

// Every occurrence of `{hostname}` in pattern replaced by node_hostname.
std::string expand_hostname(std::string_view pattern, std::string_view node_hostname);

// `<protocol>://<host>:<port>`: the value of the X-Redfish-Url header and, without an
// external_url, the base of every request. An IPv6 literal host gets brackets (the
// reference leaves them out and then cannot connect at all). Fails like the
// reference's URL parsing: empty or malformed scheme, a host with characters no URL
// authority may hold, a port outside 0..65535.
Result<std::string> build_bmc_url(std::string_view protocol, std::string_view host, int64_t port);

// The URL requests are actually sent to: an empty host (`http://:5000`) is dialled as
// localhost, as the reference's HTTP stack does. Everything else is returned unchanged.
std::string dialable_url(std::string_view url);

// The URL with any user:password@ part replaced by "<redacted>@", for logs and errors.
std::string redact_url(std::string_view url);

}  // namespace ceems::redfish
