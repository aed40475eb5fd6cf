// The reverse proxy: one handler for every request the front end receives. It relays
// Redfish API requests to the BMC chosen by resolve_target and refuses what would make
// it an open relay:
//   * only the Redfish API is relayed: paths "/redfish" and "/redfish/...", plus
//     GET/HEAD of "/" (the reference's end-to-end tests address the BMC root), never
//     with "." / ".." segments or encoded slashes; refused with 403;
//   * with targets configured, X-Redfish-Url may only name one of them; without any,
//     any http(s) URL (the documented header-only mode); otherwise 502 as the reference
//     answers when it finds no target;
//   * a 502 says why in its body (no target, bad header, TLS or connection failure),
//     where the reference sends none;
//   * every backend exchange is bounded (connect 5 s, whole exchange 10 s by default,
//     the reference's effective bound through its 10 s server write timeout).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/log.h"
#include "http/client.h"
#include "http/server.h"
#include "redfish_proxy/config.h"
#include "redfish_proxy/resolver.h"

namespace ceems::redfish_proxy {

struct PathCheck {
  bool allowed = false;
  std::string reason;  // why not
};

// method: request method; target: the raw request-target (path and query as received);
// decoded_path: the percent-decoded path the server routed on.
PathCheck check_path(std::string_view method, std::string_view target, std::string_view decoded_path);

// Hop-by-hop headers of RFC 9110 plus the legacy ones Go's reverse proxy drops.
bool is_hop_by_hop(std::string_view name);

// Headers of the backend request: hop-by-hop headers (and those the Connection header
// names) removed except "Te: trailers", X-Redfish-Url removed, X-Forwarded-For extended
// with peer_ip, Host kept. Content-Length and Expect are left to the client library,
// and blank Accept/Content-Type entries stop it from adding defaults the client did not send.
http::HeaderMap outgoing_headers(const http::Headers& in, const std::string& peer_ip);

// Headers of the backend response that are relayed: hop-by-hop ones removed, and
// Content-Length too unless keep_content_length (HEAD: the server cannot compute it).
http::Headers relayed_headers(const http::HeaderMap& in, bool keep_content_length);

// Backend URL: the target's base path and the request path joined by exactly one '/',
// the queries joined by '&'.
std::string backend_url(const Target& target, std::string_view request_target);

// The BMC as host:port (the scheme's default port when the URL has none).
std::string host_port(const Target& target);

// Why a backend exchange failed, as the body of the 502 answer: the reference sends an
// empty one, which leaves the exporter on the compute node with `HTTP 502: ""`. Names
// the BMC by host:port and keeps the transport's own words minus the request line
// (so no query string; a Target never holds credentials, and request headers such as
// Authorization are never part of a transport error). One printable line.
// method and url: the backend request that error came from.
std::string backend_failure_reason(const Target& target, std::string_view method, std::string_view url,
                                   const Error& error);

struct ProxyOptions {
  ProxyConfig config;
  std::chrono::milliseconds timeout{10000};         // whole backend exchange
  std::chrono::milliseconds connect_timeout{5000};  // TCP and TLS set-up
  size_t max_response_bytes = 16 << 20;             // larger backend answers become 502
  size_t cache_entries = 4096;
};

class Proxy {
 public:
  // Fails only on an invalid target URL in config (parse_proxy_config rejects those first).
  static Result<std::unique_ptr<Proxy>> create(ProxyOptions options, std::shared_ptr<http::HttpClient> client,
                                               log::Logger logger);

  // Thread-safe; never throws for a bad request.
  http::Response handle(const http::Request& request);

  const TargetTable& table() const { return table_; }
  const TargetCache& cache() const { return cache_; }

 private:
  Proxy(ProxyOptions options, TargetTable table, std::shared_ptr<http::HttpClient> client,
        log::Logger logger);

  ProxyOptions options_;
  TargetTable table_;
  TargetCache cache_;
  std::shared_ptr<http::HttpClient> client_;
  log::Logger logger_;
};

}  // namespace ceems::redfish_proxy
