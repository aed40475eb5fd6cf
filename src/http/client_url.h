// The absolute http(s) URLs the outbound client is given, and the Location
// references a redirect answers with. Pure functions: a BMC or an API names these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ceems::http {

struct ClientUrl {
  std::string scheme;    // "http" or "https", lower case
  std::string userinfo;  // "user:password" before the '@', still percent-encoded
  std::string host;      // without the brackets of an IPv6 literal; never empty
  uint16_t port = 0;     // the scheme's default when the URL names none
  bool explicit_port = false;
  std::string target;  // path and query as sent on the request line; "/" at least

  bool tls() const { return scheme == "https"; }
  bool ipv6_literal() const { return host.find(':') != std::string::npos; }
  // The Host header: brackets around an IPv6 literal, the port only when named.
  std::string authority() const;
  // host:port for messages (never the user information).
  std::string endpoint() const;
  // The URL again, without user information and fragment.
  std::string redacted() const;
};

// Accepts only http and https (any letter case); a fragment is dropped. Errors name
// the value, without its user information.
Result<ClientUrl> parse_client_url(std::string_view url);

// The URL a Location header points to, resolved against the URL that answered
// (RFC 3986 section 5.2: absolute, scheme-relative, absolute-path, query-only and
// relative references, dot segments removed).
Result<ClientUrl> resolve_location(const ClientUrl& base, std::string_view location);

}  // namespace ceems::http
