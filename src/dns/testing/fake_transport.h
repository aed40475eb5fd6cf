// A DnsTransport that answers from a test's handler and records every exchange,
// so that resolver tests script servers that answer, fail, time out or truncate.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "dns/testing/dns_wire.h"
#include "dns/transport.h"

namespace ceems::dns::testing {

class FakeDnsTransport final : public DnsTransport {
 public:
  struct Call {
    NameServer server;
    std::string name;  // the question's, absolute
    std::string type;  // "A", "AAAA", "PTR"
    bool tcp = false;
    std::chrono::steady_clock::time_point deadline;
    // "10.0.0.2:53 udp A bmc-1.example.com.": what order tests compare.
    std::string summary() const;
  };
  // The reply bytes (testing/dns_wire.h builds them) or the transport's error.
  using Handler = std::function<Result<std::string>(const Call& call, std::string_view query)>;

  explicit FakeDnsTransport(Handler handler) : handler_(std::move(handler)) {}

  Result<std::string> exchange(const NameServer& server, std::string_view query, bool tcp,
                               std::chrono::steady_clock::time_point deadline) override;

  std::vector<Call> calls() const;
  std::vector<std::string> summaries() const;

 private:
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
};

}  // namespace ceems::dns::testing
