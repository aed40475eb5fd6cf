#include "dns/resolver.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <mutex>
#include <optional>

#include "core/log.h"
#include "core/strings.h"
#include "dns/hosts.h"
#include "dns/message.h"
#include "dns/names.h"
#include "dns/nsswitch.h"
#include "dns/resolv_conf.h"

namespace ceems::dns {
namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  HostsFile hosts;
  ResolvConf conf;
  std::vector<HostSource> order;
};

std::string lookup_prefix(std::string_view host) { return "lookup " + std::string(host) + ": "; }
// What Go's DNSError prints before the cause when it names the server.
std::string lookup_context(std::string_view host, const NameServer& server) {
  return "lookup " + std::string(host) + " on " + server.to_string();
}
Error no_such_host(std::string_view host) {
  return {ErrorKind::kNotFound, lookup_prefix(host) + "no such host"};
}

std::vector<IpAddress> v4_first(std::vector<IpAddress> addresses) {
  std::stable_partition(addresses.begin(), addresses.end(), [](const IpAddress& a) { return a.is_v4(); });
  return addresses;
}

bool is_localhost(std::string_view host) {
  const std::string name = lower_ascii(strip_trailing_dot(host));
  return name == "localhost" || name.ends_with(".localhost");
}

// The absolute names to ask for, in order: a name with at least ndots dots is
// probably complete and goes first, one with fewer goes after the search list.
std::vector<std::string> candidates(const ResolvConf& conf, std::string_view host) {
  if (host.ends_with('.')) return {std::string(host)};
  const auto dots = std::count(host.begin(), host.end(), '.');
  const bool absolute_first = dots >= conf.ndots;
  std::vector<std::string> out;
  if (absolute_first) out.push_back(rooted(host));
  for (const std::string& domain : conf.search) out.push_back(std::string(host) + "." + domain);
  if (!absolute_first) out.push_back(rooted(host));
  return out;
}

std::string rcode_name(uint8_t rcode) {
  switch (rcode) {
    case kRcodeFormErr:
      return "FORMERR";
    case kRcodeServFail:
      return "SERVFAIL";
    case kRcodeRefused:
      return "REFUSED";
    default:
      return "rcode " + std::to_string(rcode);
  }
}

std::string system_hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

class SystemResolver final : public Resolver {
 public:
  SystemResolver(const Filesystem& fs, DnsTransport& transport, ResolverOptions options)
      : fs_(fs), transport_(transport), options_(std::move(options)) {}

  Result<std::vector<IpAddress>> lookup_host(std::string_view host,
                                             Clock::time_point deadline) const override {
    if (host.empty()) return no_such_host(host);
    if (auto literal = IpAddress::parse(host)) return std::vector<IpAddress>{*literal};
    const auto cfg = config();
    if (is_localhost(host)) {
      auto listed = cfg->hosts.lookup(host);
      if (!listed.empty()) return v4_first(std::move(listed));
      return std::vector<IpAddress>{*IpAddress::parse("127.0.0.1"), *IpAddress::parse("::1")};
    }
    std::optional<Error> failure;
    for (const HostSource source : cfg->order) {
      if (source == HostSource::kFiles) {
        auto listed = cfg->hosts.lookup(host);
        if (!listed.empty()) return v4_first(std::move(listed));
        continue;
      }
      auto found = lookup_dns(*cfg, host, deadline);
      if (found) return found;
      failure = found.error();
    }
    return failure ? *failure : no_such_host(host);
  }

