// URLs come from config files and X-Redfish-Url headers; Location values from any
// server a request reaches. The first line is the URL, the rest a Location.
#include "core/fuzz_harness.h"
#include "http/client_url.h"

namespace {

void fuzz(std::string_view in) {
  const size_t nl = in.find('\n');
  auto url = ceems::http::parse_client_url(in.substr(0, nl));
  if (!url) return;
  (void)url->redacted();
  if (nl == std::string_view::npos) return;
  auto next = ceems::http::resolve_location(*url, in.substr(nl + 1));
  if (next) (void)next->redacted();
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
