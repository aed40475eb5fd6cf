// The parts of the proxy that see client-controlled text: the X-Redfish-Url value,
// the request-target and the request headers. Input layout: lines; the first is the
// header URL, the second the request-target, the rest "Name: value" headers.
#include "core/fuzz_harness.h"
#include "redfish_proxy/proxy.h"
#include "redfish_proxy/url.h"

namespace {

void fuzz(std::string_view in) {
  using namespace ceems::redfish_proxy;
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= in.size() && lines.size() < 64) {
    const size_t nl = in.find('\n', start);
    lines.push_back(in.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  const std::string url(lines.empty() ? std::string_view() : lines[0]);
  const std::string target(lines.size() > 1 ? lines[1] : std::string_view("/redfish/v1/"));

  (void)parse_url(url);
  const std::string redacted = redact_url(url);
  if (url.find('@') == std::string::npos && redacted != url) __builtin_trap();

  auto t = make_target(url);
  if (t.ok()) {
    // A target is always something the outbound client may be pointed at.
    if (t->scheme != "http" && t->scheme != "https") __builtin_trap();
    if (t->host.empty() || t->host.find('@') != std::string::npos) __builtin_trap();
    auto again = make_target(t->display());
    if (!again.ok() || again->host != t->host || again->path != t->path) __builtin_trap();
    const std::string joined = backend_url(*t, target);
    if (joined.rfind(t->scheme + "://" + t->host, 0) != 0) __builtin_trap();
  }

  (void)check_path("GET", target, target.substr(0, target.find('?')));

  ceems::http::Headers headers;
  for (size_t i = 2; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    headers.emplace(std::string(lines[i].substr(0, colon)), std::string(lines[i].substr(colon + 1)));
  }
  auto out = outgoing_headers(headers, "127.0.0.1");
  for (const auto& [name, value] : out) {
    if (is_hop_by_hop(name) && !(name == "Te" && value == "trailers")) __builtin_trap();
  }
  if (out.count("X-Redfish-Url") != 0 || out.count("X-Forwarded-For") != 1) __builtin_trap();
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
