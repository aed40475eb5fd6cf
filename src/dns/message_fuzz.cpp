// The DNS response parser on arbitrary bytes, against an A, an AAAA and a PTR
// query whose id is the input's (so that mutations get past the id check):
// never a crash, and what it returns keeps its promises.
#include <cstdlib>

#include "core/fuzz_harness.h"
#include "dns/message.h"

namespace {
void check(std::string_view in, std::string_view name, ceems::dns::QueryType type) {
  const uint16_t id =
      in.size() >= 2 ? static_cast<uint16_t>(static_cast<uint8_t>(in[0]) << 8 | static_cast<uint8_t>(in[1]))
                     : 0;
  auto query = ceems::dns::build_query(name, type, id);
  if (!query) std::abort();
  auto r = ceems::dns::parse_response(in, *query);
  if (!r) return;
  if (r->canonical_name.empty() || r->canonical_name.back() != '.') std::abort();
  for (const auto& a : r->addresses) {
    if (a.is_v4() != (type == ceems::dns::QueryType::kA) || !a.zone().empty()) std::abort();
  }
  for (const auto& n : r->names) {
    if (n.empty() || n.back() != '.' || n.size() > 4 * 255) std::abort();
  }
  if (type != ceems::dns::QueryType::kPtr && !r->names.empty()) std::abort();
  if (r->truncated && (!r->addresses.empty() || !r->names.empty())) std::abort();
}

void fuzz(std::string_view in) {
  check(in, "bmc-1.example.", ceems::dns::QueryType::kA);
  check(in, "bmc-1.example.", ceems::dns::QueryType::kAaaa);
  check(in, "4.3.2.1.in-addr.arpa.", ceems::dns::QueryType::kPtr);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