  Result<std::vector<std::string>> lookup_addr(std::string_view ip,
                                               Clock::time_point deadline) const override {
    const auto address = IpAddress::parse(ip);
    if (!address) return invalid(lookup_prefix(ip) + "unrecognized address");
    const auto cfg = config();
    std::optional<Error> failure;
    for (const HostSource source : cfg->order) {
      if (source == HostSource::kFiles) {
        auto names = cfg->hosts.lookup_address(*address);
        if (names.empty()) continue;
        for (std::string& name : names) name = rooted(name);
        return names;
      }
      auto answer = ask(*cfg, ip, reverse_name(*address), QueryType::kPtr, deadline);
      if (!answer) {
        failure = answer.error();
        continue;
      }
      std::vector<std::string> names;
      for (const std::string& name : answer->names) {
        if (is_domain_name(name)) names.push_back(name);
      }
      if (!names.empty()) return names;
      failure = answer->names.empty()
                    ? no_such_host(ip)
                    : invalid(lookup_prefix(ip) + "PTR target " + quote_for_error(answer->names.front()) +
                              " is not a host name");
    }
    return failure ? *failure : no_such_host(ip);
  }

 private:
  Clock::time_point now() const { return options_.clock ? options_.clock() : Clock::now(); }

  Result<std::vector<IpAddress>> lookup_dns(const Config& cfg, std::string_view host,
                                            Clock::time_point deadline) const {
    if (const std::string why = check_domain_name(host); !why.empty()) {
      return invalid(lookup_prefix(host) + "invalid name " + quote_for_error(host) + ": " + why);
    }
    // A failure to get an answer outweighs "no such host" for another
    // candidate: the name may well exist where the server could not be asked.
    std::optional<Error> failure;
    for (const std::string& name : candidates(cfg.conf, host)) {
      // A search domain can make the name too long to ask; it cannot exist then.
      if (!is_domain_name(name)) continue;
      auto v4 = ask(cfg, host, name, QueryType::kA, deadline);
      if (!v4) {
        if (v4.error().kind() != ErrorKind::kNotFound) failure = v4.error();
        continue;  // NXDOMAIN holds for every type: no AAAA question
      }
      auto v6 = ask(cfg, host, name, QueryType::kAaaa, deadline);
      std::vector<IpAddress> found = std::move(v4->addresses);
      if (v6) {
        found.insert(found.end(), v6->addresses.begin(), v6->addresses.end());
      } else if (v6.error().kind() != ErrorKind::kNotFound && found.empty()) {
        failure = v6.error();
      }
      if (!found.empty()) return found;
      // No records of either type (NODATA): the next candidate may have some.
    }
    return failure ? *failure : no_such_host(host);
  }

  // One question to the servers of cfg: each server in turn, attempts rounds,
  // each try bounded by the timeout and by deadline. NXDOMAIN is kNotFound and
  // final; SERVFAIL, REFUSED, an unparseable or lame answer and transport errors
  // move on to the next server. host is what errors name.
  Result<DnsResponse> ask(const Config& cfg, std::string_view host, const std::string& name, QueryType type,
                          Clock::time_point deadline) const {
    auto query = build_query(name, type, random_query_id());
    if (!query) return query.error().wrap("lookup " + std::string(host));
    const auto& servers = cfg.conf.servers;
    if (servers.empty()) return Error(ErrorKind::kIo, lookup_prefix(host) + "no name servers");
    const size_t start =
        cfg.conf.rotate ? rotation_.fetch_add(1, std::memory_order_relaxed) % servers.size() : 0;
    std::optional<Error> last;
    for (int attempt = 0; attempt < cfg.conf.attempts; ++attempt) {
      for (size_t i = 0; i < servers.size(); ++i) {
        const NameServer& server = servers[(start + i) % servers.size()];
        const std::string context = lookup_context(host, server);
        if (now() >= deadline) {
          return last && last->kind() == ErrorKind::kTimeout
                     ? *last
                     : Error(ErrorKind::kTimeout, context + ": i/o timeout");
        }
        auto response = exchange(cfg, server, *query, cfg.conf.use_tcp, deadline);
        if (response && response->truncated && !cfg.conf.use_tcp) {
          response = exchange(cfg, server, *query, true, deadline);
        }
        if (!response) {
          last = response.error().wrap(context);
          continue;
        }
        if (response->truncated) {
          last = Error(ErrorKind::kIo, context + ": truncated answer over TCP");
          continue;
        }
        switch (response->rcode) {
          case kRcodeNoError:
            // Neither an answer nor recursion: a server that only refers us on (Go: lame referral).
            if (response->answer_count == 0 && !response->authoritative && !response->recursion_available) {
              last = Error(ErrorKind::kIo, context + ": lame referral");
              continue;
            }
            return std::move(*response);
          case kRcodeNxDomain:
            return no_such_host(host);
          default:
            last =
                Error(ErrorKind::kIo, context + ": server misbehaving (" + rcode_name(response->rcode) + ")");
            continue;
        }
      }
    }
    return *last;
  }

