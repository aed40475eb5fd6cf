// DNS messages (RFC 1035): the one-question queries the resolver sends and the
// parse of what comes back. Responses are hostile input from the network: every
// length, count and compression pointer is checked against the message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dns/ip_address.h"

namespace ceems::dns {

enum class QueryType : uint16_t { kA = 1, kPtr = 12, kAaaa = 28 };
std::string_view query_type_name(QueryType type);  // "A", "PTR", "AAAA"

// RCODE values the resolver tells apart.
inline constexpr uint8_t kRcodeNoError = 0;
inline constexpr uint8_t kRcodeFormErr = 1;
inline constexpr uint8_t kRcodeServFail = 2;
inline constexpr uint8_t kRcodeNxDomain = 3;
inline constexpr uint8_t kRcodeRefused = 5;

struct DnsQuery {
  uint16_t id = 0;
  std::string name;  // absolute, with the trailing dot, as asked
  QueryType type = QueryType::kA;
  std::string wire;  // the message to send (over TCP without the length prefix)
};

// A query with recursion desired and one question of class IN. The name is
// taken as absolute whether or not it ends with a dot; check_domain_name's rules
// apply and the error names the value.
Result<DnsQuery> build_query(std::string_view name, QueryType type, uint16_t id);
// A query id from a generator seeded by the kernel, one per thread: an off-path
// attacker must guess it (with the source port) to forge an answer.
uint16_t random_query_id();

struct DnsResponse {
  uint8_t rcode = kRcodeNoError;
  bool truncated = false;  // TC: only the header and question were read; ask again over TCP
  bool authoritative = false;
  bool recursion_available = false;
  // The name the CNAME chain in the answer section ends at (the question's name
  // when there is none), absolute.
  std::string canonical_name;
  // The A or AAAA records of canonical_name, in message order (A queries only
  // A, AAAA queries only AAAA).
  std::vector<IpAddress> addresses;
  // The PTR records' targets, absolute, as in the message (escaped as in zone
  // files where a label holds a dot, a backslash or a byte that is not printable ASCII).
  std::vector<std::string> names;
  size_t answer_count = 0;  // records in the answer section, of any type
};

// The response to query, or kInvalid naming what is wrong: shorter than a header,
// another id, not a response, another opcode, not exactly the question asked
// (name compared without case), a record or name running past the end, a
// compression pointer that does not point backwards, a name longer than 255
// bytes, an A/AAAA record of the wrong size. Authority and additional sections
// are not read. An RCODE other than NOERROR is not an error here; the resolver
// decides what it means.
Result<DnsResponse> parse_response(std::string_view message, const DnsQuery& query);

// The name a PTR query asks for: "4.3.2.1.in-addr.arpa." for 1.2.3.4, 32 nibbles
// under "ip6.arpa." for IPv6 (the zone plays no part).
std::string reverse_name(const IpAddress& address);

}  // namespace ceems::dns
