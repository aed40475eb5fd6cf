#include "http/wire.h"

#include <zlib.h>

#include <cctype>

#include "core/strings.h"

namespace ceems::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> request_path(std::string_view target) {
  std::string_view raw = target;
  if (raw.empty()) return invalid("empty request-target");
  if (raw.front() != '/') {
    // Absolute form: scheme "://" authority path. Anything else ("*", authority form)
    // names no resource this server has.
    const size_t scheme_end = raw.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) {
      return invalid("invalid request-target " + quote_for_error(target));
    }
    for (size_t i = 0; i < scheme_end; ++i) {
      const char c = raw[i];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
        return invalid("invalid request-target " + quote_for_error(target));
      }
    }
    const size_t path_start = raw.find_first_of("/?", scheme_end + 3);
    raw = path_start == std::string_view::npos ? std::string_view("/") : raw.substr(path_start);
    if (raw.front() == '?') return std::string("/");
  }
  if (const size_t q = raw.find('?'); q != std::string_view::npos) raw = raw.substr(0, q);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c <= 0x20 || c == 0x7f || c == '#') {
      return invalid("invalid character in request-target " + quote_for_error(target));
    }
    if (c != '%') {
      out += static_cast<char>(c);
      continue;
    }
    if (i + 2 >= raw.size() || hex_value(raw[i + 1]) < 0 || hex_value(raw[i + 2]) < 0) {
      return invalid("invalid URL escape in request-target " + quote_for_error(target));
    }
    out += static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
    i += 2;
  }
  return out;
}

std::string unmap_ipv4(std::string_view ip) {
  constexpr std::string_view kMapped = "::ffff:";
  if (ip.size() <= kMapped.size() || !equals_ignoring_case(ip.substr(0, kMapped.size()), kMapped))
    return std::string(ip);
  std::string_view v4 = ip.substr(kMapped.size());
  if (v4.find(':') != std::string_view::npos || v4.find('.') == std::string_view::npos)
    return std::string(ip);
  return std::string(v4);
}

std::string host_port(std::string_view ip, int port) {
  std::string out;
  if (ip.find(':') != std::string_view::npos) {
    out = "[" + std::string(ip) + "]";
  } else {
    out = std::string(ip);
  }
  return out + ":" + std::to_string(port);
}

bool accepts_gzip(std::string_view accept_encoding) {
  for (std::string_view item : split(accept_encoding, ',')) {
    std::string_view coding = trim(item);
    std::string_view params;
    if (const size_t semi = coding.find(';'); semi != std::string_view::npos) {
      params = coding.substr(semi + 1);
      coding = trim(coding.substr(0, semi));
    }
    if (!equals_ignoring_case(coding, "gzip") && !equals_ignoring_case(coding, "x-gzip") && coding != "*")
      continue;
    bool zero = false;
    for (std::string_view p : split(params, ';')) {
      p = trim(p);
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
        auto q = parse_double(p.substr(2));
        zero = q && *q <= 0.0;
      }
    }
    if (!zero) return true;
  }
  return false;
}

std::string gzip(std::string_view in) {
  z_stream zs{};
  // 15 window bits + 16 selects the gzip wrapper. Level 1: the exposition compresses
  // well at any level and a scrape's CPU matters more than a few bytes.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

bool looks_like_plain_http(std::string_view first_bytes) {
  static constexpr std::string_view kStarts[] = {"GET /", "HEAD ", "POST ", "PUT /", "OPTIO"};
  for (std::string_view s : kStarts) {
    if (first_bytes.substr(0, s.size()) == s) return true;
  }
  return false;
}

bool safe_header_value(std::string_view value) {
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool safe_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ':') return false;
  }
  return true;
}

}  // namespace ceems::http
