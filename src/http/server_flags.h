// The serving limits as flags, the same on both programs (docs/http-server.md).
#pragma once

#include "core/flags.h"
#include "core/result.h"
#include "http/server.h"

namespace ceems::http {

void register_server_limit_flags(FlagSet& flags);
// Fills the limits into options; an error names the flag and the value.
Status apply_server_limit_flags(const FlagSet& flags, ServerOptions& options);

// Each --web.listen-address must parse (unless systemd passes the sockets); the error
// names the flag and the value.
Status check_listen_addresses(const ServerOptions& options);

}  // namespace ceems::http
