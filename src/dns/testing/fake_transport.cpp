#include "dns/testing/fake_transport.h"

namespace ceems::dns::testing {
namespace {

std::string type_name(uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 12:
      return "PTR";
    case 28:
      return "AAAA";
    default:
      return "TYPE" + std::to_string(type);
  }
}

}  // namespace

std::string FakeDnsTransport::Call::summary() const {
  return server.to_string() + (tcp ? " tcp " : " udp ") + type + " " + name;
}

Result<std::string> FakeDnsTransport::exchange(const NameServer& server, std::string_view query, bool tcp,
                                               std::chrono::steady_clock::time_point deadline) {
  auto question = parse_question(query);
  if (!question) return invalid("FakeDnsTransport: the query does not parse");
  const Call call{.server = server,
                  .name = question->name,
                  .type = type_name(question->type),
                  .tcp = tcp,
                  .deadline = deadline};
  {
    const std::lock_guard lock(mu_);
    calls_.push_back(call);
  }
  return handler_(call, query);
}

std::vector<FakeDnsTransport::Call> FakeDnsTransport::calls() const {
  const std::lock_guard lock(mu_);
  return calls_;
}

std::vector<std::string> FakeDnsTransport::summaries() const {
  std::vector<std::string> out;
  for (const Call& call : calls()) out.push_back(call.summary());
  return out;
}

}  // namespace ceems::dns::testing
