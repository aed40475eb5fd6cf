// The HTTP(S) server of both programs: one server object, one listener per
// --web.listen-address, TLS and basic auth from an exporter-toolkit web config,
// exact-path routes plus prefix routes (the Redfish proxy's catch-all), a
// concurrency limit per limited route. Connections are served by one event thread
// (no client can hold a thread by being slow); handlers run on threads of their own.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/result.h"

namespace ceems::http {

// Header names compare case-insensitively (HTTP semantics). Inline so that the server
// does not depend on the outbound client library, which has its own HeaderMap.
struct HeaderNameLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
    });
  }
};
// Values of one name keep their arrival order.
using Headers = std::multimap<std::string, std::string, HeaderNameLess>;

struct Request {
  std::string method;
  std::string path;  // percent-decoded, without the query
  std::string remote_addr;
  std::string accept;           // Accept header
  std::string accept_encoding;  // Accept-Encoding header
  std::string host;             // Host header
  // The whole request, for handlers that relay it (the Redfish proxy).
  std::string target;     // request-target exactly as received: raw path and "?query"
  std::string remote_ip;  // peer IP, IPv6 without brackets
  int remote_port = 0;
  Headers headers;  // every request header
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";  // empty: none set here
  std::string body;
  Headers headers;  // sent in addition to content_type
  // A relayed response goes out as it is: no compression by the server, no byte-range
  // slicing, and an empty error body is not replaced by the server's own text.
  bool raw = false;
};

using Handler = std::function<Response(const Request&)>;

struct LandingPage {
  std::string title;                                       // "ceems_exporter"
  std::string description;                                 // one sentence
  std::string version;                                     // "(version=..., branch=..., revision=...)"
  std::vector<std::pair<std::string, std::string>> links;  // text, path
};

struct ServerOptions {
  std::vector<std::string> listen_addresses{":9010"};  // host:port, :port, [v6]:port
  std::string web_config_file;                         // empty: plain HTTP, no auth
  bool systemd_socket = false;                         // use LISTEN_FDS sockets instead
  int max_requests = 40;                               // per limited route; 0 = unlimited
  std::chrono::seconds read_timeout{10};               // a request body, from the end of its headers
  std::chrono::seconds write_timeout{10};              // a response, from its first byte
  // A request's headers must be complete this long after its first byte (after accept,
  // or after the TLS handshake, for a connection's first request).
  std::chrono::milliseconds read_header_timeout{2000};
  std::chrono::milliseconds idle_timeout{10000};          // keep-alive wait for the next request
  std::chrono::milliseconds tls_handshake_timeout{5000};  // from accept
  size_t max_header_bytes = 1 << 20;                      // request line + headers; beyond: 431
  size_t max_body_bytes = 1 << 20;                        // beyond: 413
  size_t max_connections = 4096;                          // further ones are closed at once
  size_t worker_threads = 64;                             // most handlers running at once
  std::optional<LandingPage> landing_page;                // served at "/" when set
  // Told of every 500/503 the server itself answers on a route (for promhttp_* counters).
  std::function<void(const std::string& path, int status)> on_error_status;
};

class Server {
 public:
  // Loads and validates the web config (a config error names the key and the file)
  // and resolves listen addresses. Does not bind or start threads.
  static Result<std::unique_ptr<Server>> create(ServerOptions options, log::Logger logger);
  virtual ~Server() = default;

  // Registers an exact-path route. limited: subject to max_requests (503 beyond it,
  // body "Limit of concurrent requests reached (<N>), try again later.\n").
  virtual void route(const std::string& path, Handler handler, bool limited) = 0;
  // Registers a handler for every path that starts with prefix ("/" catches all) and
  // has neither an exact route nor the landing page; the longest matching prefix wins.
  virtual void route_prefix(const std::string& prefix, Handler handler, bool limited) = 0;

  // Binds every listener (an error names the address) and serves in background threads.
  virtual Status start() = 0;
  // Graceful stop: stops accepting, waits for in-flight requests up to the deadline.
  virtual void stop(std::chrono::milliseconds deadline) = 0;
  // Ports actually bound (useful with port 0 in tests), in listen-address order.
  virtual std::vector<int> bound_ports() const = 0;
};

}  // namespace ceems::http