  // One try: the reply parsed against the query, within the per-try timeout.
  Result<DnsResponse> exchange(const Config& cfg, const NameServer& server, const DnsQuery& query, bool tcp,
                               Clock::time_point deadline) const {
    const auto try_deadline = std::min<Clock::time_point>(now() + cfg.conf.timeout, deadline);
    auto reply = transport_.exchange(server, query.wire, tcp, try_deadline);
    if (!reply) return reply.error();
    auto response = parse_response(*reply, query);
    // A bad answer is the server's failure (kIo, as a transport error), not bad input from our caller.
    if (!response) return Error(ErrorKind::kIo, response.error().message());
    return response;
  }

  std::shared_ptr<const Config> config() const {
    const std::lock_guard lock(mu_);
    const auto t = now();
    if (config_ && t - checked_at_ < options_.recheck_interval) return config_;
    checked_at_ = t;
    bool changed = !config_;
    const std::string* paths[] = {&options_.hosts_path, &options_.resolv_conf_path, &options_.nsswitch_path};
    for (size_t i = 0; i < 3; ++i) {
      std::optional<std::string> content = read(*paths[i]);
      if (content != contents_[i]) {
        contents_[i] = std::move(content);
        changed = true;
      }
    }
    if (!changed) return config_;
    auto cfg = std::make_shared<Config>();
    const std::string hostname =
        options_.local_hostname.empty() ? system_hostname() : options_.local_hostname;
    cfg->hosts = contents_[0] ? parse_hosts(*contents_[0]) : HostsFile{};
    cfg->conf = contents_[1] ? parse_resolv_conf(*contents_[1], hostname) : default_resolv_conf(hostname);
    cfg->order = parse_nsswitch_hosts(contents_[2] ? *contents_[2] : std::string());
    config_ = std::move(cfg);
    return config_;
  }

  // A file that cannot be read counts as missing: the defaults still resolve
  // literal addresses and localhost, and Go does the same.
  std::optional<std::string> read(const std::string& path) const {
    auto content = fs_.read_file(path);
    if (content) return std::move(*content);
    if (content.error().kind() != ErrorKind::kNotFound) {
      logger_.warn("cannot read resolver configuration, using defaults",
                   {{"path", path}, {"err", content.error()}});
    }
    return std::nullopt;
  }

  const Filesystem& fs_;
  DnsTransport& transport_;
  const ResolverOptions options_;
  const log::Logger logger_{"component", "dns"};

  mutable std::mutex mu_;
  mutable std::shared_ptr<const Config> config_;
  mutable Clock::time_point checked_at_;
  mutable std::optional<std::string> contents_[3];
  mutable std::atomic<size_t> rotation_{0};
};

}  // namespace

std::unique_ptr<Resolver> make_resolver(const Filesystem& fs, DnsTransport& transport,
                                        ResolverOptions options) {
  return std::make_unique<SystemResolver>(fs, transport, std::move(options));
}

std::shared_ptr<const Resolver> make_system_resolver() {
  static const std::shared_ptr<const Resolver> resolver =
      make_resolver(real_filesystem(), socket_transport());
  return resolver;
}

}  // namespace ceems::dns
