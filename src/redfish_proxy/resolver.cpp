#include "redfish_proxy/resolver.h"

#include <mutex>

namespace ceems::redfish_proxy {
namespace {

// Longer than any textual IP (IPv6 with a zone); such X-Real-IP values can never be
// a peer address and would only let a client fill the cache with big keys.
constexpr size_t kMaxCachedIpLength = 64;

}  // namespace

Result<TargetTable> TargetTable::create(const ProxyConfig& config) {
  TargetTable table;
  size_t entry = 0;
  for (const auto& t : config.targets) {
    ++entry;
    auto target = make_target(t.url);
    if (!target)
      return invalid("invalid url string: " + redact_url(t.url) + " (" + target.error().message() + ")");
    table.allowed_.insert(target->key);
    for (const auto& ip : t.host_ip_addrs) {
      table.by_ip_.insert_or_assign(ip, *target);
      table.entry_of_ip_.insert_or_assign(ip, entry);
    }
  }
  auto allowed = NetworkList::parse(config.allowed_hosts, "redfish_config.web.allowed_hosts");
  if (!allowed) return allowed.error();
  table.allowed_hosts_ = std::move(*allowed);
  if (config.trusted_proxies) {
    auto trusted = NetworkList::parse(*config.trusted_proxies, "redfish_config.web.trusted_proxies");
    if (!trusted) return trusted.error();
    table.trusted_proxies_ = std::move(*trusted);
  } else {
    table.trusted_proxies_ = NetworkList::loopback();
  }
  return table;
}

bool TargetTable::may_claim(const std::string& peer_ip, const std::string& claimed_ip) const {
  if (claimed_ip == peer_ip || trusted_proxies_.contains_ip(peer_ip)) return true;
  auto peer = entry_of_ip_.find(peer_ip);
  auto claimed = entry_of_ip_.find(claimed_ip);
  return peer != entry_of_ip_.end() && claimed != entry_of_ip_.end() && peer->second == claimed->second;
}

const Target* TargetTable::find(const std::string& ip) const {
  auto it = by_ip_.find(ip);
  return it == by_ip_.end() ? nullptr : &it->second;
}

std::optional<Target> TargetCache::find(const std::string& ip) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(ip);
  if (it == entries_.end()) return std::nullopt;
  return it->second.target;
}

void TargetCache::store(const std::vector<std::string>& ips, const Target& target) {
  std::unique_lock lock(mu_);
  for (const auto& ip : ips) {
    if (ip.empty() || ip.size() > kMaxCachedIpLength) continue;
    auto it = entries_.find(ip);
    if (it != entries_.end()) {
      it->second.target = target;
      order_.splice(order_.end(), order_, it->second.order);
      continue;
    }
    order_.push_back(ip);
    entries_.emplace(ip, Entry{target, std::prev(order_.end())});
    while (entries_.size() > max_entries_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
  }
}

size_t TargetCache::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

std::vector<std::string> candidate_ips(const std::vector<std::string>& x_real_ip,
                                       const std::string& peer_ip) {
  std::vector<std::string> out = x_real_ip;
  out.push_back(peer_ip);
  return out;
}

Resolution resolve_target(const TargetTable& table, const std::vector<std::string>& candidates,
                          const std::string& redfish_url,
                          const std::function<std::optional<Target>(const std::string&)>& cached) {
  Resolution r;
  for (const auto& ip : candidates) {
    if (const Target* t = table.find(ip)) {
      r.source = Source::kConfig;
      r.target = *t;
      return r;
    }
  }
  if (!redfish_url.empty()) {
    auto t = make_target(redfish_url);
    if (!t) {
      r.failure = "invalid header";
      r.detail = t.error().message();
      return r;
    }
    if (!table.allows(*t)) {
      r.failure = "not allowed";
      r.detail = t->display();
      return r;
    }
    r.source = Source::kHeader;
    r.target = std::move(*t);
    return r;
  }
  if (cached) {
    for (const auto& ip : candidates) {
      if (auto t = cached(ip)) {
        r.source = Source::kCache;
        r.target = std::move(*t);
        return r;
      }
    }
  }
  r.failure = "no target";
  return r;
}

const char* source_name(Source s) {
  switch (s) {
    case Source::kConfig:
      return "config";
    case Source::kHeader:
      return "header";
    case Source::kCache:
      return "cache";
    case Source::kNone:
      break;
  }
  return "none";
}

}  // namespace ceems::redfish_proxy
