// Certificates and keys come from files an operator (or a certificate renewal tool)
// writes; inline PEM in the web config takes the same path. Input: certificate PEM,
// a line "--", then key PEM.
#include "core/fuzz_harness.h"
#include "http/tls.h"

namespace {

void fuzz(std::string_view in) {
  ceems::http::WebConfig cfg;
  cfg.source = "fuzz.yml";
  cfg.tls_enabled = true;
  const size_t sep = in.find("\n--\n");
  cfg.tls.cert = std::string(in.substr(0, sep));
  cfg.tls.key = sep == std::string_view::npos ? std::string() : std::string(in.substr(sep + 4));
  auto m = ceems::http::load_tls_material(cfg);
  if (m.ok()) {
    if (!(*m)->cert || !(*m)->key) __builtin_trap();
    (void)ceems::http::certificate_sans((*m)->cert.get());
  } else if (m.error().message().rfind("fuzz.yml: ", 0) != 0) {
    __builtin_trap();  // every error names the config
  }
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
