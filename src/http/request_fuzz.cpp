// What a client controls on the server side: the raw request bytes through the
// parser with the server's limits, then everything the server itself derives from
// them (path, content coding, credentials, the TLS port's plain-HTTP check, routing).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "core/fuzz_harness.h"
#include "http/basic_auth.h"
#include "http/router.h"
#include "http/wire.h"

namespace {

namespace bh = boost::beast::http;

const ceems::http::Router& router() {
  static const auto* r = [] {
    auto* out = new ceems::http::Router();
    out->set_landing_page(ceems::http::LandingPage{"t", "d", "v", {{"Metrics", "/metrics"}}});
    out->route(
        "/metrics", [](const ceems::http::Request&) { return ceems::http::Response{}; }, true);
    out->route_prefix(
        "/redfish", [](const ceems::http::Request&) { return ceems::http::Response{}; }, false);
    return out;
  }();
  return *r;
}

void fuzz(std::string_view in) {
  (void)ceems::http::looks_like_plain_http(in.substr(0, 5));
  bh::request_parser<bh::string_body> parser;
  parser.header_limit(8192);
  parser.body_limit(65536);
  parser.eager(true);
  boost::beast::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(in.data(), in.size()), ec);
  if (used > in.size()) __builtin_trap();
  if (!parser.is_header_done()) return;
  const auto& req = parser.get();
  auto path = ceems::http::request_path(std::string_view(req.target().data(), req.target().size()));
  if (path.ok()) {
    (void)router().find(*path);
  } else if (path.error().message().empty()) {
    __builtin_trap();  // a 400 always says why
  }
  const auto ae = req[bh::field::accept_encoding];
  (void)ceems::http::accepts_gzip(std::string_view(ae.data(), ae.size()));
  const auto auth = req[bh::field::authorization];
  (void)ceems::http::parse_basic_authorization(std::string_view(auth.data(), auth.size()));
  (void)ceems::http::unmap_ipv4(std::string_view(auth.data(), auth.size()));
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
