#include "dns/ip_address.h"

#include <net/if.h>
#include <netinet/in.h>

#include <cstring>

#include "core/strings.h"

namespace ceems::dns {
namespace {

std::optional<std::array<uint8_t, 4>> parse_v4(std::string_view s) {
  std::array<uint8_t, 4> out{};
  size_t part = 0;
  size_t pos = 0;
  while (true) {
    size_t end = pos;
    unsigned value = 0;
    while (end < s.size() && is_ascii_digit(s[end]) && end - pos < 3) {
      value = value * 10 + static_cast<unsigned>(s[end] - '0');
      ++end;
    }
    const size_t digits = end - pos;
    if (digits == 0 || value > 255 || (digits > 1 && s[pos] == '0')) return std::nullopt;
    out[part++] = static_cast<uint8_t>(value);
    if (part == 4) return end == s.size() ? std::optional(out) : std::nullopt;
    if (end >= s.size() || s[end] != '.') return std::nullopt;
    pos = end + 1;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::array<uint8_t, 16>> parse_v6(std::string_view s) {
  std::array<uint8_t, 16> out{};
  size_t filled = 0;          // bytes written so far
  std::optional<size_t> gap;  // where "::" stood, in bytes
  size_t pos = 0;
  if (s.starts_with("::")) {
    gap = 0;
    pos = 2;
    if (s.size() == 2) return out;
  } else if (s.starts_with(":")) {
    return std::nullopt;
  }
  while (pos < s.size()) {
    if (filled == 16) return std::nullopt;
    // An embedded IPv4 address may end the text when it fills the last four bytes.
    const size_t next_colon = s.find(':', pos);
    if (next_colon == std::string_view::npos && s.find('.', pos) != std::string_view::npos) {
      if (filled > 12) return std::nullopt;
      auto v4 = parse_v4(s.substr(pos));
      if (!v4) return std::nullopt;
      std::memcpy(out.data() + filled, v4->data(), 4);
      filled += 4;
      break;
    }
    unsigned group = 0;
    size_t digits = 0;
    while (pos < s.size() && digits < 5) {
      const int h = hex_value(s[pos]);
      if (h < 0) break;
      group = group * 16 + static_cast<unsigned>(h);
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 4) return std::nullopt;
    out[filled++] = static_cast<uint8_t>(group >> 8);
    out[filled++] = static_cast<uint8_t>(group & 0xff);
    if (pos == s.size()) break;
    if (s[pos] != ':') return std::nullopt;
    ++pos;
    if (pos < s.size() && s[pos] == ':') {
      if (gap) return std::nullopt;
      gap = filled;
      ++pos;
      if (pos == s.size()) break;
    } else if (pos == s.size()) {
      return std::nullopt;  // a single trailing colon
    }
  }
  if (gap) {
    if (filled == 16) return std::nullopt;  // "::" must stand for at least one group
    const size_t tail = filled - *gap;
    std::memmove(out.data() + 16 - tail, out.data() + *gap, tail);
    std::memset(out.data() + *gap, 0, 16 - tail - *gap);
  } else if (filled != 16) {
    return std::nullopt;
  }
  return out;
}

bool is_v4_mapped(const std::array<uint8_t, 16>& b) {
  for (size_t i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

void append_v4(std::string& out, const uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    if (i > 0) out += '.';
    out += std::to_string(b[i]);
  }
}

}  // namespace

IpAddress IpAddress::v4(const std::array<uint8_t, 4>& bytes) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), bytes.data(), 4);
  return a;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes, std::string zone) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = bytes;
  a.zone_ = std::move(zone);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    auto v4_bytes = parse_v4(text);
    if (!v4_bytes) return std::nullopt;
    return v4(*v4_bytes);
  }
  std::string zone;
  if (const size_t pct = text.find('%'); pct != std::string_view::npos) {
    zone = text.substr(pct + 1);
    if (zone.empty()) return std::nullopt;
    text = text.substr(0, pct);
  }
  auto v6_bytes = parse_v6(text);
  if (!v6_bytes) return std::nullopt;
  return v6(*v6_bytes, std::move(zone));
}

std::optional<IpAddress> IpAddress::from_sockaddr(const sockaddr* addr, socklen_t len) {
  if (addr == nullptr) return std::nullopt;
  if (addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in{};
    std::memcpy(&in, addr, sizeof in);
    std::array<uint8_t, 4> b{};
    std::memcpy(b.data(), &in.sin_addr, 4);
    return v4(b);
  }
  if (addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, addr, sizeof in6);
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), &in6.sin6_addr, 16);
    // A scope id is kept as its number: naming the interface would be a lookup of its own.
    return v6(b, in6.sin6_scope_id != 0 ? std::to_string(in6.sin6_scope_id) : std::string());
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  std::string out;
  if (is_v4()) {
    append_v4(out, bytes_.data());
    return out;
  }
  if (is_v4_mapped(bytes_)) {
    out = "::ffff:";
    append_v4(out, bytes_.data() + 12);
  } else {
    uint16_t groups[8];
    for (size_t i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>(bytes_[2 * i] << 8 | bytes_[2 * i + 1]);
    // RFC 5952 4.2: the longest run of two or more zero groups, the first one on a tie.
    int best_start = -1;
    int best_len = 1;
    for (int i = 0; i < 8;) {
      if (groups[i] != 0) {
        ++i;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) ++j;
      if (j - i > best_len) {
        best_start = i;
        best_len = j - i;
      }
      i = j;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
      if (i == best_start) {
        out += "::";
        i += best_len - 1;
        continue;
      }
      if (!out.empty() && out.back() != ':') out += ':';
      bool started = false;
      for (int shift = 12; shift >= 0; shift -= 4) {
        const int nibble = (groups[i] >> shift) & 0xf;
        if (nibble != 0 || started || shift == 0) {
          out += kHex[nibble];
          started = true;
        }
      }
    }
  }
  if (!zone_.empty()) out += "%" + zone_;
  return out;
}

Result<socklen_t> IpAddress::to_sockaddr(uint16_t port, sockaddr_storage& out) const {
  std::memset(&out, 0, sizeof out);
  if (is_v4()) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, bytes_.data(), 4);
    std::memcpy(&out, &in, sizeof in);
    return static_cast<socklen_t>(sizeof in);
  }
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  std::memcpy(&in6.sin6_addr, bytes_.data(), 16);
  if (!zone_.empty()) {
    auto index = parse_u64(zone_);
    // if_nametoindex asks the kernel (an ioctl), not a name service: safe in a static binary.
    const unsigned named = index ? 0 : ::if_nametoindex(zone_.c_str());
    if ((index && *index > UINT32_MAX) || (!index && named == 0)) {
      return invalid("unknown IPv6 zone " + quote_for_error(zone_) + " in " + to_string());
    }
    in6.sin6_scope_id = index ? static_cast<uint32_t>(*index) : named;
  }
  std::memcpy(&out, &in6, sizeof in6);
  return static_cast<socklen_t>(sizeof in6);
}

std::string join_host_port(const IpAddress& address, uint16_t port) {
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(port);
  return address.to_string() + ":" + std::to_string(port);
}

}  // namespace ceems::dns
