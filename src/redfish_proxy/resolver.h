// Which BMC a request goes to. The reference keeps one mutable map of IP -> URL that
// the X-Redfish-Url header writes into; here the configured map is immutable, learned
// entries live in a separate bounded cache, and only targets that passed validation
// (and, with targets configured, the allow-list) are ever learned, so a bad header
// can neither poison an IP nor pin it to the wrong BMC.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "redfish_proxy/config.h"
#include "redfish_proxy/networks.h"
#include "redfish_proxy/url.h"

namespace ceems::redfish_proxy {

// The configured targets, validated once at start-up.
class TargetTable {
 public:
  // Fails on a URL that make_target rejects (parse_proxy_config already refuses those).
  static Result<TargetTable> create(const ProxyConfig& config);

  // Static target of an IP (a later config entry wins for a duplicated IP).
  const Target* find(const std::string& ip) const;
  // With targets configured, only their URLs may be named by X-Redfish-Url; without
  // any, every valid http(s) URL may (the documented header-only mode).
  // redfish_config.web.allowed_hosts narrows that further, in both modes.
  bool restricted() const { return !allowed_.empty(); }
  bool allows(const Target& t) const {
    return (!restricted() || allowed_.count(t.key) != 0) &&
           (allowed_hosts_.empty() || allowed_hosts_.contains_host(host_of(t.host)));
  }
  bool has_allowed_hosts() const { return !allowed_hosts_.empty(); }
  size_t size() const { return by_ip_.size(); }

  // Whether the X-Real-IP a peer sent may be believed: the peer is a trusted proxy, or
  // the claimed address and the peer are addresses of one configured target entry
  // (a node with several interfaces).
  bool may_claim(const std::string& peer_ip, const std::string& claimed_ip) const;

 private:
  std::unordered_map<std::string, Target> by_ip_;
  std::unordered_map<std::string, size_t> entry_of_ip_;  // which config entry named the IP
  std::set<std::string> allowed_;                        // Target::key of every configured URL
  NetworkList allowed_hosts_;
  NetworkList trusted_proxies_;
};

// IP -> target learned from X-Redfish-Url headers. Thread-safe; bounded, the entry
// written longest ago being dropped first (a dropped IP is learned again from its next
// header, which the collector sends with every request). Values longer than any IP
// are not stored.
class TargetCache {
 public:
  explicit TargetCache(size_t max_entries = 4096) : max_entries_(max_entries == 0 ? 1 : max_entries) {}

  std::optional<Target> find(const std::string& ip) const;
  void store(const std::vector<std::string>& ips, const Target& target);
  size_t size() const;

 private:
  struct Entry {
    Target target;
    std::list<std::string>::iterator order;
  };
  const size_t max_entries_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_;  // oldest write first
};

// The X-Real-IP values in order (each header line verbatim), then the peer IP.
std::vector<std::string> candidate_ips(const std::vector<std::string>& x_real_ip, const std::string& peer_ip);

enum class Source { kNone, kConfig, kHeader, kCache };

struct Resolution {
  Source source = Source::kNone;
  std::optional<Target> target;
  // Why there is no target: "no target" (nothing matched), "invalid header" (the
  // X-Redfish-Url value did not validate), "not allowed" (valid URL outside the config).
  std::string failure;
  std::string detail;  // for the log line; never contains credentials
};

// Order: a configured target of any candidate IP (config always wins), then a valid and
// allowed X-Redfish-Url (the caller then caches it for the candidates), then a target
// cached earlier for a candidate. A header that names a different BMC than the cache
// replaces it, so one stale or forged entry cannot pin an IP for good.
// redfish_url: the first X-Redfish-Url value; empty when absent.
Resolution resolve_target(const TargetTable& table, const std::vector<std::string>& candidates,
                          const std::string& redfish_url,
                          const std::function<std::optional<Target>(const std::string&)>& cached);

const char* source_name(Source s);

}  // namespace ceems::redfish_proxy
