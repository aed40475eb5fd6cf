#include "dns/testing/dns_wire.h"

#include <stdexcept>

#include "core/strings.h"
#include "dns/ip_address.h"

namespace ceems::dns::testing {
namespace {

void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

uint16_t u16_at(std::string_view m, size_t off) {
  return static_cast<uint16_t>(static_cast<uint8_t>(m[off]) << 8 | static_cast<uint8_t>(m[off + 1]));
}

std::string address_bytes(std::string_view text) {
  auto address = IpAddress::parse(text);
  if (!address) throw std::invalid_argument("not an IP address: " + std::string(text));
  const auto b = address->bytes();
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

std::optional<Question> parse_question(std::string_view query) {
  if (query.size() < 12 + 5) return std::nullopt;
  Question q{.id = u16_at(query, 0)};
  size_t pos = 12;
  while (pos < query.size() && query[pos] != 0) {
    const auto len = static_cast<uint8_t>(query[pos]);
    if (len > 63 || pos + 1 + len >= query.size()) return std::nullopt;
    q.name.append(query.substr(pos + 1, len));
    q.name += '.';
    pos += 1 + len;
  }
  if (q.name.empty()) q.name = ".";
  if (pos + 5 > query.size()) return std::nullopt;
  q.type = u16_at(query, pos + 1);
  return q;
}

std::string wire_name(std::string_view name) {
  std::string out;
  if (name.ends_with('.')) name.remove_suffix(1);
  if (!name.empty()) {
    for (std::string_view label : split(name, '.')) {
      out += static_cast<char>(label.size());
      out += label;
    }
  }
  out += '\0';
  return out;
}

Rr a_rr(std::string_view owner, std::string_view ipv4) {
  return {std::string(owner), 1, address_bytes(ipv4)};
}
Rr aaaa_rr(std::string_view owner, std::string_view ipv6) {
  return {std::string(owner), 28, address_bytes(ipv6)};
}
Rr cname_rr(std::string_view owner, std::string_view target) {
  return {std::string(owner), 5, wire_name(target)};
}
Rr ptr_rr(std::string_view owner, std::string_view target) {
  return {std::string(owner), 12, wire_name(target)};
}

std::string header(uint16_t id, uint16_t flags, uint16_t qdcount, uint16_t ancount, uint16_t nscount,
                   uint16_t arcount) {
  std::string out;
  put_u16(out, id);
  put_u16(out, flags);
  put_u16(out, qdcount);
  put_u16(out, ancount);
  put_u16(out, nscount);
  put_u16(out, arcount);
  return out;
}

std::string reply(std::string_view query, const std::vector<Rr>& answers, ReplyFlags flags) {
  uint16_t f = 0x8000 | 0x0100 | flags.rcode;
  if (flags.authoritative) f |= 0x0400;
  if (flags.truncated) f |= 0x0200;
  if (flags.recursion_available) f |= 0x0080;
  std::string out = header(u16_at(query, 0), f, 1, static_cast<uint16_t>(answers.size()));
  out += query.substr(12);
  for (const Rr& rr : answers) {
    out += wire_name(rr.owner);
    put_u16(out, rr.type);
    put_u16(out, rr.rclass);
    put_u16(out, static_cast<uint16_t>(rr.ttl >> 16));
    put_u16(out, static_cast<uint16_t>(rr.ttl & 0xffff));
    put_u16(out, static_cast<uint16_t>(rr.rdata.size()));
    out += rr.rdata;
  }
  return out;
}

}  // namespace ceems::dns::testing
