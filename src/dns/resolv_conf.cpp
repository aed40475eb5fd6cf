#include "dns/resolv_conf.h"

#include <algorithm>

#include "core/go/text.h"
#include "core/strings.h"
#include "dns/names.h"

namespace ceems::dns {
namespace {

std::vector<std::string> search_from_hostname(std::string_view hostname) {
  const size_t dot = hostname.find('.');
  if (dot == std::string_view::npos) return {};
  const std::string_view domain = strip_trailing_dot(hostname.substr(dot + 1));
  if (domain.empty()) return {};
  return {rooted(domain)};
}

// The number after "name:" of an option, clamped to [lo, hi]; nullopt when it is not a number.
std::optional<int> option_value(std::string_view option, std::string_view name, int lo, int hi) {
  if (!option.starts_with(name)) return std::nullopt;
  auto text = option.substr(name.size());
  // A huge or negative value is clamped, not ignored (the C library reads it with atoi).
  bool negative = false;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_ascii_digit)) return std::nullopt;
  if (negative) return lo;
  auto value = parse_u64(text.size() > 9 ? std::string_view("999999999") : text);
  if (!value) return std::nullopt;
  return std::clamp(static_cast<int>(*value), lo, hi);
}

}  // namespace

ResolvConf default_resolv_conf(std::string_view local_hostname) {
  ResolvConf conf;
  conf.servers = {NameServer{*IpAddress::parse("127.0.0.1")}, NameServer{*IpAddress::parse("::1")}};
  conf.search = search_from_hostname(local_hostname);
  return conf;
}

ResolvConf parse_resolv_conf(std::string_view text, std::string_view local_hostname) {
  ResolvConf conf;
  bool search_seen = false;
  go::for_each_line(text, [&](std::string_view line) {
    if (!line.empty() && (line[0] == '#' || line[0] == ';')) return;
    const auto f = fields(line);
    if (f.empty()) return;
    if (f[0] == "nameserver") {
      if (f.size() < 2 || conf.servers.size() >= ResolvConf::kMaxNameServers) return;
      if (auto address = IpAddress::parse(f[1])) conf.servers.push_back(NameServer{*address});
    } else if (f[0] == "domain") {
      search_seen = true;
      conf.search.clear();
      if (f.size() >= 2 && !strip_trailing_dot(f[1]).empty()) conf.search.push_back(rooted(f[1]));
    } else if (f[0] == "search") {
      search_seen = true;
      conf.search.clear();
      for (size_t i = 1; i < f.size(); ++i) {
        // "." in a search list would try the bare name twice.
        if (strip_trailing_dot(f[i]).empty()) continue;
        conf.search.push_back(rooted(f[i]));
      }
    } else if (f[0] == "options") {
      for (size_t i = 1; i < f.size(); ++i) {
        const std::string_view opt = f[i];
        if (auto n = option_value(opt, "ndots:", 0, ResolvConf::kMaxNdots)) {
          conf.ndots = *n;
        } else if (auto t =
                       option_value(opt, "timeout:", 1, static_cast<int>(ResolvConf::kMaxTimeout.count()))) {
          conf.timeout = std::chrono::seconds(*t);
        } else if (auto a = option_value(opt, "attempts:", 1, ResolvConf::kMaxAttempts)) {
          conf.attempts = *a;
        } else if (opt == "rotate") {
          conf.rotate = true;
        } else if (opt == "use-vc" || opt == "usevc" || opt == "tcp") {
          conf.use_tcp = true;
        }
      }
    }
  });
  if (conf.servers.empty()) conf.servers = default_resolv_conf().servers;
  if (!search_seen) conf.search = search_from_hostname(local_hostname);
  return conf;
}

}  // namespace ceems::dns
