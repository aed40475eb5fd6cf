// Standard base64 (RFC 4648, with padding): HTTP basic credentials in both
// directions (the web config's users, the WattTime login).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ceems {

std::string base64_encode(std::string_view in);
// Strict: nullopt on any invalid input (a character outside the alphabet, bad
// padding, a length that is not a multiple of 4).
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace ceems
