// strconv: escapes only shrink the text (but for a malformed byte, which becomes
// U+FFFD, 3 bytes), and a float printed then parsed again is the same float.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/fuzz_harness.h"
#include "core/go/strconv.h"

namespace {
void fuzz(std::string_view in) {
  std::string out;
  if (ceems::go::unescape_string_body(in, out).ok() && out.size() > in.size() * 3) std::abort();

  if (auto v = ceems::go::parse_float(in)) {
    char buf[32];
    const size_t n = ceems::go::format_float(*v, buf);
    auto back = ceems::go::parse_float(std::string_view(buf, n));
    if (!back) std::abort();
    if (!(std::isnan(*v) && std::isnan(*back)) && std::memcmp(&*v, &*back, sizeof(double)) != 0) std::abort();
  }

  const auto u = ceems::go::parse_uint(in);
  const auto i = ceems::go::parse_int(in);
  if (u && *u <= static_cast<uint64_t>(INT64_MAX) && (!i || static_cast<uint64_t>(*i) != *u)) std::abort();
  if (auto small = ceems::go::parse_int(in, 32); small && (*small < INT32_MIN || *small > INT32_MAX))
    std::abort();
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
