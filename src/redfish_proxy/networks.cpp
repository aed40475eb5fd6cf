#include "redfish_proxy/networks.h"

#include <arpa/inet.h>

#include <cctype>

#include "core/strings.h"

namespace ceems::redfish_proxy {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (std::string_view label : split(s, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    }
  }
  return true;
}

bool prefix_matches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& net, int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[static_cast<size_t>(i)] != net[static_cast<size_t>(i)]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - bits));
  return (a[static_cast<size_t>(i)] & mask) == (net[static_cast<size_t>(i)] & mask);
}

}  // namespace

bool parse_ip(std::string_view text, int& family, std::array<uint8_t, 16>& address) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return false;
  const std::string s(text);
  address.fill(0);
  if (inet_pton(AF_INET, s.c_str(), address.data()) == 1) {
    family = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), address.data()) != 1) return false;
  // An IPv4-mapped IPv6 address is the IPv4 peer of a dual-stack socket.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::equal(std::begin(kMapped), std::end(kMapped), address.begin())) {
    std::array<uint8_t, 16> v4{};
    std::copy(address.begin() + 12, address.end(), v4.begin());
    address = v4;
    family = 4;
    return true;
  }
  family = 6;
  return true;
}

Result<NetworkEntry> parse_network_entry(std::string_view text) {
  const std::string_view t = trim(text);
  auto bad = [&](const std::string& why) { return invalid(quote_for_error(text) + ": " + why); };
  if (t.empty()) return bad("empty entry");
  NetworkEntry e;
  const size_t slash = t.find('/');
  const std::string_view addr = t.substr(0, slash);
  if (parse_ip(addr, e.family, e.address)) {
    const int max_bits = e.family == 4 ? 32 : 128;
    e.prefix = max_bits;
    if (slash != std::string_view::npos) {
      auto bits = parse_u64(t.substr(slash + 1));
      if (!bits || *bits > static_cast<uint64_t>(max_bits) || t.substr(slash + 1).empty()) {
        return bad("prefix length must be 0.." + std::to_string(max_bits));
      }
      e.prefix = static_cast<int>(*bits);
      std::array<uint8_t, 16> masked{};
      for (int i = 0; i < e.prefix; ++i) {
        const auto byte = static_cast<size_t>(i / 8);
        const auto bit = static_cast<uint8_t>(0x80 >> (i % 8));
        masked[byte] = static_cast<uint8_t>(masked[byte] | (e.address[byte] & bit));
      }
      if (masked != e.address) return bad("address has bits set beyond the prefix length");
    }
    return e;
  }
  if (slash != std::string_view::npos) return bad("not an IP network");
  std::string_view name = t;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (!valid_name(name)) return bad("neither an IP address, a network nor a host name");
  e.is_name = true;
  e.name = lower(name);
  return e;
}

Result<NetworkList> NetworkList::parse(const std::vector<std::string>& entries, const std::string& what) {
  std::vector<NetworkEntry> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto e = parse_network_entry(entries[i]);
    if (!e) return e.error().wrap(what + "[" + std::to_string(i) + "]");
    out.push_back(std::move(*e));
  }
  return NetworkList(std::move(out));
}

NetworkList NetworkList::loopback() {
  std::vector<NetworkEntry> out;
  out.push_back(*parse_network_entry("127.0.0.0/8"));
  out.push_back(*parse_network_entry("::1"));
  return NetworkList(std::move(out));
}

bool NetworkList::contains_ip(std::string_view ip) const {
  int family = 0;
  std::array<uint8_t, 16> a{};
  if (!parse_ip(ip, family, a)) return false;
  for (const auto& e : entries_) {
    if (!e.is_name && e.family == family && prefix_matches(a, e.address, e.prefix)) return true;
  }
  return false;
}

bool NetworkList::contains_host(std::string_view host) const {
  int family = 0;
  std::array<uint8_t, 16> a{};
  if (parse_ip(host, family, a)) return contains_ip(host);
  std::string_view name = host;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  const std::string n = lower(name);
  for (const auto& e : entries_) {
    if (e.is_name && e.name == n) return true;
  }
  return false;
}

std::string_view host_of(std::string_view host_port) {
  if (!host_port.empty() && host_port.front() == '[') {
    const size_t close = host_port.find(']');
    return close == std::string_view::npos ? host_port : host_port.substr(1, close - 1);
  }
  const size_t colon = host_port.rfind(':');
  // More than one colon without brackets: a bare IPv6 literal, no port.
  if (colon != std::string_view::npos && host_port.find(':') == colon) return host_port.substr(0, colon);
  return host_port;
}

}  // namespace ceems::redfish_proxy
