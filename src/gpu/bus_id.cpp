// PCI bus address parsing shared by the NVIDIA and AMD parsers and by the vGPU
// refresh, which matches devices across tools by address.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/strings.h"
#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

unsigned hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  return static_cast<unsigned>(c - 'A' + 10);
}

size_t hex_run_end(std::string_view s, size_t pos) {
  while (pos < s.size() && is_hex(s[pos])) ++pos;
  return pos;
}

// The four hex runs of a match of HEX:HEX:HEX.HEX starting exactly at `start`.
// Runs are maximal because the separators are not hex digits, so no backtracking
// is ever needed.
std::optional<std::array<std::string_view, 4>> match_at(std::string_view s, size_t start) {
  std::array<std::string_view, 4> parts;
  constexpr std::array<char, 3> kSeparators = {':', ':', '.'};
  size_t pos = start;
  for (size_t i = 0; i < parts.size(); ++i) {
    size_t end = hex_run_end(s, pos);
    if (end == pos) return std::nullopt;
    parts[i] = s.substr(pos, end - pos);
    pos = end;
    if (i < kSeparators.size()) {
      if (pos >= s.size() || s[pos] != kSeparators[i]) return std::nullopt;
      ++pos;
    }
  }
  return parts;
}

std::optional<uint16_t> parse_hex16(std::string_view s) {
  unsigned v = 0;
  for (char c : s) {
    v = v * 16 + hex_value(c);
    if (v > 0xFFFF) return std::nullopt;
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

Result<BusId> parse_bus_id(std::string_view s) {
  size_t start = 0;
  while (start < s.size()) {
    if (!is_hex(s[start])) {
      ++start;
      continue;
    }
    if (auto parts = match_at(s, start)) {
      std::array<uint16_t, 4> v{};
      for (size_t i = 0; i < v.size(); ++i) {
        auto n = parse_hex16((*parts)[i]);
        if (!n) {
          return invalid("bus id " + quote_for_error(s) + ": component " + quote_for_error((*parts)[i]) +
                         " does not fit in 16 bits");
        }
        v[i] = *n;
      }
      return BusId{.domain = v[0], .bus = v[1], .device = v[2], .function = v[3]};
    }
    // A later start inside the same hex run sees the same text after the run and
    // fails the same way, so the whole run is skipped (keeps this linear).
    start = hex_run_end(s, start);
  }
  return invalid("no PCI bus id (DOMAIN:BUS:DEVICE.FUNCTION) in " + quote_for_error(s));
}

}  // namespace ceems::gpu
