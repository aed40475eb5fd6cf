// A BMC or an emissions API answers with headers the client files line by line.
#include "core/fuzz_harness.h"
#include "core/strings.h"
#include "http/client.h"

namespace {

void fuzz(std::string_view in) {
  ceems::http::HeaderMap headers;
  for (std::string_view line : ceems::split(in, '\n')) ceems::http::add_response_header_line(headers, line);
  ceems::http::ClientResponse r;
  r.headers = std::move(headers);
  (void)r.header("Content-Type");
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
