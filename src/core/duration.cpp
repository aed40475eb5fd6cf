#include "core/duration.h"

#include <cmath>
#include <string>

#include "core/strings.h"

namespace ceems {
namespace {

struct Unit {
  std::string_view name;
  double nanos;
};
constexpr Unit kUnits[] = {{"ns", 1},   {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
                           {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};

}  // namespace

Result<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return invalid("invalid duration " + quote_for_error(text) + ": " + why);
  };
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return bad("empty");
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return bad("expected a number");
    auto number = parse_double(text.substr(start, i - start));
    if (!number || text.substr(start, i - start).find_first_of("0123456789") == std::string_view::npos) {
      return bad("bad number");
    }
    const size_t unit_start = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) return bad("missing unit");
    const Unit* found = nullptr;
    for (const auto& u : kUnits) {
      if (u.name == unit) found = &u;
    }
    if (found == nullptr) return bad("unknown unit " + quote_for_error(unit));
    total += *number * found->nanos;
    // Go's limit: about 290 years.
    if (!std::isfinite(total) || total > 9.2e18) return bad("out of range");
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
}

}  // namespace ceems
