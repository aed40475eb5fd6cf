// Hand-built DNS messages for tests: the answers a test server or transport
// double sends back, and the question of a query it received.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ceems::dns::testing {

// The id and question of a query as build_query writes them (names uncompressed).
struct Question {
  uint16_t id = 0;
  std::string name;  // absolute, as on the wire ("bmc-1.example.com.")
  uint16_t type = 0;
};
std::optional<Question> parse_question(std::string_view query);

// A resource record; rdata is raw bytes.
struct Rr {
  std::string owner;
  uint16_t type = 0;
  std::string rdata;
  uint16_t rclass = 1;
  uint32_t ttl = 60;
};
Rr a_rr(std::string_view owner, std::string_view ipv4);
Rr aaaa_rr(std::string_view owner, std::string_view ipv6);
Rr cname_rr(std::string_view owner, std::string_view target);
Rr ptr_rr(std::string_view owner, std::string_view target);

// A name in wire form, uncompressed ("a.b." -> "\1a\1b\0").
std::string wire_name(std::string_view name);

struct ReplyFlags {
  uint8_t rcode = 0;
  bool truncated = false;
  bool authoritative = false;
  bool recursion_available = true;
};
// The reply to query: its id and question echoed, answers after them.
std::string reply(std::string_view query, const std::vector<Rr>& answers, ReplyFlags flags = {});
// Twelve header bytes.
std::string header(uint16_t id, uint16_t flags, uint16_t qdcount, uint16_t ancount, uint16_t nscount = 0,
                   uint16_t arcount = 0);

}  // namespace ceems::dns::testing
