// Web config parsing takes operator-supplied YAML at start-up and on every change;
// it must reject anything malformed with an error, never crash or hang.
#include "core/fuzz_harness.h"
#include "http/basic_auth.h"
#include "http/listen.h"
#include "http/web_config.h"

namespace {

void fuzz(std::string_view in) {
  auto cfg = ceems::http::parse_web_config(in, "/etc/ceems", "fuzz.yml");
  if (cfg.ok()) {
    // Invariants the server relies on.
    for (const auto& [user, hash] : cfg->basic_auth_users) {
      if (!ceems::http::looks_like_bcrypt_hash(hash)) __builtin_trap();
    }
    if (cfg->tls_enabled && (!cfg->tls.has_cert() || !cfg->tls.has_key())) __builtin_trap();
  } else if (cfg.error().message().rfind("fuzz.yml: ", 0) != 0) {
    __builtin_trap();  // every error names the file
  }
  // The other parsers that see untrusted text: request headers and flag values.
  (void)ceems::http::parse_basic_authorization(in);
  (void)ceems::http::parse_listen_address(in);
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
