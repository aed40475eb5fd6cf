#include "http/server_flags.h"

#include "core/duration.h"
#include "core/strings.h"
#include "http/listen.h"

namespace ceems::http {
namespace {

Result<std::chrono::milliseconds> duration_flag(const FlagSet& flags, const char* name) {
  const std::string text = flags.get_string(name);
  auto d = parse_duration(text);
  if (!d.ok()) return d.error().wrap(std::string("--") + name);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  if (ms.count() <= 0)
    return invalid(std::string("--") + name + ": must be at least 1ms, got \"" + text + "\"");
  return ms;
}

Result<size_t> positive_flag(const FlagSet& flags, const char* name, int64_t minimum) {
  const int64_t v = flags.get_int(name);
  if (v < minimum) {
    return invalid(std::string("--") + name + ": must be at least " + std::to_string(minimum) + ", got " +
                   std::to_string(v));
  }
  return static_cast<size_t>(v);
}

}  // namespace

void register_server_limit_flags(FlagSet& f) {
  f.add_string("web.read-header-timeout",
               "Time a client has to send a request's headers, from its first byte (or from accept).", "2s");
  f.add_string("web.idle-timeout", "Time a keep-alive connection may wait for its next request.", "10s");
  f.add_string("web.tls-handshake-timeout", "Time a client has to complete the TLS handshake, from accept.",
               "5s");
  f.add_int(
      "web.max-header-bytes",
      "Largest request line plus headers accepted; larger requests get 431 and the connection is closed.",
      1 << 20);
  f.add_int("web.max-connections",
            "Most client connections open at once; further ones are closed as soon as they are accepted.",
            4096);
}

Status apply_server_limit_flags(const FlagSet& flags, ServerOptions& options) {
  auto header = duration_flag(flags, "web.read-header-timeout");
  if (!header.ok()) return header.error();
  auto idle = duration_flag(flags, "web.idle-timeout");
  if (!idle.ok()) return idle.error();
  auto handshake = duration_flag(flags, "web.tls-handshake-timeout");
  if (!handshake.ok()) return handshake.error();
  auto header_bytes = positive_flag(flags, "web.max-header-bytes", 1024);
  if (!header_bytes.ok()) return header_bytes.error();
  auto connections = positive_flag(flags, "web.max-connections", 1);
  if (!connections.ok()) return connections.error();
  options.read_header_timeout = *header;
  options.idle_timeout = *idle;
  options.tls_handshake_timeout = *handshake;
  options.max_header_bytes = *header_bytes;
  options.max_connections = *connections;
  return Status::Ok();
}

Status check_listen_addresses(const ServerOptions& options) {
  if (options.systemd_socket) return Status::Ok();
  for (const auto& a : options.listen_addresses) {
    if (auto parsed = parse_listen_address(a); !parsed) {
      return parsed.error().wrap("--web.listen-address=" + quote_for_error(a));
    }
  }
  return Status::Ok();
}

}  // namespace ceems::http
