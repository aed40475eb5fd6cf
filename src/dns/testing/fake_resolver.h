// A Resolver with a table instead of files and servers, for the tests of code
// that resolves names (the HTTP client, the Redfish collector): literal
// addresses pass through as with the real one, names answer from the table.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/strings.h"
#include "dns/names.h"
#include "dns/resolver.h"

namespace ceems::dns::testing {

class FakeResolver final : public Resolver {
 public:
  // host is matched without case and without a trailing dot.
  void add_host(std::string_view host, std::vector<IpAddress> addresses) {
    const std::lock_guard lock(mu_);
    hosts_.insert_or_assign(key(host), Result<std::vector<IpAddress>>(std::move(addresses)));
  }
  void fail_host(std::string_view host, Error error) {
    const std::lock_guard lock(mu_);
    hosts_.insert_or_assign(key(host), Result<std::vector<IpAddress>>(std::move(error)));
  }
  void add_addr(std::string_view ip, std::vector<std::string> names) {
    const std::lock_guard lock(mu_);
    addrs_.insert_or_assign(std::string(ip), std::move(names));
  }
  // Every host and ip asked for, in order.
  std::vector<std::string> asked() const {
    const std::lock_guard lock(mu_);
    return asked_;
  }

  Result<std::vector<IpAddress>> lookup_host(
      std::string_view host, std::chrono::steady_clock::time_point /*deadline*/) const override {
    const std::lock_guard lock(mu_);
    asked_.emplace_back(host);
    if (auto literal = IpAddress::parse(host)) return std::vector<IpAddress>{*literal};
    auto it = hosts_.find(key(host));
    if (it == hosts_.end())
      return Error(ErrorKind::kNotFound, "lookup " + std::string(host) + ": no such host");
    return it->second;
  }

  Result<std::vector<std::string>> lookup_addr(
      std::string_view ip, std::chrono::steady_clock::time_point /*deadline*/) const override {
    const std::lock_guard lock(mu_);
    asked_.emplace_back(ip);
    auto it = addrs_.find(std::string(ip));
    if (it == addrs_.end())
      return Error(ErrorKind::kNotFound, "lookup " + std::string(ip) + ": no such host");
    return it->second;
  }

 private:
  static std::string key(std::string_view host) { return lower_ascii(strip_trailing_dot(host)); }

  mutable std::mutex mu_;
  std::map<std::string, Result<std::vector<IpAddress>>> hosts_;
  std::map<std::string, std::vector<std::string>> addrs_;
  mutable std::vector<std::string> asked_;
};

}  // namespace ceems::dns::testing
