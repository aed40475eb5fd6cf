#include "core/go/strconv.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/go/runes.h"

namespace ceems::go {
namespace {

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Shortest round-trip digits of |v| (finite, non-zero or zero) and the decimal
// exponent of the first digit.
size_t shortest_digits(double v, char (&digits)[32], int& exp) {
  char sci[48];
  const auto res = std::to_chars(sci, sci + sizeof sci, std::fabs(v), std::chars_format::scientific);
  const char* p = sci;
  size_t nd = 0;
  digits[nd++] = *p++;
  if (*p == '.') {
    ++p;
    while (p < res.ptr && *p != 'e') digits[nd++] = *p++;
  }
  ++p;  // 'e'
  const bool neg_exp = *p == '-';
  ++p;
  std::from_chars(p, res.ptr, exp);
  if (neg_exp) exp = -exp;
  return nd;
}

}  // namespace

std::optional<uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || !all_digits(s)) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_int(std::string_view s, int bits) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  const auto magnitude = parse_uint(s);
  if (!magnitude) return std::nullopt;
  const uint64_t max_positive = (uint64_t{1} << (bits - 1)) - 1;
  if (negative) {
    if (*magnitude > max_positive + 1) return std::nullopt;
    return static_cast<int64_t>(0 - *magnitude);
  }
  if (*magnitude > max_positive) return std::nullopt;
  return static_cast<int64_t>(*magnitude);
}

std::optional<double> parse_float(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return std::nullopt;
  auto chars = std::chars_format::general;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    body.remove_prefix(2);
    if (body.find_first_of("pP") == std::string_view::npos) return std::nullopt;
    chars = std::chars_format::hex;
  }
  if (body.front() == '+' || body.front() == '-') return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v, chars);
  if (end != body.data() + body.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Tell underflow (Go: nearest value, no error) from overflow (Go: ErrRange).
    const std::string copy = (chars == std::chars_format::hex ? "0x" : "") + std::string(body);
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return std::nullopt;
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

size_t format_float(double v, char* buf) {
  if (std::isnan(v)) {
    std::memcpy(buf, "NaN", 3);
    return 3;
  }
  if (std::isinf(v)) {
    std::memcpy(buf, v > 0 ? "+Inf" : "-Inf", 4);
    return 4;
  }
  char digits[32];
  int exp = 0;
  const size_t nd = shortest_digits(v, digits, exp);
  char* out = buf;
  if (std::signbit(v)) *out++ = '-';

  if (exp < -4 || exp >= 6) {
    *out++ = digits[0];
    if (nd > 1) {
      *out++ = '.';
      std::memcpy(out, digits + 1, nd - 1);
      out += nd - 1;
    }
    *out++ = 'e';
    *out++ = exp < 0 ? '-' : '+';
    const int a = exp < 0 ? -exp : exp;
    if (a < 10) *out++ = '0';
    out = std::to_chars(out, out + 8, a).ptr;
    return static_cast<size_t>(out - buf);
  }
  if (exp < 0) {
    *out++ = '0';
    *out++ = '.';
    for (int i = -1; i > exp; --i) *out++ = '0';
    std::memcpy(out, digits, nd);
    out += nd;
    return static_cast<size_t>(out - buf);
  }
  const auto int_digits = static_cast<size_t>(exp) + 1;
  for (size_t i = 0; i < int_digits; ++i) *out++ = i < nd ? digits[i] : '0';
  if (nd > int_digits) {
    *out++ = '.';
    std::memcpy(out, digits + int_digits, nd - int_digits);
    out += nd - int_digits;
  }
  return static_cast<size_t>(out - buf);
}

Status unescape_string_body(std::string_view body, std::string& out) {
  out.clear();
  out.reserve(body.size());
  size_t i = 0;
  const size_t n = body.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(body[i]);
    if (c == '"') return invalid("raw '\"'");
    if (c == '\n') return invalid("raw newline");
    if (c < 0x80 && c != '\\') {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t len = rune_length(body, i);
      if (len == 0) {
        out += kReplacementBytes;
        ++i;
      } else {
        out.append(body.substr(i, len));
        i += len;
      }
      continue;
    }
    if (i + 1 >= n) return invalid("trailing backslash");
    const char e = body[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'x':
      case 'u':
      case 'U': {
        const size_t digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        if (n - i < digits) return invalid("truncated \\" + std::string(1, e) + " escape");
        uint32_t v = 0;
        for (size_t k = 0; k < digits; ++k) {
          const int h = unhex(body[i + k]);
          if (h < 0) return invalid("invalid hex digit in \\" + std::string(1, e) + " escape");
          v = (v << 4) | static_cast<uint32_t>(h);
        }
        i += digits;
        if (e == 'x') {
          out.push_back(static_cast<char>(v));  // a single byte, possibly not UTF-8
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return invalid("invalid code point");
          append_rune(out, v);
        }
        break;
      }
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        auto v = static_cast<uint32_t>(e - '0');
        if (n - i < 2) return invalid("truncated octal escape");
        for (size_t k = 0; k < 2; ++k) {
          const char d = body[i + k];
          if (d < '0' || d > '7') return invalid("invalid octal escape");
          v = (v << 3) | static_cast<uint32_t>(d - '0');
        }
        i += 2;
        if (v > 255) return invalid("octal escape above \\377");
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        return invalid("unknown escape \\" + std::string(1, e));
    }
  }
  return Status::Ok();
}

}  // namespace ceems::go
